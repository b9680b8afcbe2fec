# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the CPU quota that applies to this machine (container, VM or bare metal).

A container's nproc and /proc/cpuinfo report the host's cores; the cgroup CPU quota
(cgroup v1 ``cpu.cfs_quota_us``/``cpu.cfs_period_us``, v2 ``cpu.max``) is what it can use.
With ``--cgroupns=host`` the container's own cgroup is a sub-directory of the mount
(``/docker/<id>``), named in /proc/1/cgroup; every ancestor's quota applies, so the
smallest one along the path wins.
"""

from __future__ import annotations

import os

ROOT = "/sys/fs/cgroup"


def _read(path):
    try:
        with open(path) as handle:
            return handle.read().strip()
    except (IOError, OSError):
        return None


def parse_proc_cgroup(text):
    """Map controller -> path from /proc/<pid>/cgroup text; v2's unified entry is ''."""
    result = {}
    for line in (text or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        controllers, path = parts[1], parts[2]
        for controller in controllers.split(",") if controllers else [""]:
            result[controller] = path
    return result


def _ancestors(path):
    """'/docker/abc' -> ['/docker/abc', '/docker', '/']"""
    path = "/" + path.strip("/")
    out = [path]
    while path != "/":
        path = os.path.dirname(path)
        out.append(path)
    return out


def quota_from_fs(proc_cgroup_text, root=ROOT, read=_read):
    """Return (quota_cpus or None, cgroup_version, source_path) from a cgroup filesystem."""
    paths = parse_proc_cgroup(proc_cgroup_text)
    best = None
    source = None
    if read(os.path.join(root, "cgroup.controllers")) is not None:  # cgroup v2 unified
        rel = paths.get("", "/")
        for anc in _ancestors(rel):
            text = read(os.path.join(root, anc.lstrip("/"), "cpu.max"))
            cpus = quota_cpus_v2(text)
            if cpus is not None and (best is None or cpus < best):
                best, source = cpus, os.path.join(root, anc.lstrip("/"), "cpu.max")
        return best, 2, source
    rel = paths.get("cpu", paths.get("cpuacct", "/"))
    for mount in ("cpu,cpuacct", "cpu", "cpuacct,cpu"):
        base = os.path.join(root, mount)
        if read(os.path.join(base, "cpu.cfs_period_us")) is None:
            continue
        for anc in _ancestors(rel):
            directory = os.path.join(base, anc.lstrip("/"))
            cpus = quota_cpus_v1(read(os.path.join(directory, "cpu.cfs_quota_us")),
                                 read(os.path.join(directory, "cpu.cfs_period_us")))
            if cpus is not None and (best is None or cpus < best):
                best, source = cpus, directory
        break
    return best, 1, source


def cpu_used_from_fs(proc_cgroup_text, root=ROOT, read=_read, proc_stat="/proc/stat", clock_ticks=None):
    """CPU seconds this machine (its cgroup, for a container) has used so far, and where it was read.

    cgroup v2 ``cpu.stat`` usage_usec, v1 ``cpuacct.usage`` (ns) of PID 1's cgroup (or of the
    mount's root when the container sees its own cgroup there); else /proc/stat (a VM or bare
    metal: all CPU time but idle and iowait).
    """
    paths = parse_proc_cgroup(proc_cgroup_text)
    if read(os.path.join(root, "cgroup.controllers")) is not None:
        rel = paths.get("", "/").lstrip("/")
        for directory in ([os.path.join(root, rel)] if rel else []) + [root]:
            for line in (read(os.path.join(directory, "cpu.stat")) or "").splitlines():
                key, dummy, value = line.partition(" ")
                if key == "usage_usec" and value.strip().isdigit():
                    return int(value) / 1e6, os.path.join(directory, "cpu.stat")
    else:
        rel = paths.get("cpuacct", paths.get("cpu", "/")).lstrip("/")
        for mount in ("cpuacct", "cpu,cpuacct", "cpuacct,cpu"):
            for directory in ([os.path.join(root, mount, rel)] if rel else []) + [os.path.join(root, mount)]:
                text = read(os.path.join(directory, "cpuacct.usage"))
                if text and text.isdigit():
                    return int(text) / 1e9, os.path.join(directory, "cpuacct.usage")
    fields = ((read(proc_stat) or "").splitlines() or [""])[0].split()
    if fields[:1] == ["cpu"] and len(fields) >= 8:
        ticks = clock_ticks or os.sysconf("SC_CLK_TCK")
        busy = sum(int(v) for i, v in enumerate(fields[1:9]) if i not in (3, 4))  # not idle, iowait
        return busy / float(ticks), proc_stat
    return None, None


def read_host_cpus(proc_cgroup_path="/proc/1/cgroup", root=ROOT):
    """What this host can use: dict(vcpus, quota_cpus, effective_cpus, cgroup_version, quota_source,
    cpu_used_seconds, cpu_used_source)."""
    proc_cgroup = _read(proc_cgroup_path) or ""
    if hasattr(os, "sched_getaffinity"):
        vcpus = len(os.sched_getaffinity(0))
    else:  # pragma: no cover - not Linux
        vcpus = os.cpu_count()
    quota, version, source = quota_from_fs(proc_cgroup, root=root)
    effective = float(vcpus) if quota is None else min(float(vcpus), quota)
    used, used_source = cpu_used_from_fs(proc_cgroup, root=root)
    return {
        "cpu_used_seconds": None if used is None else round(used, 3),
        "cpu_used_source": used_source,
        "vcpus": vcpus,
        "quota_cpus": quota,
        "effective_cpus": round(effective, 3),
        "cgroup_version": version,
        "quota_source": source,
    }


def quota_cpus_v1(quota, period):
    try:
        quota, period = int(quota), int(period)
    except (TypeError, ValueError):
        return None
    if quota <= 0 or period <= 0:
        return None
    return quota / float(period)


def quota_cpus_v2(text):
    """CPUs of a quota written as cgroup v2's cpu.max ("max 100000", "160000 100000") or as v1's
    "quota period" ("-1 100000": none); None when there is none."""
    fields = (text or "").split()
    if len(fields) != 2 or fields[0] == "max":
        return None
    return quota_cpus_v1(fields[0], fields[1])
