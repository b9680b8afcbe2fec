#!/usr/bin/python
# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: distcc_build
short_description: Timed distributed (or local) make of a kernel tree, returning facts
version_added: 0.1.0
description:
  - Runs C(make -jN CC="distcc <compiler>") (or C(CC=<compiler>) for a local baseline) in a
    kernel tree, as an argv list, with C(DISTCC_HOSTS) and a client log (C(DISTCC_LOG)).
  - Times it (wall clock, user and system CPU of all the children) and accounts for every
    compile from the client log, returning C(ansible_facts.distcc_build).
  - One build per tree at a time; a second build on the same tree fails at once with a
    message naming the running one (a lock file in C(<chdir>/.distrant/)).
  - Writes C(<chdir>/.distrant/progress.json) while it runs (objects so far, per host), which
    the action plugin of the same name prints at a steady interval.
options:
  chdir:
    description: The kernel tree (a directory with a Makefile).
    type: path
    required: true
  target:
    description:
      - Make target, or several separated by spaces (e.g. C(kernel/ mm/)); by default make's default goal
        (the kernel image and what it needs).
    type: str
  jobs:
    description:
      - C(-j) of make, an integer >= 1, or C(auto).
      - C(auto) with distcc is the sum of the hosts' job limits (C(/LIMIT), distcc's default 4 for a
        remote host and 2 for localhost); without distcc it is the CPUs this host can use (cgroup
        quota included).
    type: raw
    default: auto
  hosts:
    description:
      - DISTCC_HOSTS to build with. By default the content of O(hosts_file).
    type: str
  hosts_file:
    description: File read when O(hosts) is not given (the master role writes it).
    type: path
    default: /etc/distcc/hosts
  compiler:
    description: The compiler distcc runs (it must be whitelisted on the workers).
    type: str
    default: gcc
  clean:
    description:
      - C(none) builds incrementally; C(clean) runs C(make clean) first; C(distclean) runs
        C(make distclean) first and keeps the tree's C(.config).
    type: str
    choices: [none, clean, distclean]
    default: none
  distcc:
    description: C(false) builds locally with the same command otherwise (the baseline).
    type: bool
    default: true
  env:
    description: Extra environment variables for make and distcc.
    type: dict
    default: {}
  timeout:
    description: Seconds before the build is stopped and reported as failed.
    type: int
    default: 3600
  io_timeout:
    description:
      - Seconds the distcc client waits on a silent worker (C(DISTCC_IO_TIMEOUT), distcc's default is 300)
        before it gives the job up and compiles it locally. This is what bounds the stall when a worker
        vanishes from the network in the middle of a build.
      - Raise it when single objects take longer than this to compile on the workers.
      - A C(DISTCC_IO_TIMEOUT) in O(env) wins.
    type: int
    default: 60
  pump:
    description:
      - distcc's pump mode, which moves preprocessing from the master to the workers; the master
        only scans each source for the headers it needs and ships them, with the source, to the worker.
      - C(auto) uses pump mode when a host in the list has the C(,cpp) option (the distcc_master role
        writes such a list when C(distcc_master_pump) is on); C(true) requires such a host.
      - The module starts the include server from O(pump_path) itself, with its files in a private
        directory under C(/tmp), and stops it (bounded wait) and removes the directory afterwards. It
        does not use Debian's C(distcc-pump) wrapper, which is broken on Python >= 3.10 (see the README).
      - A host with C(,cpp) must also have C(,lzo) (distcc requires it and otherwise compiles locally).
    type: raw
    default: auto
  pump_path:
    description:
      - Directory holding the fixed include server (C(include_server/include_server.py) and its C
        extension), as the distcc_master role installs it with C(distcc_master_pump).
    type: path
    default: /usr/local/lib/distrant-distcc/pump
attributes:
  check_mode:
    support: full
    description: Reports the command that would run and builds nothing.
  diff_mode:
    support: none
    description: Nothing to diff.
author:
  - distrant.distcc contributors (@distrant)
"""

EXAMPLES = r"""
- name: Build the kernel across the farm
  distrant.distcc.distcc_build:
    chdir: /srv/distcc-build/linux-6.1
    clean: clean
  become: true
  become_user: distcc-build

- name: The same build on the master alone, as a baseline
  distrant.distcc.distcc_build:
    chdir: /srv/distcc-build/linux-6.1
    clean: clean
    distcc: false
    jobs: 1

- name: Pump mode (the master role installed the include server with distcc_master_pump)
  distrant.distcc.distcc_build:
    chdir: /srv/distcc-build/linux-6.1
    hosts: localhost/1 10.200.1.3/8,cpp,lzo
    pump: true
    clean: clean

- name: A directory target with explicit hosts
  distrant.distcc.distcc_build:
    chdir: /srv/distcc-build/linux-6.1
    target: kernel/
    hosts: 10.200.1.3/8,lzo
    jobs: 8
"""

RETURN = r"""
cmd:
  description: The make command (argv).
  returned: always
  type: list
  elements: str
  sample: ["make", "-j8", "CC=distcc gcc"]
ansible_facts:
  description: Facts about the build.
  returned: when the build ran
  type: dict
  contains:
    distcc_build:
      description: The build's numbers.
      type: dict
      returned: when the build ran
      contains:
        wall_seconds: {description: Wall-clock time of make., type: float, returned: always, sample: 185.2}
        user_seconds: {description: User CPU of make and all its children on this host., type: float, returned: always, sample: 120.4}
        sys_seconds: {description: System CPU of make and all its children on this host., type: float, returned: always, sample: 30.1}
        host_cpu_seconds:
          description:
            - CPU this whole host used while make ran (its cgroup's counter for a container, else C(/proc/stat)), the
              include server, distccd and everything else on it included; null when there is no counter to read.
          type: float
          returned: always
          sample: 42.7
        jobs: {description: The -j used., type: int, returned: always, sample: 8}
        hosts: {description: DISTCC_HOSTS used (empty for a local build)., type: str, returned: always, sample: 10.200.1.3/8}
        jobs_per_host:
          description: Compiles completed on each host, localhost included (from the client log).
          type: dict
          returned: always
          sample: {"10.200.1.3": 440, "localhost": 11}
        local_fallbacks: {description: Compiles that failed remotely and were redone locally., type: int, returned: always, sample: 0}
        failed_remote:
          description: Compiles whose remote attempt failed (connection refused, I/O timeout, compiler error there).
          type: int
          returned: always
          sample: 0
        pump: {description: Whether pump mode was used (preprocessing on the workers)., type: bool, returned: always, sample: true}
        remote_preprocessed:
          description: Compiles preprocessed and compiled on a worker in pump mode (0 without pump mode).
          type: int
          returned: always
          sample: 440
        pump_fallbacks:
          description: Compiles for which pump mode was given up and the master preprocessed after all.
          type: int
          returned: always
          sample: 0
        objects:
          description: Compiles completed (the sum of jobs_per_host); 0 when O(distcc=false), which writes no client log.
          type: int
          returned: always
          sample: 451
        rc: {description: make's exit code., type: int, returned: always, sample: 0}
        artifact:
          description: Path of the kernel image (C(make image_name)).
          type: str
          returned: always
          sample: /srv/distcc-build/linux-6.1/arch/x86/boot/bzImage
        artifact_bytes: {description: Its size in bytes (0 when missing)., type: int, returned: always, sample: 563200}
        kernel_version: {description: C(make kernelversion)., type: str, returned: always, sample: 6.1.158}
        config: {description: The configuration target recorded by the master role (C(unknown) if none)., type: str, returned: always, sample: tinyconfig}
        distcc: {description: Whether distcc was used., type: bool, returned: always, sample: true}
        started_at: {description: Start time (UTC ISO 8601)., type: str, returned: always, sample: "2026-11-24T07:00:00Z"}
        client_log: {description: The distcc client log of this build., type: str, returned: always, sample: /srv/distcc-build/linux-6.1/.distrant/client.log}
stdout_lines:
  description: The last lines of make's output.
  returned: always
  type: list
  elements: str
"""

import errno
import fcntl
import json
import math
import os
import resource
import threading
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.distrant.distcc.plugins.module_utils._build import (
    ClientLog,
    HostsError,
    auto_jobs,
    parse_hosts,
)
from ansible_collections.distrant.distcc.plugins.module_utils._cgroup import cpu_used_from_fs, read_host_cpus
from ansible_collections.distrant.distcc.plugins.module_utils._pump import IncludeServer, PumpError, check_installed

STATE_DIR = ".distrant"
TAIL_LINES = 40
PROGRESS_EVERY = 2.0


def _effective_cpus():
    """Whole CPUs this host can use (cgroup quota included, rounded up), for a local -j."""
    return max(1, int(math.ceil(read_host_cpus()["effective_cpus"] - 1e-9)))


def _host_cpu_used():
    """CPU seconds this host (its cgroup, for a container) has used so far, or None."""
    return cpu_used_from_fs(_read("/proc/1/cgroup"))[0]


def _tail(path, lines=TAIL_LINES):
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 16384))
            return handle.read().decode("utf-8", "replace").splitlines()[-lines:]
    except (IOError, OSError):
        return []


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except (IOError, OSError):
        return ""


def _make_value(module, chdir, target):
    rc, out, dummy = module.run_command(["make", "-s", target], cwd=chdir)
    return out.strip().splitlines()[-1] if rc == 0 and out.strip() else ""


def _lock(module, state):
    path = os.path.join(state, "build.lock")
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (IOError, OSError) as exc:
        if exc.errno not in (errno.EAGAIN, errno.EACCES):
            raise
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        module.fail_json(
            msg="another build is running on this tree (%s); wait for it to finish or stop it, "
            "then run again. Nothing was changed." % holder,
            lock=path,
        )
    handle.seek(0)
    handle.truncate()
    handle.write("pid %d, started %s" % (os.getpid(), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
    handle.flush()
    return handle


def _write_progress(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        json.dump(data, handle)
    os.rename(tmp, path)


def _pump_mode(module, entries):
    """Resolve the pump option against the host list; fail before anything runs."""
    value = module.params["pump"]
    if isinstance(value, str) and value.strip().lower() == "auto":
        wanted = None
    else:
        try:
            wanted = boolean(value, strict=True)
        except TypeError:
            module.fail_json(msg="pump must be auto, true or false, got %r" % (value,))
    if not module.params["distcc"]:
        if wanted:
            module.fail_json(msg="pump: true needs distcc; a local build (distcc: false) has nothing to pump")
        return False
    cpp = [e["raw"] for e in entries if "cpp" in e["options"]]
    no_lzo = [e["raw"] for e in entries if "cpp" in e["options"] and "lzo" not in e["options"]]
    if no_lzo:
        module.fail_json(msg="host %s has ,cpp without ,lzo: distcc's pump mode needs both (it would compile "
                             "everything locally); write it as HOST/LIMIT,cpp,lzo" % ", ".join(no_lzo))
    if wanted and not cpp:
        module.fail_json(msg="pump: true but no host has the ,cpp option; list the workers as HOST/LIMIT,cpp,lzo "
                             "(the distcc_master role does with distcc_master_pump: true)")
    if wanted is False or not cpp:
        return False
    try:
        check_installed(module.params["pump_path"])
    except PumpError as exc:
        module.fail_json(msg="%s. Nothing was changed." % exc)
    return True


def main():
    module = AnsibleModule(
        argument_spec=dict(
            chdir=dict(type="path", required=True),
            target=dict(type="str"),
            jobs=dict(type="raw", default="auto"),
            hosts=dict(type="str"),
            hosts_file=dict(type="path", default="/etc/distcc/hosts"),
            compiler=dict(type="str", default="gcc"),
            clean=dict(type="str", default="none", choices=["none", "clean", "distclean"]),
            distcc=dict(type="bool", default=True),
            env=dict(type="dict", default={}),
            timeout=dict(type="int", default=3600),
            io_timeout=dict(type="int", default=60),
            pump=dict(type="raw", default="auto"),
            pump_path=dict(type="path", default="/usr/local/lib/distrant-distcc/pump"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    chdir = params["chdir"]
    if not os.path.isfile(os.path.join(chdir, "Makefile")):
        module.fail_json(msg="chdir %s is not a source tree (no Makefile there); point it at the unpacked kernel" % chdir)
    if params["timeout"] < 1:
        module.fail_json(msg="timeout must be at least 1 second, got %d" % params["timeout"])
    if params["io_timeout"] < 1:
        module.fail_json(msg="io_timeout must be at least 1 second, got %d" % params["io_timeout"])
    if any(not isinstance(v, (str, int, float, bool)) for v in params["env"].values()):
        module.fail_json(msg="env values must be strings or numbers")

    hosts_text = ""
    entries = []
    if params["distcc"]:
        if params["hosts"] is not None:
            hosts_text = params["hosts"]
        else:
            if not os.path.isfile(params["hosts_file"]):
                module.fail_json(msg="hosts_file %s does not exist; give hosts, or run the distcc_master role first"
                                 % params["hosts_file"])
            hosts_text = _read(params["hosts_file"])
        try:
            entries = parse_hosts(hosts_text)
        except HostsError as exc:
            module.fail_json(msg=str(exc))
        if not entries:
            module.fail_json(msg="no distcc hosts: %s is empty; list hosts, or build with distcc=false"
                             % ("hosts" if params["hosts"] is not None else params["hosts_file"]))
        hosts_text = " ".join(entry["raw"] for entry in entries)

    pump = _pump_mode(module, entries)

    jobs = params["jobs"]
    if jobs in (None, "", "auto"):
        jobs = auto_jobs(entries) if params["distcc"] else _effective_cpus()
    else:
        try:
            jobs = int(jobs)
        except (TypeError, ValueError):
            module.fail_json(msg="jobs must be an integer >= 1 or 'auto', got %r" % (params["jobs"],))
        if jobs < 1:
            module.fail_json(msg="jobs must be an integer >= 1 or 'auto', got %d" % jobs)

    compiler_cc = ("distcc %s" % params["compiler"]) if params["distcc"] else params["compiler"]
    cmd = ["make", "-j%d" % jobs, "CC=%s" % compiler_cc]
    if params["target"]:
        cmd.extend(params["target"].split())
    result = dict(changed=False, cmd=cmd, stdout_lines=[])
    if module.check_mode:
        result.update(changed=True, msg="would run %s in %s with DISTCC_HOSTS=%r%s"
                      % (" ".join(cmd), chdir, hosts_text, " in pump mode" if pump else ""))
        module.exit_json(**result)

    state = os.path.join(chdir, STATE_DIR)
    try:
        os.makedirs(state, exist_ok=True)
    except OSError as exc:
        module.fail_json(msg="cannot create %s: %s (is chdir writable by this user?)" % (state, exc))
    lock = _lock(module, state)
    client_log = os.path.join(state, "client.log")
    make_log = os.path.join(state, "make.log")
    progress = os.path.join(state, "progress.json")
    for path in (client_log, progress):
        if os.path.exists(path):
            os.unlink(path)

    env = {k: str(v) for k, v in params["env"].items()}
    env.setdefault("DISTCC_IO_TIMEOUT", str(params["io_timeout"]))
    env.update(DISTCC_LOG=client_log, DISTCC_HOSTS=hosts_text, LC_ALL="C")
    if not params["distcc"]:
        env["DISTCC_HOSTS"] = ""

    if params["clean"] != "none":
        config = os.path.join(chdir, ".config")
        saved = _read(config) if params["clean"] == "distclean" and os.path.exists(config) else None
        rc, out, err = module.run_command(["make", params["clean"]], cwd=chdir)
        if rc != 0:
            module.fail_json(msg="make %s failed (rc %d)" % (params["clean"], rc), rc=rc, stdout_lines=(out + err).splitlines()[-TAIL_LINES:])
        if saved is not None:
            with open(config, "w") as handle:
                handle.write(saved)

    include_server = None
    pump_messages = ""
    if pump:
        include_server = IncludeServer(params["pump_path"])
        try:
            env.update(include_server.start())
        except PumpError as exc:
            lock.close()
            module.fail_json(msg="%s. Nothing was built." % exc)

    started_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    host_before = _host_cpu_used()
    start = time.monotonic()
    # make runs under coreutils' timeout (TERM, then KILL 20 s later); a thread keeps the
    # progress file current while run_command waits for it.
    argv = ["timeout", "--kill-after=20", str(params["timeout"])] + cmd
    stop = threading.Event()

    client = ClientLog()
    client_offset = [0]

    def read_client_log():
        """Parse only what the client log gained since the last call."""
        try:
            with open(client_log, "rb") as handle:
                handle.seek(client_offset[0])
                data = handle.read()
        except (IOError, OSError):
            return
        client_offset[0] += len(data)
        client.feed(data.decode("utf-8", "replace"))

    def report_progress():
        while not stop.wait(PROGRESS_EVERY):
            read_client_log()
            counts = client.counts()
            _write_progress(progress, dict(elapsed=round(time.monotonic() - start, 1), objects=counts["objects"],
                                           jobs_per_host=counts["jobs_per_host"],
                                           local_fallbacks=counts["local_fallbacks"], running=True))

    reporter = threading.Thread(target=report_progress, daemon=True)
    reporter.start()
    try:
        rc, out, err = module.run_command(argv, cwd=chdir, environ_update=env)
    finally:
        stop.set()
        reporter.join()
        if include_server is not None:
            pump_messages = include_server.stop()
    timed_out = rc in (124, 137)
    with open(make_log, "w") as handle:
        handle.write(out + err)
    if pump:
        with open(os.path.join(state, "include_server.log"), "w") as handle:
            handle.write(pump_messages)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    host_after = _host_cpu_used()
    read_client_log()
    counts = client.feed("", final=True).counts()
    _write_progress(progress, dict(elapsed=round(wall, 1), objects=counts["objects"], jobs_per_host=counts["jobs_per_host"],
                                   local_fallbacks=counts["local_fallbacks"], running=False))
    tail = _tail(make_log)
    artifact_rel = _make_value(module, chdir, "image_name")
    artifact = os.path.join(chdir, artifact_rel) if artifact_rel else os.path.join(chdir, "vmlinux")
    marker = _read(os.path.join(chdir, ".distrant-config-target")).strip()
    facts = dict(
        wall_seconds=round(wall, 2),
        user_seconds=round(after.ru_utime - before.ru_utime, 2),
        sys_seconds=round(after.ru_stime - before.ru_stime, 2),
        host_cpu_seconds=round(host_after - host_before, 2) if None not in (host_before, host_after) else None,
        jobs=jobs,
        hosts=hosts_text,
        jobs_per_host=counts["jobs_per_host"],
        local_fallbacks=counts["local_fallbacks"],
        failed_remote=counts["failed_remote"],
        objects=counts["objects"],
        pump=pump,
        remote_preprocessed=counts["remote_preprocessed"],
        pump_fallbacks=counts["pump_fallbacks"],
        rc=rc,
        artifact=artifact,
        artifact_bytes=os.path.getsize(artifact) if os.path.isfile(artifact) else 0,
        kernel_version=_make_value(module, chdir, "kernelversion"),
        config=marker or "unknown",
        distcc=params["distcc"],
        started_at=started_at,
        client_log=client_log,
        make_log=make_log,
    )
    lock.seek(0)
    lock.truncate()
    lock.close()
    result.update(changed=True, stdout_lines=tail, ansible_facts=dict(distcc_build=facts))
    if timed_out:
        module.fail_json(msg="the build did not finish within %d s and was stopped; the tree is as make left it" % params["timeout"],
                         rc=rc, **result)
    if rc != 0:
        module.fail_json(msg="make failed (rc %d) in %s; the tree is as make left it, see the last lines below and %s"
                         % (rc, chdir, make_log), rc=rc, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
