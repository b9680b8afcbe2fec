# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""DISTCC_HOSTS: parsing a host list, the backoff files of its hosts, and make's -j for it."""

from __future__ import annotations

import re

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


def make_jobs(limits):
    """make -j for hosts with these job limits: their sum, at least 1 (the one owner of this rule)."""
    return max(1, sum(limits))


def auto_jobs(entries):
    """make -j for a parsed host list: the sum of every host's job limit (1 with no hosts)."""
    return make_jobs(entry["limit"] for entry in entries)
