"""_distccd_stats on what a real worker wrote while two masters built at once (recorded in the lab:
the stats page read from a master, the worker's /proc/net/tcp and distccd's log)."""

from __future__ import annotations


import pytest
from conftest import recorded

from ansible_collections.distrant.distcc.plugins.module_utils import _distccd_stats as stats

fixture = recorded(__file__)


def test_the_stats_page_of_a_busy_worker():
    counters = stats.parse_stats(fixture("distccd-stats-busy.txt"))
    assert counters["jobs"] == counters["dcc_max_kids"] == 4
    assert counters["dcc_tcp_accept"] == 69
    assert counters["dcc_compile_ok"] == 63
    assert counters["dcc_other"] == 2
    # 69 accepted, 63 + 2 ended: 4 in flight
    assert counters["in_flight"] == 4
    assert counters["dcc_longest_job"] == "mm/filemap.c"
    assert counters["dcc_load1"] == pytest.approx(6.34)


@pytest.mark.parametrize("text, message", [
    ("HTTP/1.0 200 OK\n\n<html>not distccd</html>", "not a distccd stats page"),
    ("<distccstats>\ndcc_tcp_accept 3\n</distccstats>", "distccd stats page without dcc_max_kids"),
])
def test_what_is_not_a_stats_page(text, message):
    with pytest.raises(stats.StatsError, match=message):
        stats.parse_stats(text)


def test_running_and_queued_from_proc_net_tcp():
    rows = stats.parse_proc_tcp(fixture("proc-net-tcp-busy.txt"))
    # the listening socket of 10.200.1.4:3632 has 4 connections in its accept queue
    assert stats.queued(rows, 3632) == 4
    # 8 established connections to the port, 4 of them still queued: 4 served, distccd's --jobs
    assert stats.running(rows, 3632) == 4
    assert stats.queued(rows, 3633) == 0
    assert stats.running(rows, 22) == 0
    listening = [row for row in rows if row["state"] == stats.TCP_LISTEN and row["local"][1] == 3632]
    assert [row["local"] for row in listening] == [("10.200.1.4", 3632)]


def test_a_row_that_is_not_proc_net_tcp():
    with pytest.raises(stats.StatsError, match="not a /proc/net/tcp row"):
        stats.parse_proc_tcp("header\n 0: zz:yy 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n")


def test_the_job_log_counts_each_master():
    lines = fixture("distccd-log-two-masters.txt").splitlines()
    counts = stats.parse_job_log(lines)
    assert set(counts) == {"10.200.1.2", "10.200.1.3"}
    assert sum(n for per in counts.values() for n in per.values()) == sum("(dcc_job_summary)" in line for line in lines)
    assert all(set(per) == {"COMPILE_OK"} for per in counts.values())
    # read in two pieces, the same counts
    half = len(lines) // 2
    assert stats.parse_job_log(lines[half:], stats.parse_job_log(lines[:half])) == counts


def test_the_log_reader_reads_on_and_starts_again_after_a_rotation(tmp_path):
    log = tmp_path / "distccd.log"
    summary = "distccd[1] (dcc_job_summary) client: 10.0.0.2:4000 COMPILE_OK exit:0 sig:0 core:0 ret:0 time:1ms gcc a.c\n"
    log.write_text(summary + summary[:30])
    reader = stats.LogReader(str(log))
    assert reader.read() == {"10.0.0.2": {"COMPILE_OK": 1}}
    with open(log, "a") as handle:
        handle.write(summary[30:] + summary.replace("COMPILE_OK", "COMPILE_ERROR"))
    assert reader.read() == {"10.0.0.2": {"COMPILE_OK": 2, "COMPILE_ERROR": 1}}
    log.write_text(summary)  # rotated: shorter than what was read
    assert reader.read() == {"10.0.0.2": {"COMPILE_OK": 3, "COMPILE_ERROR": 1}}
    assert stats.LogReader(str(tmp_path / "missing.log")).read() == {}


@pytest.mark.parametrize("argv, jobs", [
    (["/usr/bin/distccd", "--daemon", "--jobs", "4"], 4),
    (["/usr/bin/distccd", "-j", "6"], 6),
    (["/usr/bin/distccd", "--jobs=8"], 8),
    (["/usr/bin/distccd", "--daemon"], None),
])
def test_jobs_from_the_command_line(argv, jobs):
    assert stats.jobs_from_cmdline(argv) == jobs


def test_the_prometheus_text(tmp_path):
    numbers = {"up": True, "jobs": 4, "running": 4, "queued": 2,
               "clients": {"10.0.0.3": {"COMPILE_OK": 7}, "10.0.0.2": {"COMPILE_OK": 5, "OTHER": 1}}}
    text = stats.prometheus(numbers, 'worker-"1"')
    assert 'distcc_worker_up{worker="worker-\\"1\\""} 1' in text
    assert 'distcc_worker_jobs_limit{worker="worker-\\"1\\""} 4' in text
    assert 'distcc_worker_compiles_running{worker="worker-\\"1\\""} 4' in text
    assert 'distcc_worker_compiles_queued{worker="worker-\\"1\\""} 2' in text
    totals = [line for line in text.splitlines() if line.startswith("distcc_worker_jobs_total")]
    assert totals == [
        'distcc_worker_jobs_total{worker="worker-\\"1\\"",client="10.0.0.2",result="COMPILE_OK"} 5',
        'distcc_worker_jobs_total{worker="worker-\\"1\\"",client="10.0.0.2",result="OTHER"} 1',
        'distcc_worker_jobs_total{worker="worker-\\"1\\"",client="10.0.0.3",result="COMPILE_OK"} 7',
    ]
    unknown = stats.prometheus(dict(numbers, jobs=None, up=False), "w")
    assert 'distcc_worker_up{worker="w"} 0' in unknown
    assert "distcc_worker_jobs_limit{" not in unknown
    out = tmp_path / "distccd.prom"
    stats.write_atomically(str(out), text)
    assert out.read_text() == text and oct(out.stat().st_mode & 0o777) == "0o644"


def test_the_script_writes_the_file_once(tmp_path):
    log = tmp_path / "distccd.log"
    log.write_text(fixture("distccd-log-two-masters.txt"))
    out = tmp_path / "distccd.prom"
    assert stats.main(["--log", str(log), "--out", str(out), "--worker", "w1", "--port", "1"]) == 0
    text = out.read_text()
    assert 'distcc_worker_jobs_total{worker="w1",client="10.200.1.2",result="COMPILE_OK"}' in text
    assert 'distcc_worker_compiles_queued{worker="w1"} 0' in text
