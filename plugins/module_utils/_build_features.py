# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The optional parts of a distcc build, each in one class: what it decides in the plan, what it does
in the run, what it reports in the facts (and in check mode's message).

- Prepare: Kbuild's prepare targets (or the prepare option) made before the timed build, plain distcc;
- Pump: distcc's pump mode, with the include server running around the build;
- KbuildLean: Kbuild without its per-object work that makes no object, host programs on the workers;
- CompileCount: a local build's objects counted, through a program in front of the compiler;
- CpuBreakdown: the master's CPU split by what used it, through an accounting program;
- Backoff: distcc's backoff period, and the backoff files of earlier builds cleared at the start.
"""

from __future__ import annotations

import glob
import os
import pwd
import time

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.distrant.distcc.plugins.module_utils._build_types import PlanError
from ansible_collections.distrant.distcc.plugins.module_utils._client_log import parse_client_log
from ansible_collections.distrant.distcc.plugins.module_utils._compile_count import LOG_ENV as COUNT_LOG_ENV
from ansible_collections.distrant.distcc.plugins.module_utils._compile_count import (
    build_count_program,
    count_program_path,
)
from ansible_collections.distrant.distcc.plugins.module_utils._cpu_account import (
    LOG_ENV as CPU_LOG_ENV,
    AccountError,
    account_program_path,
    breakdown,
    build_account_program,
    parse_account_log,
)
from ansible_collections.distrant.distcc.plugins.module_utils._host_list import backoff_hosts, without_cpp
from ansible_collections.distrant.distcc.plugins.module_utils._ssh_hosts import (
    close_connections,
    configuration_hint,
    open_connections,
    ssh_targets,
)
from ansible_collections.distrant.distcc.plugins.module_utils._kbuild import (
    KBUILD_HOSTCC,
    host_compiler_wrapper,
    kbuild_lean_args,
    make_variables,
)
from ansible_collections.distrant.distcc.plugins.module_utils._pump import IncludeServer, PumpError, not_covered, pump_blockers
from ansible_collections.distrant.distcc.plugins.module_utils._tree import read_text
from ansible_collections.distrant.distcc.plugins.module_utils._tree_program import ProgramError


class Prepare:
    """The prepare targets: made before the build, in plain distcc mode (no include server yet)."""

    @staticmethod
    def plan(plan, params, base_cmd):
        prepare = params["prepare"]
        if prepare is None:
            prepare = ["prepare"] if plan.kernel else []
        # "[]" is an empty list written as key=value (prepare=[]): it names no target.
        plan.prepare = [word for item in prepare for word in str(item).split() if word != "[]"]
        plan.prepare_cmd = base_cmd + plan.prepare if plan.prepare else None
        plan.prepare_hosts = without_cpp(plan.entries) if plan.distcc else ""

    @staticmethod
    def run(plan, make, measured, progress):
        """Make the prepare targets (when there are); the build phase starts after them."""
        if plan.prepare_cmd:
            measured.rc = make(plan.prepare_cmd, {"DISTCC_HOSTS": plan.prepare_hosts})
            measured.prepare_seconds = time.monotonic() - progress.start
            measured.failed_in_prepare = measured.rc != 0
        progress.phase = "build"

    @staticmethod
    def failed(plan, measured):
        """What the failure message says of the prepare step ("" when the build itself failed)."""
        return "%s (the prepare step) " % " ".join(plan.prepare) if measured.failed_in_prepare else ""

    @staticmethod
    def facts(plan, measured):
        return dict(prepare_seconds=round(measured.prepare_seconds, 2), prepare_targets=plan.prepare)


class Pump:
    """distcc's pump mode: hosts with ,cpp,lzo and the include server running around the build."""

    @staticmethod
    def plan(plan, params, pump_installed, blockers=pump_blockers):
        """Resolve the pump option against the host list and the tree's headers, and the include server's options.

        A tree that is not a kernel is read for headers pump mode cannot cover (blockers(root) gives
        their count and the first few): with pump auto it is built in plain mode from the start, rather
        than switching pump mode off halfway after a failed remote compile; pump true builds it in
        pump mode anyway. Both are in the facts and the task's warning."""
        wanted = Pump._wanted(params["pump"])
        plan.pump = Pump._mode(wanted, params, plan.entries, pump_installed)
        if plan.pump and not plan.kernel:
            plan.pump_blockers_count, plan.pump_blockers = blockers(plan.chdir)
            # headers are read only when pump mode would be used: blockers and no pump mode mean plain from the start
            plan.pump = not plan.pump_blockers or wanted is not None
        plan.pump_path = params["pump_path"]
        plan.include_server_env = params["env"]
        options = list(params["include_server_options"])
        if options and not plan.pump:
            raise PlanError("include_server_options %s are for pump mode, and this build is not in pump mode "
                            "(pump: %s); drop them, or list workers with ,cpp,lzo" % (options, params["pump"]))
        own = [o for o in options if o.split("=", 1)[0] in ("--port", "--pid_file")]
        if own:
            raise PlanError("include_server_options may not set %s: the module gives the include server its socket "
                            "and pid file itself" % ", ".join(own))
        plan.include_server_options = options

    @staticmethod
    def _wanted(value):
        """None for auto, else the boolean asked for."""
        if isinstance(value, str) and value.strip().lower() == "auto":
            return None
        try:
            return boolean(value, strict=True)
        except TypeError:
            raise PlanError("pump must be auto, true or false, got %r" % (value,))

    @staticmethod
    def _mode(wanted, params, entries, pump_installed):
        if not params["distcc"]:
            if wanted:
                raise PlanError("pump: true needs distcc; a local build (distcc: false) has nothing to pump")
            return False
        cpp = [e["raw"] for e in entries if "cpp" in e["options"]]
        no_lzo = [e["raw"] for e in entries if "cpp" in e["options"] and "lzo" not in e["options"]]
        if no_lzo:
            raise PlanError("host %s has ,cpp without ,lzo: distcc's pump mode needs both (it would compile "
                            "everything locally); write it as HOST/LIMIT,cpp,lzo" % ", ".join(no_lzo))
        if wanted and not cpp:
            raise PlanError("pump: true but no host has the ,cpp option; list the workers as HOST/LIMIT,cpp,lzo "
                            "(the distcc_master role does with distcc_master_pump: true)")
        if wanted is False or not cpp:
            return False
        try:
            pump_installed(params["pump_path"])
        except PumpError as exc:
            raise PlanError("%s. Nothing was changed." % exc)
        return True

    @staticmethod
    def hosts(plan):
        """DISTCC_HOSTS of the build: outside pump mode no host may carry ,cpp (without an include
        server distcc would warn and preprocess on the master for each compile)."""
        return " ".join(e["raw"] for e in plan.entries) if plan.pump else without_cpp(plan.entries)

    @staticmethod
    def build(module, plan, make, measured):
        """Make the build, with the include server running in pump mode."""
        include_server, pump_env = None, {}
        if plan.pump:
            # the include server gets the caller's env, not the build's PATH and logs
            include_server = IncludeServer(plan.pump_path, options=plan.include_server_options,
                                           env=plan.include_server_env)
            try:
                pump_env = include_server.start()
            except PumpError as exc:
                module.fail_json(msg="%s. Nothing was built." % exc)
        try:
            measured.rc = make(plan.cmd, pump_env)
        finally:
            if include_server is not None:
                measured.pump_messages = include_server.stop()
                measured.include_server_cpu = (include_server.startup_cpu_seconds, include_server.server_cpu_seconds)

    @staticmethod
    def finish(plan, measured):
        if plan.pump:
            with open(plan.state.path("include_server_log"), "w") as handle:
                handle.write(measured.pump_messages)

    @staticmethod
    def facts(plan, measured):
        counts = measured.counts
        return dict(pump=plan.pump, remote_preprocessed=counts["remote_preprocessed"],
                    pump_fallbacks=counts["pump_fallbacks"], pump_switched_off=counts["pump_switched_off"],
                    pump_blockers=dict(count=plan.pump_blockers_count, first=plan.pump_blockers,
                                       plain_from_start=Pump._plain_from_start(plan)),
                    pump_not_covered=not_covered(measured.pump_messages))

    @staticmethod
    def _plain_from_start(plan):
        """pump auto built the tree in plain mode because of its blockers (read only when pump mode was on)."""
        return bool(plan.pump_blockers) and not plan.pump

    @staticmethod
    def warning(plan, measured):
        """One warning when the tree has headers pump mode cannot cover: built plain from the start, or forced."""
        if not plan.pump_blockers:
            return None
        first = plan.pump_blockers[0]
        where = "%s:%d (%s)%s" % (first["file"], first["line"], first["text"],
                                  " and %d more" % (plan.pump_blockers_count - 1) if plan.pump_blockers_count > 1
                                  else "")
        if Pump._plain_from_start(plan):
            return ("pump mode was not used: %s has a computed #include_next, whose header distcc's include server "
                    "leaves out of what it sends (a remote compile would fail, and pump mode be switched off "
                    "halfway); built in plain distcc mode from the start. pump: true forces pump mode" % where)
        return ("pump: true although %s has a computed #include_next, whose header distcc's include server leaves "
                "out of what it sends: compiles that include it may fail on the workers (pump mode is then switched "
                "off) or use a header of the worker's system" % where)

    @staticmethod
    def would(plan):
        return " in pump mode" if plan.pump else ""


class KbuildLean:
    """kbuild_lean: make arguments that spare the master Kbuild's per-object work that makes no object,
    and Kbuild's host programs compiled on the workers through a wrapper named like its HOSTCC."""

    @staticmethod
    def plan(plan, params):
        """The make arguments it adds; sets what it applies and the wrapper's directory and log."""
        if not params["kbuild_lean"]:
            return []
        if not plan.kernel:
            raise PlanError("kbuild_lean is for Linux kernel trees (Kbuild), and %s is not one; drop it" % plan.chdir)
        args, plan.kbuild_lean = kbuild_lean_args(plan.chdir, params["make_args"])
        if plan.pump and "--no_force_dirs" not in plan.include_server_options:
            plan.include_server_options.append("--no_force_dirs")
            plan.kbuild_lean.append("no_force_dirs")
        llvm = params["env"].get("LLVM", os.environ.get("LLVM", ""))
        if plan.distcc and params["compiler"] == KBUILD_HOSTCC and not str(llvm).strip() \
                and not make_variables(params["make_args"]) & {"HOSTCC", "LLVM"}:
            # Kbuild's host programs (modpost, relocs, kconfig...) compiled on the workers too: a wrapper named
            # gcc first on make's PATH, with the host compiles' own client log (they are not the tree's objects)
            plan.host_cc = dict(dir=os.path.abspath(plan.state.path("host_cc")),
                                log=os.path.abspath(plan.state.path("host_client_log")))
            plan.kbuild_lean.append("host_compiles")
        return args

    @staticmethod
    def env(plan):
        """The wrapper's directory first on make's PATH."""
        if plan.host_cc:
            path = plan.env.get("PATH", os.environ.get("PATH", os.defpath))
            plan.env["PATH"] = plan.host_cc["dir"] + os.pathsep + path

    @staticmethod
    def setup(module, plan):
        """Write the wrapper (rewritten at every build), after the accounting program the master's gcc builds."""
        if not plan.host_cc:
            return
        path = os.path.join(plan.host_cc["dir"], KBUILD_HOSTCC)
        try:
            os.makedirs(plan.host_cc["dir"], exist_ok=True)
            with open(path + ".new", "w") as handle:
                handle.write(host_compiler_wrapper(plan.host_cc["dir"], plan.client, plan.host_cc["log"]))
            os.chmod(path + ".new", 0o755)
            os.rename(path + ".new", path)
        except OSError as exc:
            module.fail_json(msg="cannot write %s: %s (is chdir writable by this user?)" % (path, exc))

    @staticmethod
    def finish(plan, measured):
        if plan.host_cc:
            counts = parse_client_log(read_text(plan.host_cc["log"]))
            measured.host_compiles = dict(compiles=counts["objects"], remote=counts["remote_objects"],
                                          jobs_per_host=counts["jobs_per_host"])

    @staticmethod
    def facts(plan, measured):
        return dict(kbuild_lean=plan.kbuild_lean, host_compiles=measured.host_compiles)

    @staticmethod
    def would(plan):
        return (", Kbuild's host compiles through %s/gcc (written first, first on make's PATH)" % plan.host_cc["dir"]
                if plan.host_cc else "")


class CompileCount:
    """A local build's objects, counted: a program in front of the compiler logs every compiler run."""

    @staticmethod
    def plan(state, params):
        """The counting program's path in a local build (None with distcc, whose client log counts)."""
        return count_program_path(state.dir) if not params["distcc"] else None

    @staticmethod
    def env(plan):
        if plan.counter:
            plan.env[COUNT_LOG_ENV] = plan.state.path("compile_log")

    @staticmethod
    def setup(module, plan, measured):
        """Build the counting program (with the build's compiler, else the master's cc). When neither builds
        one that runs here, a program that only runs the compiler takes its place: the build is the same,
        its objects are not counted, and the task says why (measured.not_counted)."""
        if not plan.counter:
            return
        env = dict(os.environ, **plan.env)
        errors = []
        for compiler in dict.fromkeys([plan.compiler, "cc"]):
            try:
                build_count_program(plan.counter, compiler, env)
                return
            except (ProgramError, OSError) as exc:
                errors.append(str(exc))
        with open(plan.counter, "w") as handle:
            handle.write('#!/bin/sh\n# distrant: the counting program could not be built; run the compiler\nexec "$@"\n')
        os.chmod(plan.counter, 0o755)
        measured.not_counted = "; ".join(errors)

    @staticmethod
    def would(plan):
        return ", the objects counted by %s (built first when missing)" % plan.counter if plan.counter else ""

    @staticmethod
    def warning(plan, measured):
        if not measured.not_counted:
            return None
        return "the local build's objects were not counted (objects 0): %s" % measured.not_counted


class CpuBreakdown:
    """cpu_breakdown: an accounting program in front of the compiler logs the CPU of each compile's processes."""

    @staticmethod
    def plan(state, params):
        """The accounting program's path (None without cpu_breakdown); decided first: the launcher names it."""
        return account_program_path(state.dir) if params["cpu_breakdown"] else None

    @staticmethod
    def env(plan):
        if plan.account:
            plan.env[CPU_LOG_ENV] = plan.state.path("cpu_log")

    @staticmethod
    def setup(module, plan):
        """Build the accounting program, before anything changes in the tree."""
        if not plan.account:
            return
        env = dict(os.environ, **plan.env)
        for name in [k for k in env if k.startswith("DISTCC_") or k == CPU_LOG_ENV]:
            del env[name]
        if plan.host_cc:  # the master's own gcc builds it, not the host compiles' wrapper
            env["PATH"] = os.pathsep.join(d for d in env["PATH"].split(os.pathsep) if d != plan.host_cc["dir"])
        try:
            build_account_program(plan.account, plan.compiler, env)
        except (AccountError, OSError) as exc:
            module.fail_json(msg="cpu_breakdown: %s. Nothing was changed or built; build without cpu_breakdown, or "
                                 "give a compiler that makes programs for the master" % exc)

    @staticmethod
    def finish(plan, measured):
        if plan.account:
            counts = measured.counts
            processes = parse_account_log(read_text(plan.state.path("cpu_log")))
            measured.cpu_breakdown = breakdown(
                measured.host_cpu, measured.user + measured.sys, processes, measured.include_server_cpu,
                counts["objects"],
                # every object distcc compiled had its client process, each of which wrote a line
                compiles=counts["objects"] if plan.distcc else None)

    @staticmethod
    def facts(plan, measured):
        return dict(cpu_breakdown=measured.cpu_breakdown)

    @staticmethod
    def warning(plan, measured):
        """A warning when the log has fewer lines than compiles (the shares it cannot give are left out)."""
        cpu = measured.cpu_breakdown
        if not cpu or cpu["complete"]:
            return None
        return ("cpu_breakdown: %d compiles but %d lines in %s (a process killed, or a log it could not write); "
                "the client's and make's shares are left out"
                % (measured.counts["objects"], cpu["client_processes"], plan.state.path("cpu_log")))

    @staticmethod
    def would(plan):
        return ", the master's CPU measured by %s (built first when missing)" % plan.account if plan.account else ""


class SshHosts:
    """The SSH workers' connections: each opened before make (a refused host key or key fails the build with ssh's
    words; a silent worker is a warning, left to distcc), and those this build opened closed after it."""

    @staticmethod
    def _run(module, plan):
        def run(argv):
            return module.run_command(argv, environ_update=plan.env)
        return run

    @staticmethod
    def setup(module, plan, measured):
        if not plan.distcc or not ssh_targets(plan.entries):
            return
        run = SshHosts._run(module, plan)
        opened, refused, silent = open_connections(run, plan.env, plan.entries)
        measured.ssh_opened = opened
        if refused:
            close_connections(run, plan.env, plan.entries, opened)
            module.fail_json(msg="ssh refused %s before the build: %s. A worker whose host key changed is refused on "
                                 "purpose (the master role pins each worker's key: run it again once the new key is "
                                 "known to be the worker's); a refused key means the worker does not admit this "
                                 "master's (run the worker role). Nothing was built.%s"
                             % (", ".join(label for label, why in refused),
                                "; ".join("%s: %s" % (label, why.rstrip(".")) for label, why in refused),
                                configuration_hint(plan.env, os.environ)))
        for label, why in silent:
            module.warn("ssh could not open a connection to the worker %s before the build (%s): distcc leaves it "
                        "out while it does not answer" % (label, why))

    @staticmethod
    def finish(module, plan, measured):
        if measured.ssh_opened:
            close_connections(SshHosts._run(module, plan), plan.env, plan.entries, measured.ssh_opened)


class Backoff:
    """distcc's backoff period (DISTCC_BACKOFF_PERIOD), and the listed hosts' backoff files cleared at the start."""

    @staticmethod
    def plan(plan, params):
        backoff = plan.env["DISTCC_BACKOFF_PERIOD"]
        plan.backoff_period = int(backoff) if backoff.isdigit() else params["backoff_period"]

    @staticmethod
    def distcc_dir(env):
        """distcc's state directory for this build (DISTCC_DIR, else ~/.distcc of the environment's HOME)."""
        if env.get("DISTCC_DIR") or os.environ.get("DISTCC_DIR"):
            return env.get("DISTCC_DIR") or os.environ["DISTCC_DIR"]
        home = env.get("HOME") or os.environ.get("HOME") or pwd.getpwuid(os.getuid()).pw_dir
        return os.path.join(home, ".distcc")

    @staticmethod
    def clear(env, entries, period):
        """Remove the backoff files of the listed hosts; return those that were still in their period."""
        wanted = backoff_hosts(entries)
        found = []
        now = time.time()
        for path in sorted(glob.glob(os.path.join(Backoff.distcc_dir(env), "lock", "backoff_*"))):
            name = os.path.basename(path)
            if name not in wanted:
                continue
            try:
                age = now - os.stat(path).st_mtime
                os.unlink(path)
            except OSError:
                continue
            if age < period:
                found.append(wanted[name])
        return found

    @staticmethod
    def setup(module, plan, measured):
        if plan.distcc:
            measured.backoff_at_start = Backoff.clear(plan.env, plan.entries, plan.backoff_period)

    @staticmethod
    def facts(plan, measured):
        return dict(backoff_period=plan.backoff_period, backoff_at_start=measured.backoff_at_start)
