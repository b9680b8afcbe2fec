# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""distcc's pump mode without the ``distcc-pump`` wrapper: start and stop the include server.

The wrapper of Debian 12 cannot be used as it is: its C extension fails on Python >= 3.10
(distcc/distcc#454), so every compile is silently preprocessed on the master; it keeps the
include server's compressed header copies in /dev/shm (64 MB in a container: full after two
or three kernel builds, after which pump mode silently stops); and at the end it waits with
``kill -0`` for the include server it killed, forever when PID 1 does not reap the zombie.
Here the include server runs from a fixed build (the distcc_master role's
``distcc_master_pump``), with its files in a private directory under /tmp that is removed
afterwards, and it is stopped with a bounded wait.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import time

from ansible_collections.distrant.distcc.plugins.module_utils._cpu_account import read_process_cpu_seconds, read_stat_fields

INCLUDE_SERVER = os.path.join("include_server", "include_server.py")


class PumpError(RuntimeError):
    """The include server could not be started; the message says why and what to do."""


# An #include_next whose operand is a macro: distcc 3.4's include server builds the error for it and
# never raises it (include_server/parse_file.py), so the header it names is silently left out of the
# include closure; a compile that needs it fails on the worker (pump mode is then switched off) or,
# worse, compiles against a header of the worker's system. #include_next <x>, "x" and an empty one
# (gnulib's wrapper where the system lacks the header; patch 0008) are followed or add nothing.
_COMPUTED_INCLUDE_NEXT = re.compile(rb"^[ \t]*#[ \t]*include_next[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)
_HEADER_SUFFIXES = (".h", ".hh", ".hpp", ".hxx", ".h++", ".inc", ".inl", ".ipp", ".tcc")
_SKIPPED_DIRS = (".git", ".hg", ".svn", ".distrant")
BLOCKERS_LISTED = 10  # the facts list this many; the count says how many there were


def pump_blockers(root, limit=BLOCKERS_LISTED):
    """The headers under ``root`` that pump mode cannot cover: (count, [dict(file, line, text, reason)]).

    Reads only files with a header's suffix that mention include_next; a kernel tree is not scanned
    by the caller (Linux has none, and 60,000 files to walk)."""
    found, count = [], 0
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
        for name in sorted(files):
            if not name.endswith(_HEADER_SUFFIXES):
                continue
            path = os.path.join(directory, name)
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError:
                continue
            if b"include_next" not in data:
                continue
            for match in _COMPUTED_INCLUDE_NEXT.finditer(data):
                count += 1
                if len(found) < limit:
                    found.append(dict(file=os.path.relpath(path, root), line=data.count(b"\n", 0, match.start()) + 1,
                                      text=match.group(0).strip().decode("utf-8", "replace"),
                                      reason="computed #include_next (the include server leaves its header out)"))
    return count, found


# The include server's stderr line for a compile it gave up on (include_server.py): that file is then
# preprocessed on the master and compiled on a worker. With the role's patches 0007 and 0008 a give-up
# no longer cuts a later file's include closure (docs/pump-autotools.md), so these lines are a cost
# (preprocessing on the master), not a switch-off; the facts count them.
_NOT_COVERED = re.compile(r"Include server not covering: (?P<reason>.*?) for translation unit '(?P<unit>[^']*)'")
NOT_COVERED_LISTED = 10


def not_covered(messages, limit=NOT_COVERED_LISTED):
    """The include server's give-ups in ``messages`` (its stderr): dict(count, first=[dict(translation_unit, reason)])."""
    found = [dict(translation_unit=m.group("unit"), reason=m.group("reason").strip())
             for m in _NOT_COVERED.finditer(messages or "")]
    return dict(count=len(found), first=found[:limit])


def include_server_script(pump_path):
    return os.path.join(pump_path, INCLUDE_SERVER)


def check_installed(pump_path):
    """Raise PumpError, saying how to get it, when ``pump_path`` holds no include server."""
    if not os.path.isfile(include_server_script(pump_path)):
        raise PumpError(
            "pump mode needs the fixed include server in %s (no %s there); run the distcc_master role "
            "with distcc_master_pump: true, or build without pump (pump: false)" % (pump_path, INCLUDE_SERVER))


def _alive(pid):
    """True while ``pid`` runs (a zombie waiting for its parent counts as stopped)."""
    fields = read_stat_fields(pid)
    return bool(fields) and fields[0] not in ("Z", "X")


def _tail(path, limit=2000):
    try:
        with open(path, errors="replace") as handle:
            return handle.read()[-limit:].strip()
    except (IOError, OSError):
        return ""


class IncludeServer:
    """One include server for one build: ``start()``, then ``env`` for the build, then ``stop()``."""

    def __init__(self, pump_path, python="python3", tmp_parent="/tmp", start_timeout=60, options=(), env=None):
        self.pump_path = pump_path
        self.options = list(options)
        self.extra_env = {k: str(v) for k, v in (env or {}).items()}  # the caller's (distcc_build's env): DISTRANT_DISTCC_NO_MEMO...
        self.python = python
        self.tmp_parent = tmp_parent
        self.start_timeout = start_timeout
        self.run_dir = None
        self.pid = None
        self.env = {}
        self.startup_cpu_seconds = 0.0  # the process that starts the server and returns
        self.server_cpu_seconds = None  # the server's own, read from /proc just before it is stopped

    def start(self):
        check_installed(self.pump_path)
        script = include_server_script(self.pump_path)
        # DISTCC_CLIENT_TMP may have at most two levels (include_server/basics.py): /tmp/<name>.
        self.run_dir = tempfile.mkdtemp(prefix="distrant-pump.", dir=self.tmp_parent)
        socket = os.path.join(self.run_dir, "socket")
        pid_file = os.path.join(self.run_dir, "pid")
        env = dict(os.environ, **self.extra_env)
        env.update(PYTHONPATH=self.pump_path, PYTHONOPTIMIZE="1", DISTCC_CLIENT_TMP=self.run_dir)
        argv = [self.python, script, "--port", socket, "--pid_file", pid_file, "-d1"] + self.options
        # The include server forks its server process and returns once it accepts
        # connections; its output goes to files (a pipe would keep run_command waiting).
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(os.path.join(self.run_dir, "stdout"), "w") as out, open(os.path.join(self.run_dir, "stderr"), "w") as err:
            try:
                rc = subprocess.call(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env,
                                     timeout=self.start_timeout)
            except subprocess.TimeoutExpired:
                rc = "timeout after %d s" % self.start_timeout
            except OSError as exc:
                rc = str(exc)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.startup_cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        pid = _tail(pid_file)
        if rc != 0 or not os.path.exists(socket) or not pid.isdigit():
            message = _tail(os.path.join(self.run_dir, "stderr")) or _tail(os.path.join(self.run_dir, "stdout"))
            self.pid = int(pid) if pid.isdigit() else None
            self.stop()
            raise PumpError("the include server in %s did not start (exit %s): %s"
                            % (self.pump_path, rc, message or "no output"))
        self.pid = int(pid)
        self.env = {"INCLUDE_SERVER_PORT": socket, "DISTCC_CLIENT_TMP": self.run_dir}
        return self.env

    def stop(self, grace=10.0):
        """Stop the include server (TERM, then KILL after ``grace`` s) and remove its files.

        Returns the include server's own messages (its stderr), for the build's log.
        """
        if self.pid and _alive(self.pid):
            self.server_cpu_seconds = read_process_cpu_seconds(self.pid)
            try:
                os.kill(self.pid, signal.SIGTERM)
            except OSError:
                pass
            deadline = time.monotonic() + grace
            while _alive(self.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(self.pid):
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except OSError:
                    pass
        messages = ""
        if self.run_dir:
            messages = _tail(os.path.join(self.run_dir, "stderr"), limit=20000)
            shutil.rmtree(self.run_dir, ignore_errors=True)
        self.pid = None
        self.run_dir = None
        return messages
