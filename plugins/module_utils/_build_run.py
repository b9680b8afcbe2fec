# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""distcc_build's run: the plan's steps under the tree's lock, what they measured, and the facts of it."""

from __future__ import annotations

import math
import os
import resource
import time

from ansible_collections.distrant.distcc.plugins.module_utils._build_ccache import Ccache
from ansible_collections.distrant.distcc.plugins.module_utils._build_features import (
    Backoff,
    CompileCount,
    CpuBreakdown,
    KbuildLean,
    Prepare,
    Pump,
    SshHosts,
)
from ansible_collections.distrant.distcc.plugins.module_utils._build_types import Measured
from ansible_collections.distrant.distcc.plugins.module_utils._ccache import STATS_LOG_ENV as CCACHE_STATS_LOG_ENV
from ansible_collections.distrant.distcc.plugins.module_utils._cgroup import cpu_used_from_fs
from ansible_collections.distrant.distcc.plugins.module_utils._client_log import distributable, format_reasons, stranded
from ansible_collections.distrant.distcc.plugins.module_utils._compile_count import LOG_ENV as COUNT_LOG_ENV
from ansible_collections.distrant.distcc.plugins.module_utils._host_list import transport
from ansible_collections.distrant.distcc.plugins.module_utils._cpu_account import LOG_ENV as CPU_LOG_ENV
from ansible_collections.distrant.distcc.plugins.module_utils._progress import Progress
from ansible_collections.distrant.distcc.plugins.module_utils._tree import TreeBusy, read_text

TAIL_LINES = 40
# The build's files of an earlier build that this one writes again (the others are overwritten whole).
STALE_FILES = ("client_log", "compile_log", "progress", "cpu_log", "host_client_log", "ccache_stats_log")


def host_cpu_used():
    """CPU seconds this host (its cgroup, for a container) has used so far, or None."""
    return cpu_used_from_fs(read_text("/proc/1/cgroup"))[0]


def tail(path, lines=TAIL_LINES):
    """The last lines of a file ([] when it cannot be read)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 16384))
            return handle.read().decode("utf-8", "replace").splitlines()[-lines:]
    except (IOError, OSError):
        return []


def result(plan):
    """The module's result before the build has run (check mode's, with its message)."""
    return dict(changed=True, cmd=plan.cmd, prepare_cmd=plan.prepare_cmd, configure_cmd=plan.configure_cmd,
                build_system=plan.build_system, build_dir=plan.build_dir, stdout_lines=[])


def would(plan):
    """What check mode reports this build would do."""
    return ("would run %s in %s with DISTCC_HOSTS=%r%s"
            % (", then ".join(" ".join(step.argv) for step in plan.steps()), plan.build_dir, plan.env["DISTCC_HOSTS"],
               Pump.would(plan))
            + CompileCount.would(plan) + CpuBreakdown.would(plan) + KbuildLean.would(plan) + Ccache.would(plan))


def clean(module, plan):
    """make (or ninja) clean, or make distclean (keeping a kernel's .config), before the timed build.

    A build directory that was never configured (the plan's ``configured``) has nothing to clean."""
    if plan.clean == "none" or not plan.configured:
        return
    config = os.path.join(plan.build_dir, ".config")
    saved = read_text(config) if plan.clean == "distclean" and plan.kernel and os.path.exists(config) else None
    rc, out, err = module.run_command([plan.tool, plan.clean], cwd=plan.build_dir)
    if rc != 0:
        module.fail_json(msg="%s %s failed (rc %d)" % (plan.tool, plan.clean, rc), rc=rc,
                         stdout_lines=(out + err).splitlines()[-TAIL_LINES:])
    if saved is not None:
        with open(config, "w") as handle:
            handle.write(saved)


def configure(module, plan):
    """configure or cmake, with the local compilers (their probes are not worth distributing); its seconds."""
    if not plan.configure_needed:
        return None
    try:
        os.makedirs(plan.build_dir, exist_ok=True)
    except OSError as exc:
        module.fail_json(msg="cannot create the build directory %s: %s" % (plan.build_dir, exc))
    env = dict(plan.env, CC=plan.compiler, CXX=plan.cxx_compiler, DISTCC_HOSTS="localhost")
    env.pop("DISTCC_LOG", None)
    env.pop(CPU_LOG_ENV, None)
    env.pop(COUNT_LOG_ENV, None)
    env.pop(CCACHE_STATS_LOG_ENV, None)
    start = time.monotonic()
    rc, out, err = module.run_command(plan.configure_cmd, cwd=plan.build_dir, environ_update=env)
    log = plan.state.path("configure_log")
    with open(log, "w") as handle:
        handle.write(out + err)
    if rc != 0:
        module.fail_json(msg="%s failed (rc %d) in %s; see the last lines below and %s"
                         % (os.path.basename(plan.configure_cmd[0]), rc, plan.build_dir, log),
                         rc=rc, stdout_lines=(out + err).splitlines()[-TAIL_LINES:])
    return time.monotonic() - start


def run(module, plan):
    """Lock the tree, clean it, configure it, make the prepare targets then the build (with the include
    server in pump mode) under the timeout, keeping the progress file current; returns what was measured.

    The lock is held for the whole run and released however it ends (module.fail_json included)."""
    state = plan.state
    try:
        os.makedirs(state.dir, exist_ok=True)
    except OSError as exc:
        module.fail_json(msg="cannot create %s: %s (is chdir writable by this user?)" % (state.dir, exc))
    lock = state.lock()
    try:
        with lock:
            return _run_locked(module, plan)
    except TreeBusy as exc:
        module.fail_json(msg="another build is running on this tree (%s); wait for it to finish or stop it, "
                             "then run again. Nothing was changed." % exc, lock=lock.path)


def _run_locked(module, plan):
    state = plan.state
    for name in STALE_FILES:
        if os.path.exists(state.path(name)):
            os.unlink(state.path(name))
    measured = Measured(started_at="")
    CpuBreakdown.setup(module, plan)  # before anything changes in the tree
    CompileCount.setup(module, plan, measured)
    KbuildLean.setup(module, plan)  # after the accounting program, which the master's own gcc builds
    Backoff.setup(module, plan, measured)
    SshHosts.setup(module, plan, measured)  # a worker ssh refuses fails the build before the tree is cleaned
    Ccache.setup(module, plan)
    clean(module, plan)
    measured.configure_seconds = configure(module, plan)
    measured.started_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    host_before = host_cpu_used()
    progress = Progress(state.path("progress"), state.path("client_log" if plan.distcc else "compile_log"),
                        plan.distcc, stats_log=plan.ccache.stats_log if plan.ccache else None)
    deadline = progress.start + plan.timeout
    outputs = []

    def make(argv, extra_env):
        # make runs under coreutils' timeout (TERM, then KILL 20 s later) for what is left of
        # the build's time; the progress thread keeps the progress file current meanwhile.
        left = max(1, int(math.ceil(deadline - time.monotonic())))
        code, out, err = module.run_command(["timeout", "--kill-after=20", str(left)] + argv, cwd=plan.build_dir,
                                            environ_update=dict(plan.env, **extra_env))
        outputs.append(out + err)
        return code

    with progress:
        Prepare.run(plan, make, measured, progress)
        if measured.rc == 0:
            Pump.build(module, plan, make, measured)
    measured.wall = time.monotonic() - progress.start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    host_after = host_cpu_used()
    measured.user = after.ru_utime - before.ru_utime
    measured.sys = after.ru_stime - before.ru_stime
    measured.host_cpu = host_after - host_before if None not in (host_before, host_after) else None
    measured.timed_out = measured.rc in (124, 137)
    with open(state.path("make_log"), "w") as handle:
        handle.write("".join(outputs))
    Pump.finish(plan, measured)
    SshHosts.finish(module, plan, measured)
    measured.counts = progress.final()
    KbuildLean.finish(plan, measured)
    CpuBreakdown.finish(plan, measured)
    Ccache.finish(plan, measured)
    return measured


def remote_share(counts):
    """The share of the objects distcc could distribute that were compiled on the workers (None: none could)."""
    return round(counts["remote_objects"] / float(distributable(counts)), 4) if distributable(counts) > 0 else None


def facts(plan, measured, make_value):
    """The distcc_build facts of a finished build (make_value(target): a value the tree's Makefile prints)."""
    counts = measured.counts
    artifact = plan.artifact
    if artifact is None and plan.kernel:
        artifact = make_value("image_name") or "vmlinux"
    artifact = os.path.join(plan.build_dir, artifact) if artifact else None
    marker = read_text(os.path.join(plan.chdir, ".distrant-config-target")).strip()
    build = dict(
        wall_seconds=round(measured.wall, 2),
        build_system=plan.build_system,
        build_dir=plan.build_dir,
        configure_seconds=round(measured.configure_seconds, 2) if measured.configure_seconds is not None else None,
        user_seconds=round(measured.user, 2),
        sys_seconds=round(measured.sys, 2),
        host_cpu_seconds=round(measured.host_cpu, 2) if measured.host_cpu is not None else None,
        jobs=plan.jobs,
        hosts=plan.env["DISTCC_HOSTS"],
        transport=transport(plan.entries) if plan.distcc else None,
        jobs_per_host=counts["jobs_per_host"],
        remote_objects=counts["remote_objects"],
        remote_share=remote_share(counts) if plan.distcc else None,
        local_reasons=counts["local_reasons"],
        local_fallbacks=counts["local_fallbacks"],
        failed_remote=counts["failed_remote"],
        objects=counts["objects"],
        rc=measured.rc,
        artifact=artifact,
        artifact_bytes=(os.path.getsize(artifact) if os.path.isfile(artifact) else 0) if artifact else None,
        kernel_version=make_value("kernelversion") if plan.kernel else None,
        config=(marker or "unknown") if plan.kernel else (marker or None),
        distcc=plan.distcc,
        started_at=measured.started_at,
        client_log=plan.state.path("client_log"),
        client=plan.client if plan.distcc else None,
        make_log=plan.state.path("make_log"),
    )
    for feature in (Prepare, Backoff, Pump, CpuBreakdown, KbuildLean, Ccache):
        build.update(feature.facts(plan, measured))
    return build


def stranded_warning(plan, counts):
    """A warning when objects ran on the master for another reason than a localhost slot or distcc's rules."""
    on_master = stranded(counts["local_reasons"]) if plan.distcc else {}
    if not on_master:
        return None
    has_localhost = any(e["host"] == "localhost" for e in plan.entries)
    return ("%d of %d objects were compiled on the master although %s: %s (see %s)"
            % (sum(on_master.values()), counts["objects"],
               "the host list gives it a slot of its own" if has_localhost else "the host list names workers only",
               format_reasons(on_master), plan.state.path("client_log")))


def report(module, plan, measured, build):
    """Warn of what went on the master, then end the module: failed (timeout, make's rc, min_remote_share) or not."""
    counts = measured.counts
    done = dict(result(plan), stdout_lines=tail(build["make_log"]), ansible_facts=dict(distcc_build=build))
    for warning in [Pump.warning(plan, measured), stranded_warning(plan, counts), CpuBreakdown.warning(plan, measured),
                    CompileCount.warning(plan, measured)] + Ccache.warnings(plan, measured):
        if warning:
            module.warn(warning)
    rc = measured.rc
    if measured.timed_out:
        module.fail_json(msg="the build did not finish within %d s and was stopped; the tree is as make left it"
                         % plan.timeout, rc=rc, **done)
    if rc != 0:
        module.fail_json(msg="%s %sfailed (rc %d) in %s; the tree is as %s left it, see the last lines below and %s"
                         % (plan.tool, Prepare.failed(plan, measured), rc, plan.build_dir, plan.tool,
                            build["make_log"]), rc=rc, **done)
    share = build["remote_share"]
    if plan.min_remote_share > 0 and share is not None and share < plan.min_remote_share:
        module.fail_json(msg="only %d of %d objects distcc could distribute (%.1f%%) were compiled on the workers, "
                             "less than min_remote_share %s; on the master: %s. The build itself succeeded; see %s"
                         % (counts["remote_objects"], distributable(counts), 100 * share, plan.min_remote_share,
                            format_reasons(counts["local_reasons"]) or "none",
                            build["client_log"]), remote_share_failed=True, **done)
    module.exit_json(**done)
