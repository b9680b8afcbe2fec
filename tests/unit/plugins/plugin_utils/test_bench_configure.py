"""make bench-configure's report (_bench_configure) and raw file (_bench_report.configure_raw), and its plan."""

from __future__ import annotations

import json

import pytest

from ansible_collections.distrant.distcc.plugins.plugin_utils import _bench_configure as configure
from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_plan import BenchError, configure_plan
from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_report import configure_raw, rewrite, write

MASTER = {"name": "master", "cpu": {"effective_cpus": 0.4}}
PROJECT = {"name": "coreutils", "version": "9.1", "build_system": "autotools"}
BUILDS = [{"name": "local", "wall_median_seconds": 200.0, "speedup": 1.0},
          {"name": "auto", "wall_median_seconds": 50.0}, {"name": "plain", "wall_median_seconds": None}]


def played(variant, repeat, delta, before=10.0, after=70.0, rc=0):
    """A run as the playbook keeps it: the command's rc and delta, the master's CPU counter around it."""
    return {"variant": variant, "repeat": repeat, "rc": rc, "delta": delta, "cpu_before": before, "cpu_after": after}


RUNS = [played("cache", 1, "0:00:20.500000"), played("ccache", 1, "0:02:30.000000"),
        played("distcc", 1, "0:03:10.000000", rc=1), played("plain", 1, "0:02:40.000000"),
        played("cache", 2, "0:00:19.500000"), played("ccache", 2, "0:02:20.000000"),
        played("distcc", 2, "0:03:00.000000"), played("plain", 2, "0:02:42.000000", after=None)]


def test_the_raw_file_has_seconds_and_cpu_from_the_commands_delta_and_the_counters():
    raw = configure_raw(RUNS, MASTER, PROJECT, ["--disable-nls"], BUILDS)
    assert raw["runs"][0] == {"variant": "cache", "repeat": 1, "rc": 0, "seconds": 20.5, "master_cpu_seconds": 60.0}
    assert raw["runs"][-1]["master_cpu_seconds"] is None  # a counter that could not be read
    assert raw["builds"] == [{"name": "local", "wall_median_seconds": 200.0},
                             {"name": "auto", "wall_median_seconds": 50.0},
                             {"name": "plain", "wall_median_seconds": None}]
    assert json.loads(json.dumps(raw)) == raw


def test_variants_are_compared_with_plain_configure_and_failed_runs_kept_apart():
    report = configure.analyse(configure_raw(RUNS, MASTER, PROJECT, [], BUILDS))
    by_name = {v["name"]: v for v in report["variants"]}
    assert list(by_name) == ["cache", "ccache", "distcc", "plain"]
    assert by_name["plain"]["wall_median_seconds"] == 161.0
    assert by_name["cache"]["wall_median_seconds"] == 20.0
    assert by_name["cache"]["faster_than_plain"] == 8.05
    assert by_name["ccache"]["spread_seconds"] == 10.0
    assert by_name["distcc"]["runs"] == 1 and by_name["distcc"]["failed_runs"] == 1
    assert by_name["plain"]["master_cpu_median_seconds"] == 60.0  # the run without a counter is left out
    assert report["best"] == "cache"


def test_the_whole_job_adds_configure_to_each_build_median_against_locals_whole_job():
    report = configure.analyse(configure_raw(RUNS, MASTER, PROJECT, [], BUILDS))
    rows = {r["setup"]: r for r in report["whole_job"]}
    assert set(rows) == {"local", "auto"}  # a setup without a median has no row
    assert rows["local"]["whole_seconds"] == 361.0 and rows["local"]["whole_speedup"] == 1.0
    assert rows["auto"]["build_speedup"] == 4.0
    assert rows["auto"]["whole_seconds"] == 211.0 and rows["auto"]["whole_speedup"] == 1.71
    assert rows["auto"]["whole_fastest_configure_seconds"] == 70.0
    assert rows["auto"]["whole_fastest_configure_speedup"] == 5.16


def test_without_build_medians_the_report_says_how_to_get_them(tmp_path):
    lines = write("configure", str(tmp_path), configure_raw(RUNS, MASTER, PROJECT, ["--disable-nls"], []))
    assert any("run make bench with the same DISTRANT_BENCH_PROJECT first" in line for line in lines)
    assert "| `cache` | 20.0 s (1.0 s) | 2 | 60.0 s | 8.05x |" in lines
    assert "| `distcc` | 180.0 s (0.0 s) | 1 (1 failed) | 60.0 s | 0.89x |" in lines
    assert rewrite("configure", str(tmp_path)) == lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bench-configure-raw.json", "bench-configure.json",
                                                          "bench-configure.md"]


def test_the_plan_needs_a_project_and_runs_plain_last():
    with pytest.raises(BenchError, match="set DISTRANT_BENCH_PROJECT"):
        configure_plan({}, {})
    plan = configure_plan({}, {"DISTRANT_BENCH_PROJECT": "debian:coreutils"})
    assert plan == {"repeats": 2, "project": {"distcc_project_source": {"debian": "coreutils"}},
                    "variants": ["cache", "ccache", "distcc", "plain"]}
    assert configure_plan({"repeats": 1, "project": "debian:grep"}, {})["repeats"] == 1
