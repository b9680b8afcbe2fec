# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pieces of a timed distcc build: host lists, the make -j policy and the client log."""

from __future__ import annotations

import re

# distcc's defaults when a host entry has no /LIMIT (distcc(1)).
DEFAULT_REMOTE_LIMIT = 4
DEFAULT_LOCAL_LIMIT = 2

_DONE = re.compile(r"^distcc\[(\d+)\] compile (\S+) on (\S+) completed ok\s*$")
_FALLBACK = re.compile(r"^distcc\[(\d+)\] .*(failed to distribute .* running locally instead|retrying locally)")
_ERROR = re.compile(r"^distcc\[(\d+)\] (?:\([a-z_]+\) )?ERROR: ")
# Pump mode given up for one compile: preprocessed on the master after all.
_PUMP_LOCAL = re.compile(
    r"^distcc\[(\d+)\] .*(failed to get includes from include server|failed to talk to include server"
    r"|include server gave up|cannot use distcc_pump)"
)


# Compiler runs that make no object: Kbuild's cc-option/as-instr probes (no input file).
NOT_OBJECTS = frozenset(["(null)", "-", "/dev/null"])


class HostsError(ValueError):
    """A DISTCC_HOSTS text that is not usable; the message says which entry and why."""


_ENTRY = re.compile(
    r"^(?P<host>localhost|[A-Za-z0-9_.-]+|\[[0-9a-fA-F:]+\]|@[A-Za-z0-9_.-]+)"
    r"(?::(?P<port>\d+))?(?:/(?P<limit>\d+))?(?P<opts>(?:,[a-z_]+(?:=[^ ,]*)?)*)$"
)


def parse_hosts(text):
    """Parse DISTCC_HOSTS (or /etc/distcc/hosts) text into entries.

    Each entry: dict(host, port, limit, options, raw). Comments (#) and blank lines are
    ignored. ``--randomize``/``--localslots*`` options are kept aside, as distcc does.
    """
    entries = []
    for line in (text or "").splitlines():
        line = line.split("#", 1)[0]
        for word in line.split():
            if word.startswith("--"):
                continue
            match = _ENTRY.match(word)
            if not match:
                raise HostsError(
                    "DISTCC_HOSTS entry %r is not a host (expected HOST[:PORT][/LIMIT][,lzo], e.g. 10.200.1.3/8,lzo)" % word
                )
            host = match.group("host")
            limit = match.group("limit")
            if limit is not None and int(limit) < 1:
                raise HostsError("DISTCC_HOSTS entry %r: the /LIMIT must be at least 1" % word)
            entries.append({
                "host": host,
                "port": int(match.group("port")) if match.group("port") else None,
                "limit": int(limit) if limit else (DEFAULT_LOCAL_LIMIT if host == "localhost" else DEFAULT_REMOTE_LIMIT),
                "options": [o for o in match.group("opts").split(",") if o],
                "raw": word,
            })
    return entries


def auto_jobs(entries):
    """make -j for a host list: the sum of every host's job limit (1 with no hosts)."""
    return max(1, sum(entry["limit"] for entry in entries))


class ClientLog:
    """Account for every compile in a DISTCC_LOG file, fed as it grows (see parse_client_log).

    ``feed`` takes text as it arrives, whole lines or not; only new text is parsed, so a
    build's progress costs the master next to nothing however long the log gets.
    """

    def __init__(self):
        self._partial = ""
        self._per_host = {}
        self._fallback_pids = set()
        self._failed_pids = set()
        self._done_local_pids = set()
        self._cpp_pids = set()
        self._pump_local_pids = set()

    def feed(self, text, final=False):
        lines = (self._partial + (text or "")).split("\n")
        self._partial = "" if final else lines.pop()
        for line in lines:
            self._line(line)
        return self

    def _line(self, line):
        done = _DONE.match(line)
        if done and done.group(2) in NOT_OBJECTS:
            return
        if done:
            pid, host = done.group(1), done.group(3).split("/", 1)[0]
            self._per_host[host] = self._per_host.get(host, 0) + 1
            if host == "localhost":
                self._done_local_pids.add(pid)
            elif ",cpp" in done.group(3):
                self._cpp_pids.add(pid)
            return
        pump_local = _PUMP_LOCAL.match(line)
        if pump_local:
            self._pump_local_pids.add(pump_local.group(1))
            return
        fallback = _FALLBACK.match(line)
        if fallback:
            self._fallback_pids.add(fallback.group(1))
            return
        error = _ERROR.match(line)
        if error and not line.rstrip().endswith("on localhost failed"):
            self._failed_pids.add(error.group(1))

    def counts(self):
        return {
            "objects": sum(self._per_host.values()),
            "jobs_per_host": dict(sorted(self._per_host.items())),
            "local_fallbacks": len((self._fallback_pids | self._failed_pids) & self._done_local_pids),
            "failed_remote": len(self._failed_pids),
            "remote_preprocessed": len(self._cpp_pids - self._pump_local_pids),
            "pump_fallbacks": len(self._pump_local_pids),
        }


def parse_client_log(text):
    """Account for every compile in a DISTCC_LOG file.

    Returns dict(objects, jobs_per_host, local_fallbacks, failed_remote, remote_preprocessed,
    pump_fallbacks): ``objects`` is
    the number of compiles that completed, ``jobs_per_host`` maps host (without /LIMIT)
    to compiles completed there (localhost included), ``failed_remote`` counts compiles
    whose remote attempt failed (connection refused, I/O timeout, remote compiler error),
    ``local_fallbacks`` those of them that were then redone on localhost. distcc 3.4 does
    not always say "running locally instead": a refused connection is followed by a
    silent local compile, so both are told apart by process id. In pump mode
    ``remote_preprocessed`` counts compiles completed on a ``,cpp`` host with the include
    server's file list (preprocessed there), ``pump_fallbacks`` the compiles for which pump
    mode was given up and the master preprocessed after all.
    """
    return ClientLog().feed(text, final=True).counts()
