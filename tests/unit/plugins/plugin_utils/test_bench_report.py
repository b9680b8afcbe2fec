"""The benchmark's report (_bench_report.py, _bench_analysis.py, _bench_render.py) on the raw measurements
of real `make bench` runs (recorded)."""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.distrant.distcc.plugins.plugin_utils import _bench_analysis
from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_report import (
    benchmark_raw,
    main,
    rewrite,
    team_raw,
    write,
)

HERE = os.path.dirname(__file__)
RAW = os.path.join(HERE, "fixtures", "benchmark-raw.json")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    shutil.copy(RAW, out / "benchmark-raw.json")
    printed = "\n".join(rewrite("benchmark", str(out))) + "\n"
    with open(out / "benchmark.json") as handle:
        data = json.load(handle)
    with open(RAW) as handle:
        raw = json.load(handle)
    return {"dir": out, "json": data, "raw": raw, "printed": printed}


def test_every_setup_has_the_fields_the_issue_names(report):
    names = [s["name"] for s in report["json"]["setups"]]
    assert names[:3] == ["local", "seed", "auto"]
    for setup in report["json"]["setups"]:
        for key in ("name", "wall_median_seconds", "speedup", "ideal_speedup", "efficiency", "jobs", "jobs_per_host"):
            assert key in setup, key


def test_medians_speedups_and_efficiency_follow_from_the_runs(report):
    raw, setups = report["raw"], {s["name"]: s for s in report["json"]["setups"]}
    walls = {name: [r["wall_seconds"] for r in raw["runs"] if r["setup"] == name] for name in setups}
    local = round(statistics.median(walls["local"]), 1)  # the report divides the rounded medians
    master = raw["master"]["cpu"]["effective_cpus"]
    ideal = (master + sum(w["effective_cpus"] for w in raw["workers"])) / master
    for name, setup in setups.items():
        assert setup["wall_median_seconds"] == round(statistics.median(walls[name]), 1)
        assert setup["wall_spread_seconds"] == round(max(walls[name]) - min(walls[name]), 1)
        assert setup["speedup"] == round(local / setup["wall_median_seconds"], 2)
        assert setup["efficiency"] == round(setup["speedup"] / setup["ideal_speedup"], 2)
    assert setups["auto"]["ideal_speedup"] == round(ideal, 2)


def test_the_model_reproduces_its_calibration_and_never_beats_the_master_bound(report):
    models = report["json"]["model"]
    setups = {s["name"]: s for s in report["json"]["setups"]}
    for mode in ("plain", "pump"):
        model = models[mode]
        calibration = model["calibrated_on"].split()[0]
        points = {p["workers"]: p for p in model["points"]}
        k0 = setups[calibration]["workers_used"]
        assert points[k0]["wall_seconds"] == pytest.approx(setups[calibration]["wall_median_seconds"], abs=0.2)
        walls = [p["wall_seconds"] for p in model["points"]]
        assert walls == sorted(walls, reverse=True)  # more workers never slower
        assert all(p["speedup"] <= model["max_speedup"] + 0.01 for p in model["points"])
        assert points[64]["speedup"] == pytest.approx(model["max_speedup"], abs=0.02)


def test_markdown_and_chart_are_written(report):
    text = (report["dir"] / "benchmark.md").read_text()
    assert "| auto |" in text and "## Scaling model" in text
    root = ET.parse(report["dir"] / "benchmark.svg").getroot()
    assert root.tag.endswith("svg")
    assert "| seed |" in report["printed"]


def text_extent(element, inherited_size):
    """(left, right) of an SVG text element, estimated at 0.6 of its font size per character (a generous
    average for sans-serif; bold a tenth wider)."""
    size = float(element.get("font-size") or inherited_size)
    width = 0.6 * size * len(element.text or "") * (1.1 if element.get("font-weight") == "bold" else 1.0)
    x = float(element.get("x"))
    anchor = element.get("text-anchor", "start")
    left = x - width if anchor == "end" else x - width / 2 if anchor == "middle" else x
    return left, left + width


def test_every_text_of_the_chart_fits_in_the_picture_at_its_own_size(report):
    root = ET.parse(report["dir"] / "benchmark.svg").getroot()
    ns = "{http://www.w3.org/2000/svg}"
    width = float(root.get("width"))
    texts = list(root.iter(ns + "text"))
    assert any((t.text or "").startswith("measured against the") for t in texts)
    for text in texts:
        left, right = text_extent(text, root.get("font-size"))
        assert 0 <= left and right <= width, (text.text, left, right, width)


def test_chart_shows_the_ideal_line_every_measured_setup_and_the_master_limit(report):
    root = ET.parse(report["dir"] / "benchmark.svg").getroot()
    ns = "{http://www.w3.org/2000/svg}"
    axes = [e for e in root.iter(ns + "line") if e.get("x1") == e.get("x2") and not e.get("class")]
    top, bottom = float(axes[0].get("y2")), float(axes[0].get("y1"))  # the y axis
    lines = root.findall(ns + "polyline")
    assert len(lines) == 3  # ideal, plain (model), pump (model)
    for line in lines:  # nothing clipped: every point of every curve inside the plot
        for pair in line.get("points").split():
            assert top - 0.5 <= float(pair.split(",")[1]) <= bottom + 0.5, pair
    ideal_ys = [float(p.split(",")[1]) for p in lines[0].get("points").split()]
    assert ideal_ys == sorted(ideal_ys, reverse=True) and len(set(ideal_ys)) == len(ideal_ys)  # rises to the end
    distributed = [s for s in report["json"]["setups"] if s["hosts"] and s["speedup"]]
    dots = [c for c in root.iter(ns + "circle") if c.get("class") == "measured"]
    assert len(dots) == len(distributed) == 4
    assert {c.find(ns + "title").text.split(":")[0] for c in dots} == {s["name"] for s in distributed}
    limits = [e for e in root.iter(ns + "line") if e.get("class") == "master-limit"]
    assert len(limits) == 2  # plain and pump
    assert "master limit (pump): 1.1 workers" in ET.tostring(root, encoding="unicode")


WHOLE_JOB = os.path.join(HERE, "fixtures", "benchmark-raw-whole-job.json")


def run_report(tmp_path, raw):
    with open(tmp_path / "benchmark-raw.json", "w") as handle:
        json.dump(raw, handle)
    rewrite("benchmark", str(tmp_path))
    with open(tmp_path / "benchmark.json") as handle:
        return json.load(handle), (tmp_path / "benchmark.md").read_text()


def test_whole_job_run_reports_where_every_object_ran(tmp_path):
    # recorded: make bench on the whole tinyconfig job from a fresh tree, local/seed/auto, 3 repeats
    with open(WHOLE_JOB) as handle:
        raw = json.load(handle)
    data, text = run_report(tmp_path, raw)
    setups = {s["name"]: s for s in data["setups"]}
    assert (setups["auto"]["remote_objects"], setups["auto"]["objects"]) == (451, 451)
    assert setups["auto"]["local_reasons"] == {} and setups["auto"]["stranded_objects"] == 0
    assert setups["seed"]["local_reasons"] == {"localhost_slot": 322}
    assert setups["auto"]["speedup"] == 2.76 and setups["seed"]["speedup"] == 1.59
    assert setups["auto"]["prepare_median_seconds"] == 16.1
    assert "the whole job: each run from an unpacked tree with a fresh `make tinyconfig`" in text
    assert "| 451 of 451 | none |" in text
    assert "stranded" not in text and "refused" not in text


def test_refused_and_stranded_runs_are_kept_apart(tmp_path):
    with open(WHOLE_JOB) as handle:
        raw = json.load(handle)
    autos = [r for r in raw["runs"] if r["setup"] == "auto"]
    # one auto run compiled on the master: the module refused it (min_remote_share)
    autos[0].update(refused="only 0 of 451 objects ...", wall_seconds=999.0, remote_objects=0,
                    local_reasons={"backoff": 440, "connection_failed": 11})
    # another stranded a few objects but stayed above the share
    autos[1].update(remote_objects=441, local_reasons={"discrepancy": 1, "backoff": 9})
    data, text = run_report(tmp_path, raw)
    auto = {s["name"]: s for s in data["setups"]}["auto"]
    assert auto["runs"] == 2 and auto["refused_runs"] == 1
    assert 999.0 not in auto["wall_seconds"]
    assert auto["stranded_objects"] == 10
    assert "auto (**stranded**: 10 objects on the master) (1 run(s) refused: compiled on the master)" in text


def test_a_setup_whose_runs_were_all_refused_has_no_speedup(tmp_path):
    with open(WHOLE_JOB) as handle:
        raw = json.load(handle)
    for run in raw["runs"]:
        if run["setup"] == "auto":
            run["refused"] = "only 0 of 451 objects ..."
    data, text = run_report(tmp_path, raw)
    auto = {s["name"]: s for s in data["setups"]}["auto"]
    assert auto["all_refused"] and auto["speedup"] is None and auto["efficiency"] is None
    assert "auto (all runs refused: compiled on the master)" in text
    assert "pump" not in data["model"]  # a refused setup calibrates nothing


def test_a_project_run_is_named_with_its_build_system_and_configure_time(tmp_path):
    # the recorded kernel runs, relabelled as a project's (what bench.yml writes with DISTRANT_BENCH_PROJECT)
    with open(RAW) as handle:
        raw = json.load(handle)
    raw["project"] = {"name": "yaml-cpp", "version": "0.7.0+dfsg-8", "build_system": "cmake", "target": ""}
    for i, run in enumerate(raw["runs"]):
        run.update(kernel_version=None, config=None, configure_seconds=0.2 + 0.1 * (i % 3))
    with open(tmp_path / "benchmark-raw.json", "w") as handle:
        json.dump(raw, handle)
    rewrite("benchmark", str(tmp_path))
    with open(tmp_path / "benchmark.md") as handle:
        text = handle.read()
    assert "yaml-cpp 0.7.0+dfsg-8 (cmake): each run after a clean of its build directory" in text
    assert "its configure step apart, median 0.30 s" in text and "linux" not in text.split("\n")[2]
    with open(tmp_path / "benchmark.json") as handle:
        assert json.load(handle)["project"]["build_system"] == "cmake"


def test_the_breakdown_row_shows_where_the_master_cpu_went_and_calibrates_nothing(tmp_path):
    # the recorded auto runs, run again as the breakdown setup (what cpu_breakdown adds to a run's facts)
    with open(WHOLE_JOB) as handle:
        raw = json.load(handle)
    auto_setup = next(s for s in raw["setups"] if s["name"] == "auto")
    raw["setups"] = [s for s in raw["setups"] if s["name"] != "auto"] + [dict(auto_setup, name="breakdown")]
    for i, run in enumerate(r for r in raw["runs"] if r["setup"] == "auto"):
        run["setup"] = "breakdown"
        run["cpu_breakdown"] = {"master_seconds": 44.0 + i, "master_per_object_ms": (44.0 + i) * 1000 / 451,
                                "objects": 451, "client_processes": 600, "complete": True,
                                "client_seconds": 9.0, "client_per_object_ms": 9000 / 451,
                                "include_server_seconds": 14.0 + i, "include_server_per_object_ms": (14.0 + i) * 1000 / 451,
                                "accounting_seconds": 0.4, "accounting_per_object_ms": 400 / 451,
                                "make_seconds": 19.1, "make_per_object_ms": 19100 / 451,
                                "other_seconds": 1.5, "other_per_object_ms": 1500 / 451}
    data, text = run_report(tmp_path, raw)
    b = {s["name"]: s for s in data["setups"]}["breakdown"]["cpu_breakdown"]
    assert b["master_seconds"] == 45.0 and b["include_server_seconds"] == 15.0 and b["client_processes"] == 600
    assert "## Where the master's CPU goes" in text
    assert ("| breakdown | 451 | 99.8 ms (45.0 CPU-s) | 42.4 ms (42%) | 20.0 ms (20%) | 33.3 ms (33%) | 0.9 ms (1%) "
            "| 3.3 ms (3%) |") in text
    assert "pump" not in data["model"]  # a row slowed by its own measurement is no calibration point


def test_a_run_without_the_local_build_models_wall_times_and_draws_no_speedups(tmp_path):
    # the scaling rows alone (a run that leaves out the long local build): the model still predicts wall times
    with open(RAW) as handle:
        raw = json.load(handle)
    raw["setups"] = [s for s in raw["setups"] if s["name"] != "local"]
    raw["runs"] = [r for r in raw["runs"] if r["setup"] != "local"]
    data, text = run_report(tmp_path, raw)
    pump = data["model"]["pump"]
    assert pump["max_speedup"] is None and all(p["speedup"] is None for p in pump["points"])
    calibrated = next(s for s in data["setups"] if s["name"] == pump["calibrated_on"].split(" ")[0])
    one = next(p for p in pump["points"] if p["workers"] == calibrated["workers_used"])
    assert one["wall_seconds"] == pytest.approx(calibrated["wall_median_seconds"], abs=0.11)
    assert all(s["speedup"] is None for s in data["setups"]) and "| -x |" not in text
    assert "| k=1 |" in text and " s |" in text.split("## Scaling model")[1]
    svg = (tmp_path / "benchmark.svg").read_text()
    ET.fromstring(svg)  # well-formed
    assert "None" not in svg and "Speedup against workers" not in svg


def _analysis():
    return _bench_analysis


def test_mean_value_analysis_meets_its_two_limits():
    analysis = _analysis()
    # one compile in flight: it waits for nothing, its time is the sum of its demands
    assert analysis.throughput(1, [0.5, 0.25], 0.25) == pytest.approx(1.0)
    # many in flight: the busiest station sets the pace (1 / 0.5 s), however long the latency
    assert analysis.throughput(400, [0.5, 0.25], 2.0) == pytest.approx(2.0, rel=0.01)
    # in between: more compiles in flight never lower the throughput
    rates = [analysis.throughput(n, [0.5, 0.25, 0.25], 1.0) for n in range(1, 30)]
    assert rates == sorted(rates) and rates[-1] < 2.0


def test_the_model_sees_the_compiles_in_flight_and_the_latency():
    analysis = _analysis()
    # a 1+4 calibration (the recorded auto row's shape): 451 objects, 4 slots, master 0.4, worker 1.6
    measured = {"name": "auto", "wall": 127.6, "cpu_master": 30.4, "cpu_workers": 147.1, "objects": 451,
                "prepare": 13.3, "jobs": 4}
    four = analysis.model(421.4, measured, 0.4, 1.6, 1)
    points = {p["workers"]: p for p in four["points"]}
    assert points[1]["wall_seconds"] == pytest.approx(127.6, abs=0.1) and four["offset_seconds"] == 0
    assert four["latency_ms_per_object"] > 0 and four["slots_per_worker"] == 4
    # the same wall time with twice the compiles in flight: each must have waited longer on no CPU
    eight = analysis.model(421.4, dict(measured, jobs=8), 0.4, 1.6, 1)
    assert eight["latency_ms_per_object"] > four["latency_ms_per_object"] and eight["slots_per_worker"] == 8
    assert four["master_ms_per_object"] == pytest.approx(1000 * (30.4 - 13.3 * 0.4) / 451, abs=0.1)
    assert points[1]["master_busy"] < 1 and points[64]["master_busy"] == pytest.approx(1.0, abs=0.02)


def test_the_model_on_the_recorded_three_worker_lab(tmp_path):
    # recorded: DISTRANT_WORKERS=3 make lab (master 0.15 CPU, workers 0.62), auto,pump-1w,pump-2w, 2 repeats
    with open(os.path.join(HERE, "fixtures", "benchmark-raw-3-workers.json")) as handle:
        raw = json.load(handle)
    data, text = run_report(tmp_path, raw)
    checks = {c["workers"]: c for c in data["model_check"]}
    assert checks[3]["calibration"] and checks[3]["error"] == 0
    assert checks[3]["over_one_worker"] >= 1.5  # 3 workers against 1 on the same master
    # the flat model was -41% and -18% on this lab's rows; mean value analysis is within 16%
    assert abs(checks[2]["error"]) <= 0.15 and abs(checks[1]["error"]) <= 0.16
    busy = {p["workers"]: p["master_busy"] for p in data["model"]["pump"]["points"]}
    assert busy[1] < busy[2] < busy[3] and busy[64] > 0.98
    assert "## How many workers for this master" in text


def test_the_master_counts_as_the_limit_where_the_model_keeps_it_busy(tmp_path):
    with open(os.path.join(HERE, "fixtures", "benchmark-raw-3-workers.json")) as handle:
        raw = json.load(handle)
    data, text = run_report(tmp_path, raw)
    pump = data["model"]["pump"]
    first = pump["master_saturated_from_workers"]
    busy = {p["workers"]: p["master_busy"] for p in pump["points"]}
    assert busy[first] >= 0.95 and all(busy[k] < 0.95 for k in busy if k < first)
    assert "With %d workers the model keeps the master 95%% busy or more" % first in text


def test_a_big_master_counts_one_cpu_for_its_serial_prepare_phase():
    analysis = _analysis()
    measured = {"name": "auto", "wall": 60.0, "cpu_master": 40.0, "cpu_workers": 300.0, "objects": 451,
                "prepare": 10.0, "jobs": 32}
    found = analysis.model(400.0, measured, 8.0, 8.0, 2)
    assert found["master_ms_per_object"] == pytest.approx(1000 * (40.0 - 10.0) / 451, abs=0.1)


def test_the_collections_own_setup_calibrates_the_pump_model():
    analysis = _analysis()
    base = {"hosts": "10.200.1.3/8,cpp,lzo", "pump": True, "scaling": False, "cpu_breakdown": False,
            "all_refused": False, "wall_median_seconds": 120.0, "cpu_seconds_median": {"m": 30.0, "w": 140.0},
            "objects": 451, "prepare_median_seconds": 10.0, "jobs": 8, "workers_used": 1}
    setups = [dict(base, name="auto-2x", hosts="10.200.1.3/4,cpp,lzo", jobs=4), dict(base, name="auto")]
    point, workers = analysis.calibration(setups, True, "m", ["w"])
    assert point["name"] == "auto" and point["jobs"] == 8 and workers == 1
    point, _workers = analysis.calibration(setups[:1], True, "m", ["w"])
    assert point["name"] == "auto-2x"


# The raw report, assembled from what the playbook collected

def test_the_raw_report_is_assembled_as_it_was_recorded(tmp_path):
    raw = json.load(open(os.path.join(HERE, "fixtures", "benchmark-raw-3-workers.json")))
    plan = {"setups": raw["setups"], "target": raw["target"], "config": raw["config"], "project": {}}
    workers = [{"name": n, "address": a, "cpu": c, "cpus": c["effective_cpus"]}
               for n, a, c in zip(raw["worker_names"], raw["worker_addresses"], raw["workers"])]
    master = {"name": raw["master"]["name"], "cpu": raw["master"]["cpu"], "address": "10.200.1.2"}
    assert benchmark_raw(plan, raw["runs"], master, workers, project={"name": "ignored"}) == raw
    project = {"name": "yaml-cpp", "version": "0.7.0", "build_system": "cmake", "target": ""}
    assert benchmark_raw(dict(plan, project={"distcc_project_source": {"debian": "yaml-cpp"}}), raw["runs"], master,
                         workers, project)["project"] == project
    shown = write("benchmark", str(tmp_path), benchmark_raw(plan, raw["runs"], master, workers))
    with open(tmp_path / "benchmark-raw.json") as handle:
        assert json.load(handle) == raw  # kept: rewrite() recomputes the same report from it
    assert shown == rewrite("benchmark", str(tmp_path)) and shown[0].startswith("linux 6.1.176, the whole job")


def test_the_team_raw_report_names_the_controller():
    raw = team_raw(["m1", "m2"], [{"repeat": 1}], None, {"m1": {"team": "a", "own": "a"}}, "all")
    assert raw["samples"] == [] and raw["target"] == "all" and raw["masters"] == ["m1", "m2"]
    assert re.match(r"^\S+ \S+ \S+, \d+ cores$", raw["machine"])  # uname -srm, nproc
    assert team_raw([], [], [], {}, "all", machine_name="Linux 6.1 x86_64, 2 cores")["machine"] == "Linux 6.1 x86_64, 2 cores"


def backoff_run(case, period, wall, remote, objects, failed, **reasons):
    return {"case": case, "period": period, "build": {"wall_seconds": wall, "remote_objects": remote, "objects": objects,
                                                      "failed_remote": failed, "local_reasons": reasons}}


def test_the_backoff_table(tmp_path):
    runs = [backoff_run("transient", 10, 62.34, 180, 210, 1, backoff=29, connection_failed=1),
            backoff_run("gone", 0, 70.0, 210, 210, 12)]
    shown = write("backoff", str(tmp_path), runs)
    assert shown == [
        "| case | period | wall | on the workers | failed remote attempts | on the master (why) |",
        "|---|---|---|---|---|---|",
        "| transient | 10 s | 62.3 s | 180 of 210 | 1 | backoff 29, connection_failed 1 |",
        "| gone | 0 s | 70.0 s | 210 of 210 | 12 | none |",
    ]
    assert (tmp_path / "backoff.md").read_text() == "\n".join(shown) + "\n"
    assert sorted(os.listdir(tmp_path)) == ["backoff.md"]


def test_the_command_line_recomputes_a_report(tmp_path, capsys):
    shutil.copy(RAW, tmp_path / "benchmark-raw.json")
    assert main(["benchmark", str(tmp_path)]) == 0
    assert "| seed |" in capsys.readouterr().out and (tmp_path / "benchmark.svg").exists()
    assert main(["backoff", str(tmp_path)]) == 2
    assert "usage: _bench_report.py benchmark|team|ccache|configure REPORT_DIR" in capsys.readouterr().err


def test_a_local_build_shows_its_objects_all_on_the_master_by_choice(tmp_path):
    # the recorded runs, with the local build's objects counted as distcc_build now counts them
    with open(RAW) as handle:
        raw = json.load(handle)
    objects = max(r["objects"] for r in raw["runs"])
    local = [r for r in raw["runs"] if r["setup"] == "local"]
    for run in local:
        run.update(objects=objects + 3, jobs_per_host={"localhost": objects + 3},
                   local_reasons={"local_build": objects + 3})
    data, text = run_report(tmp_path, raw)
    setup = next(s for s in data["setups"] if s["name"] == "local")
    assert setup["objects"] == objects + 3 and setup["jobs_per_host"] == {"localhost": objects + 3}
    assert data["objects"] == objects  # the job's objects as distcc counted them
    row = next(line for line in text.splitlines() if line.startswith("| local |"))
    assert "| localhost=%d | - | local_build %d |" % (objects + 3, len(local) * (objects + 3)) in row
