# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""distcc's client log: where every compile ran, why one ran on the master, and the precedence of those reasons."""

from __future__ import annotations

import re

from ansible_collections.distrant.distcc.plugins.module_utils._host_list import entry_name

# Compiler runs that make no object: Kbuild's cc-option/as-instr probes (no input file).
NOT_OBJECTS = frozenset(["(null)", "-", "/dev/null"])

# Lines of distcc 3.4's client log (DISTCC_LOG, info level), per process id.
_LINE = re.compile(r"^distcc\[(\d+)\] (.*)$")
_DONE = re.compile(r"^compile (\S+) on (\S+) completed ok\s*$")
_EXIT = re.compile(r"^\(dcc_exit\) exit: ")
# What each other line says about its compile, in order: the first pattern found names it
# (None: nothing to note). Messages are distcc 3.4's (compile.c, clinet.c, io.c, arg.c).
_MESSAGES = (
    (r"^compile from \S+ to \S+\s*$", "noted"),  # distcc took the command line for a compile
    (r"^cpp \S+ on localhost completed ok", "local_cpp"),  # preprocessed on the master
    (r"^exec on localhost:", None),
    (r"^exec on \S+:", "tried_remote"),
    (r"now using plain distcc", "pump_off"),
    (r"retried locally and got a different result|, changed during the build", "discrepancy"),
    (r"ERROR: (?:nonblocking connect to .* failed|failed to connect to|timeout while connecting to)",
     "connection_failed"),
    (r"failed to distribute, running locally instead", "backoff"),  # no host named: none was left
    (r"failed to distribute \S+ to \S+, running locally instead", "fell_back"),
    # pump mode given up for one compile: preprocessed on the master after all
    (r"failed to get includes from include server|failed to talk to include server|include server gave up"
     r"|cannot use distcc_pump", "pump_local"),
    # distcc decided the compile cannot be distributed
    (r"must be local|running locally for|i give up|called not for compile|no visible input file"
     r"|output to stdout\?|are run locally|may write extra files", "not_distributable"),
    (r"on localhost failed", None),  # the local compile itself failed: the build fails
    (r"remote compilation of .* failed|ERROR: ", "remote_failed"),  # I/O timeout, compiler error there, ...
)
_MESSAGES = tuple((re.compile(pattern), flag) for pattern, flag in _MESSAGES)

# Why an object was compiled on the master, in the order of precedence used to name it, with the
# flags of its log lines (_MESSAGES) that give each reason: the first reason whose flags the compile
# has names it. A compile distcc never took for one ("noted") is not_distributable; the rest,
# localhost_slot.
_PRECEDENCE = (
    # pump mode: the remote result differed from a local retry (files changed under it)
    ("discrepancy", frozenset(["discrepancy"])),
    # the worker did not accept the connection (refused, timeout, unreachable)
    ("connection_failed", frozenset(["connection_failed"])),
    # the remote compile failed (I/O timeout, compiler error there) and was retried here
    ("remote_failed", frozenset(["remote_failed", "fell_back", "tried_remote"])),
    # every listed worker was in distcc's backoff (an earlier failure): no host to send it to
    ("backoff", frozenset(["backoff"])),
    # distcc does not distribute this command line (-E, -M, -x, profile options, ...)
    ("not_distributable", frozenset(["not_distributable"])),
    # the host list has localhost and distcc picked it
    ("localhost_slot", None),
)
LOCAL_REASONS = tuple(reason for reason, dummy in _PRECEDENCE)
# The reasons that mean a compile was stranded on the master (not a slot of its own, not distcc's rules).
STRANDED_REASONS = frozenset(("discrepancy", "connection_failed", "remote_failed", "backoff"))


def stranded(local_reasons):
    """The local_reasons entries that stranded compiles on the master."""
    return {reason: n for reason, n in local_reasons.items() if reason in STRANDED_REASONS}


def format_reasons(reasons):
    """``reason n, reason n`` for a count of reasons, sorted by name ("" when there are none)."""
    return ", ".join("%s %d" % item for item in sorted(reasons.items()))


def distributable(counts):
    """Objects distcc could have sent to a worker: all but those it does not distribute (and ccache's hits)."""
    return counts["objects"] - counts["local_reasons"].get("not_distributable", 0) - counts.get("cache_hits", 0)


_FAILURES = frozenset(["connection_failed", "remote_failed", "discrepancy", "fell_back"])


class ClientLog:
    """Account for every compile in a DISTCC_LOG file, fed as it grows (see parse_client_log).

    ``feed`` takes text as it arrives, whole lines or not; only new text is parsed, so a
    build's progress costs the master next to nothing however long the log gets. Lines are
    kept per process until its compile completes, so that each object gets the reason it
    ran where it ran; a process id is forgotten when that process exits (ids are reused).
    """

    def __init__(self):
        self._partial = ""
        self._open = {}  # pid -> what its log lines said so far
        self._per_host = {}
        self._reasons = {}
        self._remote = 0
        self._failed_remote = 0
        self._remote_preprocessed = 0
        self._pump_fallbacks = 0
        self.pump_switched_off = False

    def feed(self, text, final=False):
        lines = (self._partial + (text or "")).split("\n")
        self._partial = "" if final else lines.pop()
        for line in lines:
            self._line(line)
        return self

    def _line(self, line):
        match = _LINE.match(line.rstrip())
        if not match:
            return
        pid, message = match.groups()
        if _EXIT.match(message):
            self._open.pop(pid, None)
            return
        state = self._open.setdefault(pid, {"flags": set(), "counted": None})
        flags = state["flags"]
        done = _DONE.match(message)
        if done:
            state["counted"] = self._complete(done.group(1), done.group(2), flags)
            return
        flag = next((flag for pattern, flag in _MESSAGES if pattern.search(message)), None)
        if flag == "pump_off":
            self.pump_switched_off = True
            flag = None
        if flag in _FAILURES and not flags & _FAILURES:
            self._failed_remote += 1
        if flag:
            flags.add(flag)
        # distcc names a discrepancy only after the local retry has completed: the object
        # already counted as remote_failed is moved to its real reason.
        if flag == "discrepancy" and state["counted"] not in (None, "discrepancy", "remote"):
            self._count(state["counted"], -1)
            self._count("discrepancy", 1)
            state["counted"] = "discrepancy"

    def _count(self, reason, step):
        self._reasons[reason] = self._reasons.get(reason, 0) + step
        if not self._reasons[reason]:
            del self._reasons[reason]

    def _complete(self, source, host, flags):
        """Count one completed compile; return the reason it ran on the master, "remote", or None (no object)."""
        if source in NOT_OBJECTS:
            return None
        name = entry_name(host)  # 10.0.0.3 for 10.0.0.3/4,lzo and for @10.0.0.3/4,lzo alike
        self._per_host[name] = self._per_host.get(name, 0) + 1
        if name != "localhost":
            self._remote += 1
            if ",cpp" in host:
                if flags & {"local_cpp", "pump_local"}:
                    self._pump_fallbacks += 1
                else:
                    self._remote_preprocessed += 1
            return "remote"
        if "noted" not in flags:
            flags = flags | {"not_distributable"}
        reason = next(name for name, given_by in _PRECEDENCE if given_by is None or given_by & flags)
        self._count(reason, 1)
        return reason

    def counts(self):
        return {
            "objects": sum(self._per_host.values()),
            "jobs_per_host": dict(sorted(self._per_host.items())),
            "remote_objects": self._remote,
            "local_reasons": dict(sorted(self._reasons.items())),
            "local_fallbacks": sum(stranded(self._reasons).values()) - self._reasons.get("backoff", 0),
            "failed_remote": self._failed_remote,
            "remote_preprocessed": self._remote_preprocessed,
            "pump_fallbacks": self._pump_fallbacks,
            "pump_switched_off": self.pump_switched_off,
        }


def parse_client_log(text):
    """Account for every compile in a DISTCC_LOG file.

    Returns dict(objects, jobs_per_host, remote_objects, local_reasons, local_fallbacks,
    failed_remote, remote_preprocessed, pump_fallbacks, pump_switched_off):

    - ``objects``: compiles of a source file that completed (compiler probes excluded);
      ``jobs_per_host`` maps host (without /LIMIT) to them, localhost included;
    - ``remote_objects``: those completed on a worker; ``local_reasons`` maps each reason
      of LOCAL_REASONS to the objects compiled on the master for it, so that
      ``remote_objects + sum(local_reasons.values()) == objects``;
    - ``failed_remote``: compiles whose remote attempt failed (connection, I/O timeout,
      compiler error there); ``local_fallbacks``: objects then redone on the master;
    - pump mode: ``remote_preprocessed`` objects were preprocessed on a ``,cpp`` worker,
      ``pump_fallbacks`` were sent to one but preprocessed on the master after all, and
      ``pump_switched_off`` says distcc gave up pump mode for the rest of the build after a
      discrepancy ("now using plain distcc").

    distcc 3.4 does not always say "running locally instead" (a refused connection is
    followed by a silent local compile), and says nothing at all when it skips a host in
    backoff while localhost is listed: such a compile counts as ``localhost_slot``.
    """
    return ClientLog().feed(text, final=True).counts()
