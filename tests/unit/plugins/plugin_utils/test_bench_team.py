"""_bench_team.py: fairness, the farm's throughput, the penalty alone, stranded compiles, the workers' peaks."""

from __future__ import annotations

import json

import pytest

from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_report import rewrite
from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_team import analyse, jain, markdown


def build(wall, objects=100, remote=100, **reasons):
    return {"wall_seconds": wall, "objects": objects, "remote_objects": remote, "local_reasons": reasons}


def raw(together=(200.0, 200.0), alone=(100.0, 100.0), own=None, start=(1000.0, 1000.0), samples=None, **extra):
    runs = []
    for i, name in enumerate(("master-1", "master-2")):
        runs.append({"repeat": 1, "mode": "together", "master": name, "start": start[i], "build": build(together[i])})
        runs.append({"repeat": 1, "mode": "alone", "master": name, "start": 5000.0 + i * 500, "build": build(alone[i])})
        if own:
            runs.append({"repeat": 1, "mode": "own", "master": name, "start": 9000.0 + i * 500, "build": build(own[i])})
    return dict({"masters": ["master-1", "master-2"], "runs": runs, "samples": samples or []}, **extra)


@pytest.mark.parametrize("values, expected", [
    ([1, 1, 1], 1.0),
    ([1, 0], 0.5),
    ([1, 0, 0, 0], 0.25),
    ([2, 1], 0.9),
    ([], None),
    ([0, 0], None),
])
def test_jain(values, expected):
    assert jain(values) == (pytest.approx(expected) if expected is not None else None)


def test_equal_masters_are_fair_and_the_farm_does_as_much_as_one_alone_at_double_time():
    report = analyse(raw())
    assert report["fairness"]["jain"] == 1.0
    # 200 objects in 200 s together against 100 in 100 s alone
    assert report["farm_throughput_together"] == 1.0
    assert report["master_throughput_alone"] == 1.0
    assert report["farm_gain"] == 1.0
    assert report["masters"]["master-1"]["slowdown_together"] == 2.0
    # no own-farm run: its host list was the team's, the alone run is that build
    assert report["masters"]["master-1"]["alone_over_own_farm"] == 1.0
    assert not report["masters"]["master-1"]["own_farm_measured_apart"]


def test_an_unfair_share_and_a_late_start_are_seen():
    report = analyse(raw(together=(100.0, 300.0), start=(1000.0, 1010.0)))
    # throughputs 1.0 and 1/3: (4/3)^2 / (2 * (1 + 1/9)) = 0.8
    assert report["fairness"]["jain"] == pytest.approx(0.8)
    # span: from 1000 to 1010 + 300
    assert report["farm_throughput_together"] == round(200 / 310, 2)


def test_the_penalty_alone_comes_from_the_own_farm_runs_when_there_are_some():
    report = analyse(raw(own=(80.0, 100.0)))
    assert report["masters"]["master-1"]["alone_over_own_farm"] == 1.25
    assert report["alone_penalty"]["worst"] == 1.25
    assert report["masters"]["master-1"]["own_farm_measured_apart"]


def test_stranded_compiles_and_oversubscribed_workers_are_named():
    data = raw(samples=[{"repeat": 1, "workers": {"10.0.0.4:3633": {"jobs": 4, "max_in_flight": 5, "samples": 30},
                                                  "10.0.0.5:3633": {"jobs": 4, "max_in_flight": 4, "samples": 30}}}])
    data["runs"][0]["build"]["local_reasons"] = {"backoff": 3, "localhost": 5, "not_distributable": 2}
    report = analyse(data)
    assert report["stranded"] == {"master-1": [{"backoff": 3}]}
    assert report["oversubscribed"] == ["10.0.0.4:3633"]
    text = "\n".join(markdown(report))
    assert "Worker 10.0.0.4:3633: at most 5 compiles at once while the masters built together (--jobs 4, 30 readings" in text
    assert "{'backoff': 3}" in text


def test_the_report_is_written(tmp_path):
    (tmp_path / "bench-team-raw.json").write_text(json.dumps(raw(machine="Linux 6.1 x86_64, 2 cores")))
    printed = "\n".join(rewrite("team", str(tmp_path)))
    assert "Jain's fairness index over the masters' throughputs together: 1.0" in printed
    assert json.loads((tmp_path / "bench-team.json").read_text())["fairness"]["jain"] == 1.0
    assert (tmp_path / "bench-team.md").read_text().startswith("| master |")
    assert "Machine: Linux 6.1 x86_64, 2 cores." in printed
