"""bench_report.py on the raw measurements of a real `make bench` run (recorded)."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

HERE = os.path.dirname(__file__)
SCRIPT = os.path.join(HERE, "..", "..", "..", "playbooks", "files", "bench_report.py")
RAW = os.path.join(HERE, "fixtures", "benchmark-raw.json")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    shutil.copy(RAW, out / "benchmark-raw.json")
    printed = subprocess.run([sys.executable, SCRIPT, str(out)], check=True, capture_output=True, text=True).stdout
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
