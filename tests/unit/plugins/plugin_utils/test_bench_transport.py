"""make bench-transport's report: rounds of make bench, one transport each, merged into one benchmark report
(_bench_report.transport_raw, merge_transport), on a recorded whole-job raw whose runs are given the transport
field distcc_build reports."""

from __future__ import annotations

import copy
import json
import os

import pytest

from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_analysis import used_workers
from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_report import main, transport_raw

HERE = os.path.dirname(__file__)
RAW = os.path.join(HERE, "fixtures", "benchmark-raw-whole-job.json")


def _round(transport, setups=("auto",)):
    with open(RAW) as handle:
        raw = json.load(handle)
    raw["setups"] = [s for s in raw["setups"] if s["name"] in setups]
    raw["runs"] = [dict(r, transport=transport) for r in raw["runs"] if r["setup"] in setups]
    return raw


def test_rounds_become_one_row_per_transport_with_every_run():
    rounds = [_round("tcp"), _round("ssh"), _round("tcp"), _round("ssh")]
    merged = transport_raw(copy.deepcopy(rounds))
    assert [s["name"] for s in merged["setups"]] == ["auto-tcp", "auto-ssh"]
    per_round = len(rounds[0]["runs"])
    assert [r["setup"] for r in merged["runs"]] == (["auto-tcp"] * per_round + ["auto-ssh"] * per_round) * 2
    tcp = [r for r in merged["runs"] if r["setup"] == "auto-tcp"]
    assert [r["repeat"] for r in tcp] == list(range(1, 2 * per_round + 1))
    assert [r["wall_seconds"] for r in tcp] == [r["wall_seconds"] for r in rounds[0]["runs"] + rounds[2]["runs"]]
    assert merged["master"] == rounds[0]["master"] and merged["workers"] == rounds[0]["workers"]
    assert merged["setups"][1]["description"].endswith("; over ssh")


def test_the_local_setup_keeps_its_name():
    merged = transport_raw([_round("tcp", ("local", "auto")), _round("ssh")])
    assert [s["name"] for s in merged["setups"]] == ["local", "auto-tcp", "auto-ssh"]


@pytest.mark.parametrize("transports", [[None], ["tcp", "ssh"]])
def test_a_round_whose_builds_do_not_name_one_transport_is_refused(transports):
    raw = _round("tcp")
    raw["runs"] = [dict(raw["runs"][0], transport=t) for t in transports]
    with pytest.raises(ValueError, match="one transport"):
        transport_raw([raw])


def test_the_command_line_writes_the_benchmark_report(tmp_path, capsys):
    dirs = []
    for i, transport in enumerate(["tcp", "ssh"]):
        directory = tmp_path / ("%s-%d" % (transport, i))
        directory.mkdir()
        (directory / "benchmark-raw.json").write_text(json.dumps(_round(transport)))
        dirs.append(str(directory))
    assert main(["transport", str(tmp_path / "out")] + dirs) == 0
    report = json.loads((tmp_path / "out" / "benchmark.json").read_text())
    assert [s["name"] for s in report["setups"]] == ["auto-tcp", "auto-ssh"]
    assert "auto-ssh" in capsys.readouterr().out


def test_a_host_list_over_ssh_names_the_same_workers_as_over_tcp():
    # the ssh round of the lab's first bench-transport run had an ideal speedup of 1.0x: its "@10.200.1.3/4,cpp,lzo"
    # named no worker
    addresses = ["10.200.1.3", "10.200.1.4"]
    assert used_workers("@10.200.1.3/4,cpp,lzo", addresses) == [0]
    assert used_workers("distcc-ssh@10.200.1.4/2:/usr/bin/distccd,lzo localhost/1", addresses) == [1]
    assert used_workers("10.200.1.3:3632/4,lzo 10.200.1.4/4", addresses) == [0, 1]
