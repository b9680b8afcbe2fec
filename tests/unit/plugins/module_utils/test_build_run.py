"""The run side of distcc_build apart from the module: the progress file, backoff, facts, warnings."""

from __future__ import annotations

import json
import os
import time

import pytest
from conftest import build_params as params, recorded

from ansible_collections.distrant.distcc.plugins.module_utils import _progress
from ansible_collections.distrant.distcc.plugins.module_utils._build_features import Backoff
from ansible_collections.distrant.distcc.plugins.module_utils._build_plan import plan
from ansible_collections.distrant.distcc.plugins.module_utils._build_run import facts, stranded_warning
from ansible_collections.distrant.distcc.plugins.module_utils._build_types import Measured
from ansible_collections.distrant.distcc.plugins.module_utils._client_log import parse_client_log
from ansible_collections.distrant.distcc.plugins.module_utils._host_list import parse_hosts

fixture = recorded(__file__)


# The progress file

def test_progress_is_rewritten_while_the_build_runs_then_final(tmp_path, monkeypatch):
    monkeypatch.setattr(_progress, "PROGRESS_EVERY", 0.05)
    log = tmp_path / "client.log"
    path = str(tmp_path / "progress.json")
    text = fixture("client-workers-down.log")
    half = text.index("\n", len(text) // 2) + 1
    log.write_text(text[:half])
    progress = _progress.Progress(path, str(log))
    with progress:
        deadline = time.monotonic() + 10
        while not os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.02)
        with open(path) as handle:
            running = json.load(handle)
        progress.phase = "build"
        with open(str(log), "a") as handle:
            handle.write(text[half:])
    assert running["running"] is True and running["phase"] == "prepare" and running["distcc"] is True
    assert running["objects"] == parse_client_log(text[:half])["objects"]
    counts = progress.final()
    assert counts == parse_client_log(text)
    with open(path) as handle:
        final = json.load(handle)
    assert final.pop("elapsed") >= 0
    assert final == {"phase": "build", "distcc": True, "objects": 4, "jobs_per_host": {"localhost": 4},
                     "local_fallbacks": 1, "local_reasons": {"backoff": 3, "connection_failed": 1}, "running": False}
    assert not os.path.exists(path + ".tmp")


def test_progress_without_a_client_log_counts_nothing(tmp_path):
    progress = _progress.Progress(str(tmp_path / "progress.json"), str(tmp_path / "missing.log"), distcc=False)
    assert progress.final()["objects"] == 0
    with open(str(tmp_path / "progress.json")) as handle:
        assert json.load(handle)["distcc"] is False


# Backoff

def test_backoff_files_of_the_listed_hosts_are_removed_and_those_in_their_period_named(tmp_path):
    lock = tmp_path / "lock"
    lock.mkdir()
    names = ["backoff_tcp_10.200.1.3_3632_0", "backoff_tcp_10.200.1.4_4000_0", "backoff_tcp_10.200.1.5_3632_0",
             "backoff_tcp_10.200.9.9_3632_0", "cpu_localhost_0"]
    for name in names:
        (lock / name).write_text("")
    past = time.time() - 120
    os.utime(str(lock / names[2]), (past, past))
    entries = parse_hosts("localhost/2 10.200.1.3/4 10.200.1.4:4000/4 10.200.1.5/4")
    found = Backoff.clear({"DISTCC_DIR": str(tmp_path)}, entries, 60)
    assert found == ["10.200.1.3:3632", "10.200.1.4:4000"]
    assert sorted(os.listdir(str(lock))) == ["backoff_tcp_10.200.9.9_3632_0", "cpu_localhost_0"]


def test_backoff_files_of_ssh_hosts_are_removed_too(tmp_path):
    # lock.c names an SSH host's file backoff_ssh_<host>_0 (seen after a refused host key: backoff_ssh_w-nocm_0)
    lock = tmp_path / "lock"
    lock.mkdir()
    for name in ["backoff_ssh_10.200.1.3_0", "backoff_tcp_10.200.1.3_3632_0", "backoff_ssh_10.200.9.9_0"]:
        (lock / name).write_text("")
    entries = parse_hosts("localhost/1 @10.200.1.3/4,lzo,cpp")
    found = Backoff.clear({"DISTCC_DIR": str(tmp_path)}, entries, 60)
    assert found == ["@10.200.1.3"]
    assert sorted(os.listdir(str(lock))) == ["backoff_ssh_10.200.9.9_0", "backoff_tcp_10.200.1.3_3632_0"]


def test_distccs_directory_is_the_environments_home_when_distcc_dir_is_unset(monkeypatch, tmp_path):
    monkeypatch.delenv("DISTCC_DIR", raising=False)
    assert Backoff.distcc_dir({"HOME": str(tmp_path)}) == str(tmp_path / ".distcc")
    assert Backoff.distcc_dir({"HOME": str(tmp_path), "DISTCC_DIR": "/srv/d"}) == "/srv/d"


# Facts

COUNTS = {"objects": 10, "jobs_per_host": {"10.200.1.3": 6, "localhost": 4}, "remote_objects": 6,
          "local_reasons": {"connection_failed": 1, "localhost_slot": 1, "not_distributable": 2},
          "local_fallbacks": 1, "failed_remote": 1, "remote_preprocessed": 0, "pump_fallbacks": 0,
          "pump_switched_off": False}


@pytest.fixture
def kernel(tmp_path):
    (tmp_path / "Makefile").write_text("all:\n")
    (tmp_path / "Kbuild").write_text("")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "Kbuild.include").write_text("")
    return tmp_path


def test_facts_of_a_kernel_build(kernel):
    p = plan(params(kernel, hosts="localhost/2 10.200.1.3/4", backoff_period=5))
    (kernel / "arch").mkdir()
    (kernel / "arch" / "bzImage").write_bytes(b"\0" * 1234)
    measured = Measured(started_at="2026-12-07T06:00:00Z", backoff_at_start=["10.200.1.3:3632"], prepare_seconds=1.234,
                        wall=12.345, user=3.21, sys=1.005, host_cpu=None, counts=COUNTS)
    values = {"image_name": "arch/bzImage", "kernelversion": "6.1.0"}
    build = facts(p, measured, values.get)
    assert build == {
        "wall_seconds": 12.35, "build_system": "make", "build_dir": str(kernel), "configure_seconds": None,
        "prepare_seconds": 1.23, "prepare_targets": ["prepare"], "user_seconds": 3.21, "sys_seconds": 1.0,
        "host_cpu_seconds": None, "jobs": 6, "hosts": "localhost/2 10.200.1.3/4", "transport": "tcp",
        "backoff_period": 5,
        "backoff_at_start": ["10.200.1.3:3632"], "jobs_per_host": {"10.200.1.3": 6, "localhost": 4},
        "remote_objects": 6, "remote_share": 0.75, "local_reasons": COUNTS["local_reasons"], "local_fallbacks": 1,
        "failed_remote": 1, "objects": 10, "pump": False, "remote_preprocessed": 0, "pump_fallbacks": 0,
        "pump_switched_off": False,
        "pump_blockers": {"count": 0, "first": [], "plain_from_start": False},
        "pump_not_covered": {"count": 0, "first": []}, "rc": 0, "artifact": str(kernel / "arch" / "bzImage"), "artifact_bytes": 1234,
        "kernel_version": "6.1.0", "config": "unknown", "distcc": True, "started_at": "2026-12-07T06:00:00Z",
        "client_log": str(kernel / ".distrant" / "client.log"), "cpu_breakdown": None, "kbuild_lean": [],
        "host_compiles": None, "client": "distcc", "make_log": str(kernel / ".distrant" / "make.log"),
        "cache_hits": 0, "ccache": None,
    }
    # the config target the playbook wrote, an artifact Kbuild does not name, one not built
    (kernel / ".distrant-config-target").write_text("tinyconfig\n")
    assert facts(p, measured, lambda target: "")["config"] == "tinyconfig"
    assert facts(p, measured, lambda target: "")["artifact"] == str(kernel / "vmlinux")
    assert facts(p, measured, lambda target: "")["artifact_bytes"] == 0


def test_a_local_build_has_no_share_and_no_client(tmp_path):
    (tmp_path / "Makefile").write_text("all:\n")
    p = plan(params(tmp_path, distcc=False), host_cpus=lambda: 2)
    build = facts(p, Measured(started_at="x", counts=parse_client_log("")), lambda target: "unused")
    assert build["remote_share"] is None and build["client"] is None and build["hosts"] == ""
    assert build["artifact"] is None and build["artifact_bytes"] is None and build["kernel_version"] is None
    assert build["config"] is None


def test_stranded_objects_are_warned_of_with_their_reasons(tmp_path):
    (tmp_path / "Makefile").write_text("all:\n")
    workers = plan(params(tmp_path, hosts="10.200.1.3/4"))
    slot = plan(params(tmp_path, hosts="localhost/1 10.200.1.3/4"))
    counts = dict(COUNTS, local_reasons={"backoff": 3, "connection_failed": 1, "localhost_slot": 5})
    log = str(tmp_path / ".distrant" / "client.log")
    assert stranded_warning(workers, counts) == (
        "4 of 10 objects were compiled on the master although the host list names workers only: "
        "backoff 3, connection_failed 1 (see %s)" % log)
    assert stranded_warning(slot, counts).startswith(
        "4 of 10 objects were compiled on the master although the host list gives it a slot of its own: ")
    assert stranded_warning(slot, dict(COUNTS, local_reasons={"localhost_slot": 4})) is None
