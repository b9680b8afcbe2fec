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


# How a host entry reaches its distccd: ``local`` (localhost: the master itself), ``tcp`` (distccd's
# port, behind the worker's address ACL) or ``ssh`` (``[USER]@HOST``: ssh runs ``distccd --inetd``).
TRANSPORTS = ("local", "tcp", "ssh")

_ENTRY = re.compile(
    r"^(?P<host>localhost|[A-Za-z0-9_.-]+)"
    r"(?::(?P<port>\d+))?(?:/(?P<limit>\d+))?(?P<opts>(?:,[a-z_]+(?:=[^ ,]*)?)*)$"
)
# distcc 3.4's SSH_HOST (hosts.c): [USER]@HOSTID[/LIMIT][:COMMAND][OPTIONS], in that order.
_SSH_ENTRY = re.compile(
    r"^(?P<user>[A-Za-z0-9_.-]*)@(?P<host>[A-Za-z0-9_.-]+)"
    r"(?:/(?P<limit>\d+))?(?::(?P<command>[^ ,]+))?(?P<opts>(?:,[a-z_]+(?:=[^ ,]*)?)*)$"
)
# Host options distcc 3.4 knows (hosts.c); anything else makes it refuse the whole entry.
KNOWN_OPTIONS = ("lzo", "cpp", "down", "auth")
# Above this make's job server (GNU make 4.3 deadlocks above about 65536 jobs) and distcc's
# lock files stop making sense; no farm needs more jobs from one master.
MAX_JOBS = 4096


def _refuse(word, why):
    raise HostsError("DISTCC_HOSTS entry %r: %s" % (word, why))


def _check_options(word, opts):
    """The entry's options, each one distcc knows; refused otherwise."""
    options = [o for o in opts.split(",") if o]
    unknown = [o for o in options if o.split("=", 1)[0] not in KNOWN_OPTIONS]
    if unknown:
        _refuse(word, "distcc does not know the option%s %s (it knows %s) and would not use this host"
                % ("s" if len(unknown) > 1 else "", ", ".join("," + o for o in unknown),
                   ", ".join("," + o for o in KNOWN_OPTIONS)))
    return options


def _check_limit(word, limit):
    if limit is not None and not 1 <= int(limit) <= MAX_JOBS:
        _refuse(word, "the /LIMIT must be between 1 and %d, got %s" % (MAX_JOBS, limit))


def _ssh_entry(word):
    """One ``[USER]@HOST[/LIMIT][:COMMAND][,OPTION...]`` entry, refused where distcc would read it otherwise."""
    host_part = word.split("@", 1)[1]
    if host_part.startswith("[") or host_part.count(":") > 1:
        _refuse(word, "IPv6 is not supported: the roles are IPv4 only; list the worker's IPv4 address or name")
    match = _SSH_ENTRY.match(word)
    if not match:
        if re.match(r"^[^@]*@[^/,:]+(:[^,]*)?,[^/]*/\d+", word):
            _refuse(word, "the /LIMIT comes before the options: distcc reads [USER]@HOST[/LIMIT][:COMMAND][,OPTIONS] "
                          "and ignores a /LIMIT after them without a word (the host gets 4 slots); "
                          "write e.g. @10.200.1.3/8,lzo,cpp")
        _refuse(word, "not an SSH host (expected [USER]@HOST[/LIMIT][:COMMAND][,lzo][,cpp], "
                      "e.g. @10.200.1.3/8,lzo,cpp)")
    command = match.group("command")
    if command is not None and command.isdigit():
        _refuse(word, "an SSH host takes no port: distcc would run %r on the worker as distccd; give the port in "
                      "the ssh configuration (DISTCC_SSH=\"ssh -F FILE\", Port)" % command)
    if command is not None and re.search(r"/\d+$", command):
        _refuse(word, "the /LIMIT comes before :COMMAND: distcc reads %r as the command and gives the host 4 slots; "
                      "write [USER]@HOST/LIMIT:COMMAND" % command)
    limit = match.group("limit")
    _check_limit(word, limit)
    return {
        "host": match.group("host"),
        "port": None,
        "limit": int(limit) if limit else DEFAULT_REMOTE_LIMIT,
        "options": _check_options(word, match.group("opts")),
        "raw": word,
        "transport": "ssh",
        "user": match.group("user") or None,
        "command": command,
    }


def _tcp_entry(word):
    """One ``HOST[:PORT][/LIMIT][,OPTION...]`` or ``localhost[/LIMIT]`` entry."""
    if word.startswith("[") or word.count(":") > 1:
        _refuse(word, "IPv6 is not supported: distccd's ACL (--allow) and the roles are IPv4 only; "
                      "list the worker's IPv4 address")
    match = _ENTRY.match(word)
    if not match:
        _refuse(word, "not a host (expected HOST[:PORT][/LIMIT][,lzo], e.g. 10.200.1.3/8,lzo; "
                      "or over ssh @HOST[/LIMIT][,lzo])")
    host = match.group("host")
    port, limit = match.group("port"), match.group("limit")
    if port is not None and not 1 <= int(port) <= 65535:
        _refuse(word, "the port must be between 1 and 65535, got %s" % port)
    if port is not None and host == "localhost":
        _refuse(word, "localhost takes no port (distcc would connect to a distccd on this host); "
                      "write localhost/LIMIT")
    _check_limit(word, limit)
    options = _check_options(word, match.group("opts"))
    if options and host == "localhost":
        _refuse(word, "localhost takes no options (distcc would read it as a remote host named localhost)")
    return {
        "host": host,
        "port": int(port) if port else None,
        "limit": int(limit) if limit else (DEFAULT_LOCAL_LIMIT if host == "localhost" else DEFAULT_REMOTE_LIMIT),
        "options": options,
        "raw": word,
        "transport": "local" if host == "localhost" else "tcp",
        "user": None,
        "command": None,
    }


def parse_hosts(text):
    """Parse DISTCC_HOSTS (or /etc/distcc/hosts) text into entries.

    Each entry: dict(host, port, limit, options, raw, transport, user, command). ``transport`` is
    one of TRANSPORTS; ``user`` and ``command`` are an SSH entry's (None when it names none, and
    for other entries); ``port`` is None where the entry gives none (always for SSH: ssh's
    configuration has it). Comments (#) and blank lines are ignored. ``--randomize``/``--localslots*``
    options are kept aside, as distcc does. Entries distcc would not use, or use otherwise than
    they say, are refused with the reason: IPv6 addresses, a port out of range, a limit of 0 or
    above MAX_JOBS, an option distcc does not know, and in SSH entries a /LIMIT after the options
    or after :COMMAND, or a port where the command goes (``,cpp`` without ``,lzo`` is the pump
    feature's to refuse, _build_features).
    """
    entries = []
    for line in (text or "").splitlines():
        line = line.split("#", 1)[0]
        for word in line.split():
            if word.startswith("--"):
                continue
            entries.append(_ssh_entry(word) if "@" in word else _tcp_entry(word))
    return entries


def transport(entries):
    """How the remote entries are reached: ``tcp``, ``ssh``, ``mixed`` (both), or None (localhost alone, none)."""
    found = sorted({entry["transport"] for entry in entries} - {"local"})
    if not found:
        return None
    return found[0] if len(found) == 1 else "mixed"


def entry_name(word):
    """The host an entry of distcc's client log names (``on @10.0.0.3/4,lzo``): its host, without user@ or /LIMIT.

    ``localhost``, a TCP ``host[:port]`` and an SSH ``[user]@host`` give the host alone (a TCP
    port is dropped, as the facts have always keyed hosts by name or address).
    """
    name = word.split("/", 1)[0].split(",", 1)[0]
    if "@" in name:
        name = name.split("@", 1)[1].split(":", 1)[0]
    return name


def without_cpp(entries):
    """DISTCC_HOSTS text of ``entries`` with the ,cpp option dropped (plain distcc, no include server)."""
    words = []
    for entry in entries:
        parts = entry["raw"].split(",")
        words.append(",".join(parts[:1] + [p for p in parts[1:] if p != "cpp"]))
    return " ".join(words)


def backoff_hosts(entries):
    """Map the name of each remote entry's backoff file (distcc's lock.c) to the host it stands for.

    TCP: ``backoff_tcp_<host>_<port>_0`` for ``host:port``; SSH: ``backoff_ssh_<host>_0`` (no port
    nor user in the name) for ``[user]@host``.
    """
    files = {}
    for entry in entries:
        host = entry["host"]
        if entry["transport"] == "local":
            continue
        if entry["transport"] == "ssh":
            files["backoff_ssh_%s_0" % host] = "%s@%s" % (entry["user"] or "", host)
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
