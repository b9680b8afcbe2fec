# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a worker's distccd is doing, and for whom: its --stats page, its job log, its sockets.

Three sources, each parsed apart from the I/O that reads it:
- the plain-text page distccd serves on its stats port (``--stats``; the ACL applies: only the
  masters may read it): its counters, its ``--jobs`` (dcc_max_kids), and the compiles in flight
  (every accepted connection ends in exactly one result counter, so in flight = accepted minus
  ended);
- distccd's log, one ``(dcc_job_summary) client: ADDRESS:PORT RESULT ...`` line per job: what each
  master sent and how it ended;
- ``/proc/net/tcp``: the connections to distccd's port now. A connection in the accept queue of
  the listening socket is established already: the queue (the listening socket's rx_queue) is
  the compiles queued, the other established connections the compiles running. Read on the
  worker itself, which is not in its own ACL, by any user (no other process's file descriptors).

Run as a script on a worker (``python3 _distccd_stats.py --log ... --out ...``), it writes the
numbers for node_exporter's textfile collector, again every ``--interval`` seconds.
"""

from __future__ import annotations

import os
import re
import time

# distccd's result counters (stats.c's stats_text, the order of its page), TCP_ACCEPT aside.
RESULTS = ("REJ_BAD_REQ", "REJ_OVERLOAD", "COMPILE_OK", "COMPILE_ERROR", "COMPILE_TIMEOUT", "CLI_DISCONN", "OTHER")
# The stats page's name of each result counter.
_PAGE_NAMES = {
    "REJ_BAD_REQ": "dcc_rej_bad_req",
    "REJ_OVERLOAD": "dcc_rej_overload",
    "COMPILE_OK": "dcc_compile_ok",
    "COMPILE_ERROR": "dcc_compile_error",
    "COMPILE_TIMEOUT": "dcc_compile_timeout",
    "CLI_DISCONN": "dcc_cli_disconnect",
    "OTHER": "dcc_other",
}
_SUMMARY = re.compile(r"\(dcc_job_summary\) client: (?P<address>[0-9.]+):\d+ (?P<result>[A-Z_]+)\b")
TCP_LISTEN = "0A"
TCP_ESTABLISHED = "01"


class StatsError(ValueError):
    """A stats page or a /proc table that is not what distccd or Linux write."""


def parse_stats(text):
    """The counters of distccd's stats page (HTTP headers and all) as a dict.

    Numbers become ints (``dcc_free_space 1234 MB`` too); the page's own keys are kept, plus
    ``in_flight`` (accepted connections not ended yet) and ``jobs`` (its --jobs, dcc_max_kids).
    """
    if "<distccstats>" not in text or "</distccstats>" not in text:
        raise StatsError("not a distccd stats page (no <distccstats> block): %r" % text[:120])
    body = text.split("<distccstats>", 1)[1].split("</distccstats>", 1)[0]
    counters = {}
    for line in body.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        key, value = parts[0], parts[1]
        try:
            counters[key] = int(value)
        except ValueError:
            try:
                counters[key] = float(value)
            except ValueError:
                counters[key] = value
    missing = [name for name in ["dcc_tcp_accept", "dcc_max_kids"] + list(_PAGE_NAMES.values()) if name not in counters]
    if missing:
        raise StatsError("distccd stats page without %s" % ", ".join(missing))
    ended = sum(counters[_PAGE_NAMES[result]] for result in RESULTS)
    counters["in_flight"] = max(0, counters["dcc_tcp_accept"] - ended)
    counters["jobs"] = counters["dcc_max_kids"]
    return counters


def parse_job_log(lines, counts=None):
    """Count distccd's job summaries per client address and result: {address: {result: n}}.

    ``counts`` (the same shape) is added to, for a log read in pieces.
    """
    counts = {} if counts is None else counts
    for line in lines:
        match = _SUMMARY.search(line)
        if match:
            per_client = counts.setdefault(match.group("address"), {})
            per_client[match.group("result")] = per_client.get(match.group("result"), 0) + 1
    return counts


def _hex_endpoint(text):
    """'0B01C80A:0E30' (/proc/net/tcp, little-endian IPv4) -> ('10.200.1.11', 3632)."""
    address, port = text.split(":")
    octets = [str(int(address[i:i + 2], 16)) for i in range(0, 8, 2)]
    return ".".join(reversed(octets)), int(port, 16)


def parse_proc_tcp(text):
    """Rows of /proc/net/tcp: dicts with local (address, port), state and rx_queue."""
    rows = []
    for line in text.splitlines()[1:]:  # the first line names the columns
        fields = line.split()
        if len(fields) < 10:
            continue
        try:
            rows.append({
                "local": _hex_endpoint(fields[1]),
                "state": fields[3],
                "rx_queue": int(fields[4].split(":")[1], 16),
            })
        except (ValueError, IndexError):
            raise StatsError("not a /proc/net/tcp row: %r" % line)
    return rows


def queued(rows, port):
    """Connections waiting in the accept queue of the socket listening on port (its rx_queue)."""
    return sum(row["rx_queue"] for row in rows if row["state"] == TCP_LISTEN and row["local"][1] == port)


def running(rows, port):
    """Established connections to port that distccd's children have accepted: the compiles being served."""
    established = sum(1 for row in rows if row["state"] == TCP_ESTABLISHED and row["local"][1] == port)
    return max(0, established - queued(rows, port))


def jobs_from_cmdline(argv):
    """distccd's --jobs (-j) from its command line, or None."""
    for index, word in enumerate(argv):
        if word in ("--jobs", "-j") and index + 1 < len(argv):
            return int(argv[index + 1])
        if word.startswith("--jobs="):
            return int(word.split("=", 1)[1])
    return None


def _distccd_processes(proc="/proc"):
    """{pid: argv} of the processes named distccd."""
    found = {}
    for name in os.listdir(proc):
        if not name.isdigit():
            continue
        try:
            with open(os.path.join(proc, name, "cmdline"), "rb") as handle:
                argv = [part.decode("utf-8", "replace") for part in handle.read().split(b"\0") if part]
        except OSError:
            continue
        if argv and os.path.basename(argv[0]) == "distccd":
            found[int(name)] = argv
    return found


class LogReader:
    """distccd's log read on from where the last call stopped (a shorter file starts again)."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.counts = {}

    def read(self):
        try:
            size = os.path.getsize(self.path)
        except OSError:
            return self.counts
        if size < self.offset:  # rotated or truncated
            self.offset = 0
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            data = handle.read(size - self.offset)
        # a half-written last line waits for the next call
        complete = data.rfind(b"\n") + 1
        self.offset += complete
        parse_job_log(data[:complete].decode("utf-8", "replace").splitlines(), self.counts)
        return self.counts


def sample(port, log, proc="/proc"):
    """The worker's numbers now: jobs (--jobs), running, queued and per-client results."""
    processes = _distccd_processes(proc)
    jobs = None
    for argv in processes.values():
        jobs = jobs if jobs is not None else jobs_from_cmdline(argv)
    try:
        with open(os.path.join(proc, "net", "tcp")) as handle:
            rows = parse_proc_tcp(handle.read())
    except OSError:
        rows = []
    return {
        "up": bool(processes),
        "jobs": jobs,
        "running": running(rows, port),
        "queued": queued(rows, port),
        "clients": log.read() if log is not None else {},
    }


def _label(value):
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus(numbers, worker):
    """The numbers of sample() in Prometheus' text format (node_exporter's textfile collector)."""
    name = _label(worker)
    lines = [
        "# HELP distcc_worker_up 1 when distccd runs on this worker.",
        "# TYPE distcc_worker_up gauge",
        'distcc_worker_up{worker="%s"} %d' % (name, 1 if numbers["up"] else 0),
        "# HELP distcc_worker_jobs_limit Compiles distccd runs at once (its --jobs).",
        "# TYPE distcc_worker_jobs_limit gauge",
    ]
    if numbers["jobs"] is not None:
        lines.append('distcc_worker_jobs_limit{worker="%s"} %d' % (name, numbers["jobs"]))
    lines += [
        "# HELP distcc_worker_compiles_running Connections distccd's children are serving now.",
        "# TYPE distcc_worker_compiles_running gauge",
        'distcc_worker_compiles_running{worker="%s"} %d' % (name, numbers["running"]),
        "# HELP distcc_worker_compiles_queued Connections waiting in distccd's accept queue.",
        "# TYPE distcc_worker_compiles_queued gauge",
        'distcc_worker_compiles_queued{worker="%s"} %d' % (name, numbers["queued"]),
        "# HELP distcc_worker_jobs_total Jobs distccd ended, by client (master) and result, from its log.",
        "# TYPE distcc_worker_jobs_total counter",
    ]
    for client in sorted(numbers["clients"]):
        for result in sorted(numbers["clients"][client]):
            lines.append('distcc_worker_jobs_total{worker="%s",client="%s",result="%s"} %d'
                         % (name, _label(client), _label(result), numbers["clients"][client][result]))
    return "\n".join(lines) + "\n"


def write_atomically(path, text):
    """Whole or not at all: node_exporter may read the file while it is written."""
    partial = "%s.%d" % (path, os.getpid())
    with open(partial, "w") as handle:
        handle.write(text)
    os.chmod(partial, 0o644)
    os.rename(partial, path)


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(description="distccd's numbers for node_exporter's textfile collector")
    parser.add_argument("--port", type=int, default=3632)
    parser.add_argument("--log", required=True, help="distccd's --log-file")
    parser.add_argument("--out", required=True, help="the .prom file to write")
    parser.add_argument("--worker", default=os.uname()[1], help="the worker label")
    parser.add_argument("--interval", type=float, default=0, help="write again every N seconds (0: once)")
    args = parser.parse_args(argv)
    log = LogReader(args.log)
    while True:
        write_atomically(args.out, prometheus(sample(args.port, log), args.worker))
        if args.interval <= 0:
            return 0
        time.sleep(args.interval)


if __name__ == "__main__":
    raise SystemExit(main())
