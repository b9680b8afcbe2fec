# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the roles read from a host before they decide anything, in one Python start.

The master of a distcc farm is its bottleneck and often a small machine: every Ansible module
run there costs an interpreter start (about half a second of a 0.5-CPU master). The roles
therefore read the state they compare against (packages, compilers, files, units, users, the
include server) with one call of distcc_host_info, and run a changing module only where that
state differs from what they want.
"""

from __future__ import annotations

import grp
import os
import pwd
import socket
import stat
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

MAX_CONTENT = 65536  # bytes of a file's content returned; larger files report exists/type only
DPKG_FORMAT = "${Package}\t${db:Status-Abbrev}\t${Version}\n"
SYSTEMD_PROPERTIES = ("LoadState", "ActiveState", "UnitFileState")


def _run(argv):
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    except OSError as exc:
        return 127, "", str(exc)
    return proc.returncode, proc.stdout, proc.stderr


def parse_dpkg_query(text, names):
    """{name: version or None} from dpkg-query's DPKG_FORMAT output; installed means status 'ii'."""
    found = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[1].strip() == "ii":
            # multi-arch packages come as name:arch
            found[parts[0].split(":")[0]] = parts[2]
    return {name: found.get(name.split(":")[0].split("=")[0]) for name in names}


def read_packages(names, run=_run):
    if not names:
        return {}
    # dpkg-query exits 1 when a name is unknown but still prints the others
    _rc, out, _err = run(["dpkg-query", "--show", "--showformat=" + DPKG_FORMAT] + [n.split("=")[0] for n in names])
    return parse_dpkg_query(out, names)


def read_compilers(names, run=_run):
    versions = {}
    for name in names:
        rc, out, _err = run([name, "-dumpfullversion", "-dumpversion"])
        versions[name] = out.strip() if rc == 0 and out.strip() else None
    return versions


def read_file(path):
    """exists, type, mode, owner, group, link target and (for a small regular file) its content."""
    info = {"exists": False, "type": None, "mode": None, "owner": None, "group": None, "target": None,
            "content": None}
    try:
        st = os.lstat(path)
    except OSError:
        return info
    info["exists"] = True
    if stat.S_ISLNK(st.st_mode):
        info["type"] = "link"
        info["target"] = os.readlink(path)
    elif stat.S_ISDIR(st.st_mode):
        info["type"] = "directory"
    elif stat.S_ISREG(st.st_mode):
        info["type"] = "file"
    else:
        info["type"] = "other"
    info["mode"] = "%04o" % stat.S_IMODE(st.st_mode)
    try:
        info["owner"] = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        info["owner"] = str(st.st_uid)
    try:
        info["group"] = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        info["group"] = str(st.st_gid)
    if info["type"] == "file" and st.st_size <= MAX_CONTENT:
        try:
            with open(path, "rb") as handle:
                info["content"] = handle.read(MAX_CONTENT).decode("utf-8", "replace")
        except OSError:
            pass
    return info


def parse_systemctl_show(text, names):
    """{unit: {LoadState, ActiveState, UnitFileState}} from `systemctl show -p ... unit...` (blank-line separated)."""
    blocks = text.strip().split("\n\n") if text.strip() else []
    units = {}
    for name, block in zip(names, blocks):
        props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        units[name] = {
            "load": props.get("LoadState"),
            "active": props.get("ActiveState"),
            "enabled": props.get("UnitFileState"),
        }
    for name in names:
        units.setdefault(name, {"load": None, "active": None, "enabled": None})
    return units


def read_services(names, run=_run):
    if not names:
        return {}
    rc, out, _err = run(["systemctl", "show", "--property=" + ",".join(SYSTEMD_PROPERTIES)] + list(names))
    return parse_systemctl_show(out if rc == 0 else "", names)


def read_users(names):
    users = {}
    for name in names:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            users[name] = None
            continue
        users[name] = {"uid": entry.pw_uid, "home": entry.pw_dir, "shell": entry.pw_shell}
    return users


CAP_SYS_ADMIN = 21
# systemd from 256 on (Debian 13 has 257) keeps CAP_SYS_ADMIN across User= to install a unit's
# seccomp filters; where the bounding set lacks it (containers) such a unit fails with
# status=217/USER, "Failed to keep CAP_SYS_ADMIN" (systemd/systemd#34565).
SYSTEMD_KEEPS_SYS_ADMIN = 256


def parse_systemd_version(text):
    """257 from `systemctl --version` ("systemd 257 (257.13-1~deb13u1)"), else None."""
    words = text.split()
    if len(words) >= 2 and words[0] == "systemd" and words[1].isdigit():
        return int(words[1])
    return None


def parse_cap_bounding(status_text):
    """The capability bounding set (an int) from /proc/<pid>/status, else None."""
    for line in status_text.splitlines():
        if line.startswith("CapBnd:"):
            try:
                return int(line.split(":", 1)[1].strip(), 16)
            except ValueError:
                return None
    return None


def read_systemd(run=_run, status_path="/proc/self/status"):
    """systemd's version, whether CAP_SYS_ADMIN is in the bounding set, and so whether units with
    User= may use seccomp-based sandboxing (ProtectKernel*, Restrict*, LockPersonality)."""
    rc, out, _err = run(["systemctl", "--version"])
    version = parse_systemd_version(out) if rc == 0 else None
    try:
        with open(status_path) as handle:
            bounding = parse_cap_bounding(handle.read())
    except OSError:
        bounding = None
    cap_sys_admin = None if bounding is None else bool(bounding >> CAP_SYS_ADMIN & 1)
    seccomp = not (version is not None and version >= SYSTEMD_KEEPS_SYS_ADMIN and cap_sys_admin is False)
    return {"version": version, "cap_sys_admin": cap_sys_admin, "seccomp_sandboxing": seccomp}


def check_include_server(path):
    """Whether distcc's include server C extension imports from path on this Python, and why not."""
    if path is None:
        return None
    sys.path.insert(0, path)
    try:
        from include_server import distcc_pump_c_extensions as ext  # pylint: disable=import-outside-toplevel

        if not ext.OsPathIsFile("/proc/self/status"):
            return {"works": False, "error": "OsPathIsFile('/proc/self/status') is false"}
    except Exception as exc:  # pylint: disable=broad-except
        return {"works": False, "error": "%s: %s" % (type(exc).__name__, exc)}
    finally:
        sys.path.remove(path)
    return {"works": True, "error": None}


def split_target(target):
    """'address:port' -> (address, port); ValueError with the reason otherwise."""
    host, sep, port = str(target).rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("%r is not address:port" % (target,))
    return host, int(port)


def wait_for_port(target, timeout, connect=socket.create_connection, clock=time.monotonic, sleep=time.sleep):
    """Connect to address:port until it answers or timeout seconds have passed (like wait_for)."""
    host, port = split_target(target)
    deadline = clock() + timeout
    error = None
    while True:
        left = deadline - clock()
        if left <= 0:
            return {"open": False, "error": error or "no answer within %s s" % timeout}
        try:
            connect((host, port), timeout=min(left, 5.0)).close()
            return {"open": True, "error": None}
        except OSError as exc:
            error = "%s (after %.1f s)" % (exc, timeout - max(deadline - clock(), 0))
        sleep(min(0.5, max(deadline - clock(), 0)))


def check_ports(targets, timeout):
    """[{target, open, error}] in the order of targets, probed at the same time (bounded by timeout)."""
    if not targets:
        return []
    with ThreadPoolExecutor(max_workers=min(len(targets), 32)) as pool:
        results = pool.map(lambda t: wait_for_port(t, timeout), targets)
        return [dict(target=t, **r) for t, r in zip(targets, results)]
