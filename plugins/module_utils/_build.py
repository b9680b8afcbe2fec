# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pieces of a timed distcc build: host lists, the make -j policy, the tree and its build system, Kbuild."""

from __future__ import annotations

import os
import re
import shlex

# distcc's defaults when a host entry has no /LIMIT (distcc(1)).
DEFAULT_REMOTE_LIMIT = 4
DEFAULT_LOCAL_LIMIT = 2
DEFAULT_PORT = 3632


class HostsError(ValueError):
    """A DISTCC_HOSTS text that is not usable; the message says which entry and why."""


_ENTRY = re.compile(
    r"^(?P<host>localhost|[A-Za-z0-9_.-]+)"
    r"(?::(?P<port>\d+))?(?:/(?P<limit>\d+))?(?P<opts>(?:,[a-z_]+(?:=[^ ,]*)?)*)$"
)
# Host options distcc 3.4 knows (hosts.c); anything else makes it refuse the whole entry.
KNOWN_OPTIONS = ("lzo", "cpp", "down", "auth")
# Above this make's job server (GNU make 4.3 deadlocks above about 65536 jobs) and distcc's
# lock files stop making sense; no farm needs more jobs from one master.
MAX_JOBS = 4096


class TreeState:
    """The build's own files inside the tree, ``<chdir>/.distrant/`` (the one owner of this layout).

    distcc_build writes them; its action plugin polls the progress file; tests read them.
    """

    DIR = ".distrant"
    FILES = {
        "lock": "build.lock",  # flock'ed by the running build, holds its pid and start time
        "progress": "progress.json",  # objects so far, per host, rewritten while make runs
        "client_log": "client.log",  # DISTCC_LOG of the build
        "make_log": "make.log",  # make's (or ninja's) output
        "configure_log": "configure.log",  # configure's or cmake's output
        "include_server_log": "include_server.log",  # pump mode's include server
        "cpu_log": "cpu.log",  # cpu_breakdown: one line per process of the compiler words
        "host_cc": "host-cc",  # kbuild_lean: the directory of the host compiler's wrapper, first on make's PATH
        "host_client_log": "host-client.log",  # kbuild_lean: DISTCC_LOG of the host programs' compiles
    }

    def __init__(self, chdir):
        self.dir = os.path.join(chdir, self.DIR)

    def path(self, name):
        return os.path.join(self.dir, self.FILES[name])

    @classmethod
    def relative(cls, name):
        """The file's path relative to the tree, e.g. '.distrant/progress.json'."""
        return cls.DIR + "/" + cls.FILES[name]


def _refuse(word, why):
    raise HostsError("DISTCC_HOSTS entry %r: %s" % (word, why))


def parse_hosts(text):
    """Parse DISTCC_HOSTS (or /etc/distcc/hosts) text into entries.

    Each entry: dict(host, port, limit, options, raw). Comments (#) and blank lines are
    ignored. ``--randomize``/``--localslots*`` options are kept aside, as distcc does.
    Entries distcc would not use, or use otherwise than they say, are refused with the
    reason: SSH mode (``user@host``, ``@host``), IPv6 addresses, a port out of range, a
    limit of 0 or above MAX_JOBS, an option distcc does not know.
    """
    entries = []
    for line in (text or "").splitlines():
        line = line.split("#", 1)[0]
        for word in line.split():
            if word.startswith("--"):
                continue
            if "@" in word:
                _refuse(word, "distcc's SSH mode (user@host) is not supported: the workers of this collection run "
                              "distccd over TCP behind an address ACL (distcc_worker); list the worker as "
                              "HOST[:PORT][/LIMIT][,lzo]")
            if word.startswith("[") or word.count(":") > 1:
                _refuse(word, "IPv6 is not supported: distccd's ACL (--allow) and the roles are IPv4 only; "
                              "list the worker's IPv4 address")
            match = _ENTRY.match(word)
            if not match:
                _refuse(word, "not a host (expected HOST[:PORT][/LIMIT][,lzo], e.g. 10.200.1.3/8,lzo)")
            host = match.group("host")
            port, limit = match.group("port"), match.group("limit")
            if port is not None and not 1 <= int(port) <= 65535:
                _refuse(word, "the port must be between 1 and 65535, got %s" % port)
            if port is not None and host == "localhost":
                _refuse(word, "localhost takes no port (distcc would connect to a distccd on this host); "
                              "write localhost/LIMIT")
            if limit is not None and not 1 <= int(limit) <= MAX_JOBS:
                _refuse(word, "the /LIMIT must be between 1 and %d, got %s" % (MAX_JOBS, limit))
            options = [o for o in match.group("opts").split(",") if o]
            unknown = [o for o in options if o.split("=", 1)[0] not in KNOWN_OPTIONS]
            if unknown:
                _refuse(word, "distcc does not know the option%s %s (it knows %s) and would not use this host"
                        % ("s" if len(unknown) > 1 else "", ", ".join("," + o for o in unknown),
                           ", ".join("," + o for o in KNOWN_OPTIONS)))
            if options and host == "localhost":
                _refuse(word, "localhost takes no options (distcc would read it as a remote host named localhost)")
            entries.append({
                "host": host,
                "port": int(port) if port else None,
                "limit": int(limit) if limit else (DEFAULT_LOCAL_LIMIT if host == "localhost" else DEFAULT_REMOTE_LIMIT),
                "options": options,
                "raw": word,
            })
    return entries


def without_cpp(entries):
    """DISTCC_HOSTS text of ``entries`` with the ,cpp option dropped (plain distcc, no include server)."""
    words = []
    for entry in entries:
        parts = entry["raw"].split(",")
        words.append(",".join(parts[:1] + [p for p in parts[1:] if p != "cpp"]))
    return " ".join(words)


def backoff_hosts(entries):
    """Map the name of each remote entry's backoff file (distcc's lock.c) to ``host:port``."""
    files = {}
    for entry in entries:
        host = entry["host"]
        if host == "localhost":
            continue
        port = entry["port"] or DEFAULT_PORT
        files["backoff_tcp_%s_%d_0" % (host, port)] = "%s:%d" % (host, port)
    return files


def is_kernel_tree(path):
    """A Linux kernel tree (its own Kbuild file and Kbuild's include file), whose Makefile has ``prepare``."""
    return os.path.isfile(os.path.join(path, "Kbuild")) and os.path.isfile(
        os.path.join(path, "scripts", "Kbuild.include"))


# What Kbuild runs on the master per object that makes no object (distcc_build's kbuild_lean).
# Linux 6.1's scripts/Kbuild.include defines `cmd` so that $(call cmd,X) of an empty cmd_X (checksrc,
# objtool, record_mcount... off in most configs) is still `set -e;` and five traps, for which make
# starts /bin/sh: about five shells per object. Given on make's command line, this definition gives
# `:` for an empty command, which GNU make runs without a process (as Kbuild itself does from
# Linux 6.3 on, where the form differs); `$(cmd); printf ...` stays valid shell.
KBUILD_CMD_61 = "cmd = @set -e; $(echo-cmd) $($(quiet)redirect) $(delete-on-interrupt) $(cmd_$(1))"
KBUILD_CMD_LEAN = "cmd=@$(if $(cmd_$(1)),set -e; $(echo-cmd) $($(quiet)redirect) $(delete-on-interrupt) $(cmd_$(1)),:)"


# Linux 6.1's cmd_and_fixdep (scripts/Kbuild.include), the command of every object: the compile, fixdep,
# then `rm -f $(depfile)`, a process per object that makes nothing. Given on make's command line without
# the rm, the compiler's dependency file stays beside the object (`.foo.o.d`, removed by make clean like
# Kbuild's other dot files, rewritten by the next compile).
KBUILD_AND_FIXDEP_61 = ("cmd_and_fixdep = $(cmd); scripts/basic/fixdep $(depfile) $@ '$(make-cmd)' > "
                        "$(dot-target).cmd; rm -f $(depfile)")
KBUILD_AND_FIXDEP_LEAN = "cmd_and_fixdep=$(cmd); scripts/basic/fixdep $(depfile) $@ '$(make-cmd)' > $(dot-target).cmd"
# Kbuild's HOSTCC when neither make's command line nor LLVM= names another.
KBUILD_HOSTCC = "gcc"


def _definitions(text):
    """The text of a makefile with its continued lines joined and runs of blanks made one space."""
    return re.sub(r"[ \t]+", " ", re.sub(r"\\\n", " ", text))


def host_compiler_wrapper(directory, client, log):
    """The shell script that stands for Kbuild's HOSTCC (``gcc``) first on make's PATH (distcc_build's
    kbuild_lean): it takes its own directory off PATH and runs ``<client> gcc`` with the host programs'
    own DISTCC_LOG, so that their compiles go to the workers without changing the command lines Kbuild
    recorded for them (a changed HOSTCC would rebuild fixdep and kconfig) and without counting as objects.
    Run by distcc itself (its safeguard variable set: the compiler or preprocessor a client runs on the
    master, found on PATH where the client does not rewrite gcc to its full name), it runs the real gcc."""
    return (
        '#!/bin/sh\n'
        '# distcc_build (kbuild_lean): Kbuild\'s host compiles through distcc\n'
        'own=%s\n'
        'set -f; IFS=:; kept=\n'
        'for dir in $PATH; do [ "$dir" = "$own" ] || kept="${kept:+$kept:}$dir"; done\n'
        'unset IFS; set +f\n'
        'PATH=$kept; export PATH\n'
        'if [ -n "${_DISTCC_SAFEGUARD-}" ]; then exec %s "$@"; fi\n'
        'DISTCC_LOG=%s exec %s %s "$@"\n'
        % (shlex.quote(directory), KBUILD_HOSTCC, shlex.quote(log), shlex.quote(client), KBUILD_HOSTCC))


def make_variables(make_args):
    """The names of the variables make's arguments assign (NAME=, NAME:=, NAME+=, NAME?=, NAME!=)."""
    return {arg.split("=", 1)[0].strip().rstrip(":+?!").strip() for arg in make_args if "=" in arg}


def kbuild_lean_args(path, make_args=()):
    """The make arguments that spare the master Kbuild's per-object work that makes no object, for the
    kernel tree at path, and the names of what they do: ``no_empty_shells`` (only where
    scripts/Kbuild.include has Linux 6.1's form of ``cmd``) and ``no_check_local_export`` (where
    scripts/Makefile.build runs scripts/check-local-export, a check of the source's exports: a shell,
    nm and awk per object) and ``no_depfile_rm`` (where scripts/Kbuild.include has Linux 6.1's form of
    ``cmd_and_fixdep``). A variable the caller sets in make_args itself is left to the caller."""
    def text(*names):
        try:
            with open(os.path.join(path, *names)) as handle:
                return handle.read()
        except (IOError, OSError):
            return ""

    given = make_variables(make_args)
    args, applied = [], []
    lines = {line.strip() for line in text("scripts", "Kbuild.include").splitlines()}
    if KBUILD_CMD_61 in lines and "cmd" not in given:
        args.append(KBUILD_CMD_LEAN)
        applied.append("no_empty_shells")
    if "cmd_check_local_export" in text("scripts", "Makefile.build") and "cmd_check_local_export" not in given:
        args.append("cmd_check_local_export=")
        applied.append("no_check_local_export")
    if KBUILD_AND_FIXDEP_61 in _definitions(text("scripts", "Kbuild.include")) and "cmd_and_fixdep" not in given:
        args.append(KBUILD_AND_FIXDEP_LEAN)
        applied.append("no_depfile_rm")
    return args, applied


MAKEFILES = ("GNUmakefile", "makefile", "Makefile")  # what GNU make reads, in its order
BUILD_SYSTEMS = ("make", "autotools", "cmake")


def has_makefile(path):
    """A directory GNU make can build in (it reads GNUmakefile, makefile or Makefile)."""
    return any(os.path.isfile(os.path.join(path, name)) for name in MAKEFILES)


def detect_build_system(path):
    """The build system of the source tree at ``path``, or None when there is nothing to build.

    A kernel tree is built with make; a ``configure`` script (autotools, or a project's own
    configure that writes a Makefile) comes before ``CMakeLists.txt`` (a release tarball's
    configure is how its authors build it), and both before a plain Makefile.
    """
    if is_kernel_tree(path):
        return "make"
    configure = os.path.join(path, "configure")
    if os.path.isfile(configure) and os.access(configure, os.X_OK):
        return "autotools"
    if os.path.isfile(os.path.join(path, "CMakeLists.txt")):
        return "cmake"
    if has_makefile(path):
        return "make"
    return None


def make_jobs(limits):
    """make -j for hosts with these job limits: their sum, at least 1 (the one owner of this rule)."""
    return max(1, sum(limits))


def auto_jobs(entries):
    """make -j for a parsed host list: the sum of every host's job limit (1 with no hosts)."""
    return make_jobs(entry["limit"] for entry in entries)
