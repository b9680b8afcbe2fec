# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""distcc_build's plan: everything decided from the parameters and the tree's files before anything runs."""

from __future__ import annotations

import math
import os

from ansible_collections.distrant.distcc.plugins.module_utils import _build_features as features
from ansible_collections.distrant.distcc.plugins.module_utils._build_ccache import Ccache
from ansible_collections.distrant.distcc.plugins.module_utils._build_types import Layout, Plan, PlanError
from ansible_collections.distrant.distcc.plugins.module_utils._ccache import find_ccache, version_info
from ansible_collections.distrant.distcc.plugins.module_utils._cgroup import read_host_cpus
from ansible_collections.distrant.distcc.plugins.module_utils._host_list import (
    MAX_JOBS,
    HostsError,
    auto_jobs,
    parse_hosts,
)
from ansible_collections.distrant.distcc.plugins.module_utils._pump import check_installed
from ansible_collections.distrant.distcc.plugins.module_utils._tree import (
    MAKEFILES,
    TreeState,
    detect_build_system,
    has_makefile,
    is_kernel_tree,
    read_text,
)

DEFAULT_CMAKE_BUILD_DIR = "_build"


def _effective_cpus():
    """Whole CPUs this host can use (cgroup quota included, rounded up), for a local -j."""
    return max(1, int(math.ceil(read_host_cpus()["effective_cpus"] - 1e-9)))


def _check_numbers(params):
    if params["timeout"] < 1:
        raise PlanError("timeout must be at least 1 second, got %d" % params["timeout"])
    if params["io_timeout"] < 1:
        raise PlanError("io_timeout must be at least 1 second, got %d" % params["io_timeout"])
    if params["backoff_period"] < 0:
        raise PlanError("backoff_period must be 0 (no backoff) or more seconds, got %d" % params["backoff_period"])
    if not 0.0 <= params["min_remote_share"] <= 1.0:
        raise PlanError("min_remote_share must be between 0 and 1 (a share of the objects), got %s"
                        % params["min_remote_share"])
    if params["min_remote_share"] > 0 and not params["distcc"]:
        raise PlanError("min_remote_share %s needs distcc; a local build (distcc: false) compiles nothing remotely"
                        % params["min_remote_share"])
    if any(not isinstance(v, (str, int, float, bool)) for v in params["env"].values()):
        raise PlanError("env values must be strings or numbers")


def _host_entries(params):
    """The parsed host list (hosts, else hosts_file); [] for a local build."""
    if not params["distcc"]:
        return []
    if params["hosts"] is not None:
        text = params["hosts"]
    else:
        if not os.path.isfile(params["hosts_file"]):
            raise PlanError("hosts_file %s does not exist; give hosts, or run the distcc_master role first"
                            % params["hosts_file"])
        text = read_text(params["hosts_file"])
    try:
        entries = parse_hosts(text)
    except HostsError as exc:
        raise PlanError(str(exc))
    if not entries:
        raise PlanError("no distcc hosts: %s is empty; list hosts, or build with distcc=false"
                        % ("hosts" if params["hosts"] is not None else params["hosts_file"]))
    return entries


def _jobs(params, entries, host_cpus):
    jobs = params["jobs"]
    if jobs in (None, "", "auto"):
        jobs = auto_jobs(entries) if params["distcc"] else host_cpus()
        if jobs > MAX_JOBS:
            raise PlanError("jobs: auto gives %d, the sum of the host list's limits, more than %d; give the hosts "
                            "smaller /LIMITs or set jobs" % (jobs, MAX_JOBS))
        return jobs
    try:
        jobs = int(jobs)
    except (TypeError, ValueError):
        raise PlanError("jobs must be an integer from 1 to %d or 'auto', got %r" % (MAX_JOBS, params["jobs"]))
    if not 1 <= jobs <= MAX_JOBS:
        raise PlanError("jobs must be an integer from 1 to %d or 'auto', got %d (GNU make deadlocks with "
                        "tens of thousands of jobs)" % (MAX_JOBS, jobs))
    return jobs


def _layout(params, account=None, counter=None, ccache=None):
    """The build system, the build directory, the build tool and the configure step, from the tree's files."""
    chdir = params["chdir"]
    if not os.path.isdir(chdir):
        raise PlanError("chdir %s is not a directory; point it at the unpacked source tree" % chdir)
    wanted = params["build_system"]
    detected = detect_build_system(chdir)
    build_system = detected if wanted == "auto" else wanted
    if build_system is None:
        raise PlanError("cannot tell how to build %s: it has no configure script, no CMakeLists.txt and no %s; "
                        "point chdir at the top of the source tree, or set build_system (make, autotools, cmake)"
                        % (chdir, ", ".join(MAKEFILES)))
    kernel = is_kernel_tree(chdir)
    if kernel and build_system != "make":
        raise PlanError("%s is a kernel tree, which is built with make, not %s" % (chdir, build_system))
    default_dir = os.path.join(chdir, DEFAULT_CMAKE_BUILD_DIR) if build_system == "cmake" else chdir
    build_dir = os.path.join(chdir, params["build_dir"]) if params["build_dir"] else default_dir
    configure_cmd = None
    # configured: the build directory has what its build tool reads (a make tree always has)
    configured = has_makefile(build_dir) or os.path.isfile(os.path.join(build_dir, "build.ninja"))
    if build_system == "make":
        if not has_makefile(build_dir):
            raise PlanError("%s is not a source tree make can build (no %s there); point chdir at the unpacked "
                            "tree, or set build_system" % (build_dir, ", ".join(MAKEFILES)))
    elif build_system == "autotools":
        script = os.path.join(chdir, "configure")
        if not os.path.isfile(script):
            raise PlanError("build_system autotools needs %s; run autoreconf -i in the tree first (or unpack a "
                            "release tarball, which has it)" % script)
        configure_cmd = [script if build_dir != chdir else "./configure"] + list(params["configure_args"])
        # an autotools tree may ship a GNUmakefile of its own (gnulib's) that works only once configure has run
        configured = os.path.isfile(os.path.join(build_dir, "config.status")) and has_makefile(build_dir)
    else:
        if not os.path.isfile(os.path.join(chdir, "CMakeLists.txt")):
            raise PlanError("build_system cmake needs %s/CMakeLists.txt" % chdir)
        if params["clean"] == "distclean":
            raise PlanError("clean: distclean is for make and autotools trees; a CMake build directory is cleaned "
                            "with clean, and configured again at every build")
        launcher = ";".join(_launcher(params, account, counter, ccache))
        configure_cmd = ["cmake", "-S", chdir, "-B", build_dir,
                         "-G", "Ninja" if params["cmake_generator"] == "ninja" else "Unix Makefiles",
                         "-DCMAKE_C_COMPILER=%s" % params["compiler"],
                         "-DCMAKE_CXX_COMPILER=%s" % params["cxx_compiler"],
                         "-DCMAKE_C_COMPILER_LAUNCHER=%s" % launcher,
                         "-DCMAKE_CXX_COMPILER_LAUNCHER=%s" % launcher] + list(params["configure_args"])
    if params["configure_args"] and build_system == "make":
        raise PlanError("configure_args are for autotools and cmake trees; %s is built with make alone (give make "
                        "variables in make_args, or set build_system)" % chdir)
    tool = "ninja" if build_system == "cmake" and params["cmake_generator"] == "ninja" else "make"
    # CMake is configured at every build (an existing cache makes it quick), autotools when not yet or after distclean
    needed = build_system == "cmake" or (build_system == "autotools"
                                         and (params["clean"] == "distclean" or not configured))
    return Layout(build_system=build_system, kernel=kernel, build_dir=build_dir, configure_cmd=configure_cmd,
                  configure_needed=needed, configured=configured, tool=tool)


def _launcher(params, account, counter=None, ccache=None):
    """What goes in front of the compiler: the accounting program (cpu_breakdown), then distcc, or in a
    local build the program that counts its objects; with ccache, ccache instead (they are its CCACHE_PREFIX)."""
    front = [params["client"]] if params["distcc"] else [counter] if counter else []
    return ([account] if account else []) + ([ccache.program] if ccache else front)


def _compiler_words(params, layout, account=None, counter=None, ccache=None):
    """CC=/CXX= for make (CMake puts distcc in front of the compiler itself, as its launcher)."""
    if layout.build_system == "cmake":
        return []
    prefix = "".join(word + " " for word in _launcher(params, account, counter, ccache))
    words = ["CC=%s%s" % (prefix, Ccache.compiler(ccache, params["compiler"], params))]
    if not layout.kernel:
        words.append("CXX=%s%s" % (prefix, Ccache.compiler(ccache, params["cxx_compiler"], params)))
    return words


def plan(params, host_cpus=_effective_cpus, pump_installed=check_installed, check_mode=False, ccache_program=find_ccache,
         ccache_version=version_info):
    """Everything decided before anything runs, from the parameters and the tree's files.

    Returns the Plan: the commands, the host lists, the environment and the tree's state files; raises
    PlanError (nothing changed) for parameters the build cannot run with. Reads files only, so
    that unit tests call it on a directory of their own. In check mode a client program that does
    not exist yet is taken (the play would build it first, as the distcc_master role does).
    """
    chdir = params["chdir"]
    state = TreeState(chdir)
    account = features.CpuBreakdown.plan(state, params)
    counter = features.CompileCount.plan(state, params)
    ccache = Ccache.plan(state, params, params["client"] if params["distcc"] else counter, find=ccache_program,
                         versions=ccache_version, check_mode=check_mode)
    layout = _layout(params, account, counter, ccache)
    _check_numbers(params)
    entries = _host_entries(params)
    p = Plan(chdir=chdir, state=state, distcc=params["distcc"], entries=entries, jobs=0, cmd=[],
             env={}, clean=params["clean"], timeout=params["timeout"], client=params["client"],
             compiler=params["compiler"], cxx_compiler=params["cxx_compiler"], artifact=params["artifact"],
             min_remote_share=params["min_remote_share"], account=account, counter=counter, ccache=ccache,
             **vars(layout))
    features.Pump.plan(p, params, pump_installed)
    client = params["client"]
    if params["distcc"] and "/" in client and not os.path.isabs(client):
        raise PlanError("client must be the distcc client, a command or an absolute path to a program, got %r "
                        "(not an absolute path)" % client)
    if params["distcc"] and (not client.strip() or any(c.isspace() for c in client)
                             or ("/" in client and not check_mode
                                 and not (os.path.isfile(client) and os.access(client, os.X_OK)))):
        raise PlanError("client must be the distcc client, a command or an absolute path to a program, got %r%s"
                        % (client, "" if "/" not in client else " (no such executable file)"))
    p.jobs = _jobs(params, entries, host_cpus)
    lean_args = features.KbuildLean.plan(p, params)
    make_args = params["make_args"]
    if make_args and layout.tool != "make":
        raise PlanError("make_args %s are for make, and this tree builds with %s; drop them" % (make_args, layout.tool))
    ours = [a for a in make_args if a.split("=", 1)[0] in ("CC", "CXX")]
    if ours:
        raise PlanError("make_args may not set %s: the module sets the compiler words itself (see compiler, "
                        "cxx_compiler)" % ", ".join(ours))
    p.cmd = ([layout.tool, "-j%d" % p.jobs] + _compiler_words(params, layout, account, counter, ccache)
             + list(make_args) + lean_args)
    features.Prepare.plan(p, params, list(p.cmd))
    if params["target"]:
        p.cmd.extend(params["target"].split())
    env = {k: str(v) for k, v in params["env"].items()}
    env.setdefault("DISTCC_IO_TIMEOUT", str(params["io_timeout"]))
    env.setdefault("DISTCC_BACKOFF_PERIOD", str(params["backoff_period"]))
    env.update(DISTCC_LOG=state.path("client_log"), DISTCC_HOSTS=features.Pump.hosts(p) if params["distcc"] else "",
               LC_ALL="C")
    p.env = env
    features.CpuBreakdown.env(p)
    features.CompileCount.env(p)
    features.KbuildLean.env(p)
    Ccache.env(p)
    features.Backoff.plan(p, params)
    return p
