"""_bench_ccache.py and the ccache bench's plan: the rows, the ratios and their targets, the facts kept, the files."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_ccache import analyse, build_subset, markdown
from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_plan import BenchError, ccache_plan
from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_report import ccache_raw, rewrite, write

# distcc_build's facts as its RETURN documentation shows them (a tinyconfig job on master-1, worker-1 at 10.200.1.4)
NO_CCACHE = {
    "wall_seconds": 185.2, "build_system": "make", "build_dir": "/srv/distcc-build/linux-6.1", "configure_seconds": None,
    "user_seconds": 120.4, "sys_seconds": 30.1, "host_cpu_seconds": 42.7, "jobs": 4, "hosts": "10.200.1.4/4,cpp,lzo",
    "prepare_seconds": 6.1, "prepare_targets": ["prepare"], "backoff_period": 10, "backoff_at_start": [],
    "remote_objects": 451, "remote_share": 1.0, "local_reasons": {}, "pump_switched_off": False,
    "jobs_per_host": {"10.200.1.4": 451}, "local_fallbacks": 0, "failed_remote": 0, "pump": True,
    "remote_preprocessed": 447, "pump_fallbacks": 0, "objects": 451, "rc": 0,
    "artifact": "/srv/distcc-build/linux-6.1/arch/x86/boot/bzImage", "artifact_bytes": 563200,
    "kernel_version": "6.1.158", "config": "tinyconfig", "distcc": True, "started_at": "2026-11-24T07:00:00Z",
    "client_log": "/srv/distcc-build/linux-6.1/.distrant/client.log", "cpu_breakdown": None, "cache_hits": 0,
    "ccache": None, "client": "/usr/local/lib/distrant-distcc/pump/bin/distcc", "kbuild_lean": ["no_empty_shells"],
    "host_compiles": {"compiles": 11, "remote": 6, "jobs_per_host": {"10.200.1.4": 6, "localhost": 5}},
}
CCACHE = {"hits": 0, "direct_hits": 0, "preprocessed_hits": 0, "misses": 451, "uncacheable": 3,
          "uncacheable_reasons": {"called_for_link": 3}, "errors": 0, "error_reasons": {}, "preprocessed_on_master": 0,
          "remote_storage": {"url": "http://***@10.200.1.4:3634/ccache|layout=subdirs", "hits": 0, "misses": 451,
                             "errors": 0, "timeouts": 0},
          "program": "/usr/bin/ccache", "dir": "/home/distcc/.cache/ccache", "max_size": "5G",
          "stats_log": "/srv/distcc-build/linux-6.1/.distrant/ccache-stats.log", "cache_size_kib": 51234,
          "cache_files": 912}


def build(wall, objects=451, hits=None, misses=None, remote_hits=0, cpu=42.7, where=None):
    """A build's facts: without ccache when hits is None, else with ccache's counters."""
    facts = copy.deepcopy(NO_CCACHE)
    facts.update(wall_seconds=wall, objects=objects, host_cpu_seconds=cpu,
                 jobs_per_host=where or {"10.200.1.4": objects - (hits or 0)})
    if hits is not None:
        facts["cache_hits"] = hits
        facts["remote_objects"] = objects - hits
        if hits:
            facts["jobs_per_host"]["cache_hits"] = hits
        facts["ccache"] = dict(copy.deepcopy(CCACHE), hits=hits, direct_hits=hits, misses=misses)
        facts["ccache"]["remote_storage"].update(hits=remote_hits, misses=objects - remote_hits)
    return facts


def run(row, wall, master="master-1", repeat=1, edited=None, **kwargs):
    return {"row": row, "repeat": repeat, "master": master, "edited": edited, "build": build(wall, **kwargs)}


RUNS = [
    run("cold", 180.0), run("cold-ccache", 200.0, hits=0, misses=451, cpu=60.0),
    run("cold", 190.0, repeat=2), run("edit-source-no-ccache", 30.0, objects=1, repeat=2, edited="kernel/fork.c"),
    run("cold-ccache", 204.0, hits=0, misses=451, repeat=2, cpu=60.0),
    run("warm-clean", 40.0, hits=451, misses=0),
    run("edit-source", 28.0, objects=1, hits=0, misses=1, edited="kernel/fork.c"),
    run("edit-header", 150.0, objects=380, hits=0, misses=380, edited="include/linux/kernel.h"),
    run("other-master", 50.0, master="master-2", hits=440, misses=11, remote_hits=440),
]
PLAN = {"repeats": 2, "source": "kernel/fork.c", "header": "include/linux/kernel.h",
        "remote_storage": "http://***@10.200.1.4:3634/ccache/"}
LAB = {"provider": {"master-1": "docker", "worker-1": "docker"}, "docker_cpus": {"master-1": 0.33, "worker-1": 1.33}}


def raw(runs=None):
    return ccache_raw(PLAN, runs if runs is not None else RUNS, LAB, machine_name="Linux 6.1.0 x86_64, 2 cores",
                      date="2026-12-07 13:00 UTC")


def rows(report):
    return {row["row"]: row for row in report["rows"]}


def test_the_cold_rows_are_medians_and_their_ratio_is_the_overhead():
    report = analyse(raw())
    cold, cold_ccache = rows(report)["cold"], rows(report)["cold-ccache"]
    assert (cold["wall_seconds"], cold["builds"], cold["wall_each"]) == (185.0, 2, [180.0, 190.0])
    assert cold_ccache["wall_seconds"] == 202.0
    assert report["overhead"] == {"wall": round(202 / 185, 3), "target": 1.10, "met": True,
                                  "master_cpu": round(60.0 / 42.7, 3)}
    # no ccache: no hits, misses or hit rate to show (not zeros)
    assert (cold["cache_hits"], cold["misses"], cold["hit_rate"], cold["remote_storage"]) == (None, None, None, None)
    assert (cold_ccache["cache_hits"], cold_ccache["misses"], cold_ccache["hit_rate"]) == (0, 451, 0.0)


def test_the_other_master_from_the_farms_cache_against_the_targets():
    report = analyse(raw())
    other = rows(report)["other-master"]
    assert other["masters"] == ["master-2"]
    assert other["hit_rate"] == round(440 / 451, 4)
    assert other["remote_storage"] == {"hits": 440, "misses": 11, "errors": 0, "timeouts": 0}
    assert other["jobs_per_host"] == {"10.200.1.4": 11, "cache_hits": 440}
    assert report["speedup_other_master"] == {"wall": 3.7, "target": 3.0, "met": True}
    assert report["hit_rate_other_master"] == {"rate": round(440 / 451, 4), "target": 0.95, "met": True}


def test_targets_missed_and_rows_not_run_are_said_so():
    runs = [run("cold", 100.0), run("cold-ccache", 130.0, hits=0, misses=451),
            run("other-master", 60.0, master="master-2", hits=300, misses=151, remote_hits=300)]
    report = analyse(raw(runs))
    assert [row["row"] for row in report["rows"]] == ["cold", "cold-ccache", "other-master"]
    assert not report["overhead"]["met"]
    assert not report["speedup_other_master"]["met"]
    assert not report["hit_rate_other_master"]["met"]
    text = "\n".join(markdown(report))
    assert "x1.3 wall (target <= 1.1: NOT met)" in text
    assert "x1.67 faster (target >= 3: NOT met)" in text
    assert "66.5% of its objects were hits (target >= 95%: NOT met)" in text
    assert analyse(raw([]))["overhead"] == {"wall": None, "target": 1.10, "met": False, "master_cpu": None}


def test_the_markdown_table_has_every_row_in_order_with_the_edits_and_the_lab():
    lines = markdown(analyse(raw()))
    assert lines[0].startswith("| row | master | wall | objects | cache hits | misses | hit rate |")
    table = [line for line in lines[2:] if line.startswith("| ")]
    assert [line.split(" | ")[0] for line in table] == [
        "| cold, no ccache", "| cold, ccache, empty cache", "| warm after make clean",
        "| one .c edited (kernel/fork.c)", "| one .c edited, no ccache (kernel/fork.c)",
        "| one header edited (include/linux/kernel.h)", "| other master, fresh tree, shared cache"]
    assert table[0] == ("| cold, no ccache | master-1 | 185 s (median of 180, 190) | 451 | - | - | - | - "
                        "| 10.200.1.4 451 | 42.7 s |")
    assert table[2] == ("| warm after make clean | master-1 | 40 s | 451 | 451 | 0 | 100% | 0/451/0 "
                        "| cache hits 451 | 42.7 s |")
    text = "\n".join(lines)
    assert "The header edited: include/linux/kernel.h; Kbuild rebuilt 380 objects, 380 of them ccache misses." in text
    assert "Lab: master-1 (docker 0.33 CPU), worker-1 (docker 1.33 CPU)." in text
    assert "Machine: Linux 6.1.0 x86_64, 2 cores." in text
    assert "Date: 2026-12-07 13:00 UTC." in text


def test_the_labs_machines_with_their_quota_under_docker_only():
    lab = {"provider": {"master-1": "libvirt", "worker-1": "libvirt"}, "docker_cpus": {"master-1": 0.4, "worker-1": 1.6}}
    report = analyse(ccache_raw(PLAN, RUNS, lab, machine_name="m", date="d"))
    assert report["lab"]["worker-1"] == {"provider": "libvirt", "docker_cpus": 1.6}
    assert "Lab: master-1 (libvirt), worker-1 (libvirt)." in markdown(report)
    no_lab = markdown(analyse(ccache_raw(PLAN, RUNS, {}, machine_name="m", date="d")))
    assert not [line for line in no_lab if line.startswith("Lab:")]


def test_the_raw_file_keeps_a_subset_of_the_facts_without_the_secret():
    kept = build_subset(build(50.0, hits=440, misses=11, remote_hits=440))
    assert set(kept) >= {"wall_seconds", "objects", "cache_hits", "jobs_per_host", "host_cpu_seconds", "ccache"}
    assert "client_log" not in kept and "stats_log" not in kept["ccache"]
    assert kept["ccache"]["remote_storage"]["url"] == "http://***@10.200.1.4:3634/ccache|layout=subdirs"
    assert build_subset(build(100.0))["ccache"] is None


def test_the_report_is_written_and_recomputed_from_its_raw_file(tmp_path):
    shown = write("ccache", str(tmp_path), raw())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bench-ccache.json", "bench-ccache.md"]
    kept = json.loads((tmp_path / "bench-ccache.json").read_text())
    assert [r["row"] for r in kept["runs"]] == [r["row"] for r in RUNS]
    assert kept["machine"] == "Linux 6.1.0 x86_64, 2 cores"
    assert (tmp_path / "bench-ccache.md").read_text() == "\n".join(shown) + "\n"
    (tmp_path / "bench-ccache.md").unlink()
    assert rewrite("ccache", str(tmp_path)) == shown


MASTERS = ["master-1", "master-2"]
URL = "http://***@10.200.1.4:3634/ccache/"
BOTH = {"master-1": {"shown": URL, "missing": None}, "master-2": {"shown": URL, "missing": None}}


def test_the_plan_reads_the_repeats_and_names_the_rows_files():
    plan = ccache_plan({}, {}, MASTERS, ["worker-1"], BOTH)
    assert plan["repeats"] == 2
    assert (plan["first"], plan["other"], plan["cache_host"]) == ("master-1", "master-2", "worker-1")
    assert plan["reset"] == ["distclean", "tinyconfig"]
    assert plan["remote_storage"] == URL
    assert (plan["source"], plan["header"]) == ("kernel/fork.c", "include/linux/kernel.h")
    assert ccache_plan({}, {"DISTRANT_BENCH_REPEATS": "3"}, MASTERS, ["worker-1"], BOTH)["repeats"] == 3
    assert ccache_plan({"repeats": 1}, {"DISTRANT_BENCH_REPEATS": "3"}, MASTERS, ["worker-1"], BOTH)["repeats"] == 1


@pytest.mark.parametrize("masters, caches, remote, message", [
    (["master"], ["worker-1"], BOTH, "needs two masters and a cache host .*this lab has 1 master.s. and cache"),
    (MASTERS, [], BOTH, "this lab has 2 master.s. and no cache host"),
    (MASTERS, ["worker-1"], dict(BOTH, **{"master-2": {"shown": None, "missing": "the cache does not admit it"}}),
     "master-2 has no URL of the farm's cache on worker-1 .the cache does not admit it.: run site.yml first"),
    (MASTERS, ["worker-1"], {}, "master-1 has no URL of the farm's cache on worker-1: run site.yml first"),
])
def test_the_plan_refuses_a_lab_without_what_it_measures(masters, caches, remote, message):
    with pytest.raises(BenchError, match=message):
        ccache_plan({}, {}, masters, caches, remote)


def test_a_bad_repeats_knob_names_the_variable():
    with pytest.raises(BenchError, match="DISTRANT_BENCH_REPEATS must be a whole number >= 1, got '0'"):
        ccache_plan({}, {"DISTRANT_BENCH_REPEATS": "0"}, MASTERS, ["worker-1"], BOTH)
