"""make bench's breakdown of the workers' CPU (the compiler accounting on distccd's PATH): analysis and table."""

from __future__ import annotations

from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_analysis import worker_breakdown
from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_render import _worker_breakdown_table

NAMES, ADDRESSES = ["worker-1"], ["10.200.1.3"]


def run(worker_cpu, lines, objects=4, refused=None):
    """A breakdown run: the worker's CPU counter around it, the accounting log's lines (microseconds)."""
    return {"setup": "breakdown", "refused": refused, "jobs_per_host": {"10.200.1.3": objects},
            "cpu_before": {"master": 1.0, "worker-1": 100.0}, "cpu_after": {"master": 3.0, "worker-1": 100.0 + worker_cpu},
            "worker_account": {"worker-1": "".join("%d %d %d %d\n" % line for line in lines)}}


def test_the_workers_cpu_splits_into_compiler_accounting_and_distccd_per_object():
    # four compiles of 300 ms user + 50 ms sys each, the accounting 10 ms each; the worker spent 2.0 s
    found = worker_breakdown([run(2.0, [(300000, 50000, 8000, 2000)] * 4)], NAMES, ADDRESSES)
    b = found["worker-1"]
    assert (b["objects"], b["compiles"]) == (4, 4)
    assert (b["worker_seconds"], b["compiler_seconds"], b["accounting_seconds"], b["distccd_seconds"]) == (
        2.0, 1.4, 0.04, 0.56)
    assert (b["worker_per_object_ms"], b["compiler_per_object_ms"], b["distccd_per_object_ms"]) == (500.0, 350.0, 140.0)


def test_runs_without_the_accounting_or_a_cut_line_count_as_they_are():
    runs = [run(2.0, [(300000, 50000, 8000, 2000)] * 4), run(3.0, [(400000, 50000, 8000, 2000)] * 4),
            {"setup": "auto", "jobs_per_host": {"10.200.1.3": 4}}]
    runs[1]["worker_account"]["worker-1"] += "12 34\n"  # a line cut short: not counted
    b = worker_breakdown(runs, NAMES, ADDRESSES)["worker-1"]
    assert b["compiles"] == 4
    assert b["worker_seconds"] == 2.5 and b["compiler_per_object_ms"] == 400.0  # medians of the two runs
    assert worker_breakdown([{"setup": "auto", "jobs_per_host": {}}], NAMES, ADDRESSES) is None
    assert worker_breakdown([run(2.0, [])], NAMES, ADDRESSES) is None  # an empty log: no compile seen


def test_the_table_puts_local_per_object_beside_it():
    setups = [{"name": "local", "objects": 4, "cpu_seconds_median": {"master": 1.6}},
              {"name": "breakdown", "worker_breakdown": worker_breakdown(
                  [run(2.0, [(300000, 50000, 8000, 2000)] * 4)], NAMES, ADDRESSES)}]
    lines = _worker_breakdown_table(setups, "master")
    assert "| breakdown | worker-1 | 4 | 500.0 ms (2.0 CPU-s) | 350.0 ms (70%) | 140.0 ms (28%) | 10.0 ms (2%) |" in lines
    assert lines[-1].startswith("`local` spent 400.0 ms of master CPU per object (1.6 CPU-s for 4 objects)")
    assert _worker_breakdown_table(setups[:1], "master") == []
