"""The roles' list, number and port options as a user gives them: in YAML, or as text on the command line
(-e name=value). Text is read as what the user meant (a comma-separated list, a number); what it cannot mean is
refused in the preflight, before anything changes, with the option's name, what is wrong and how to write it."""

from __future__ import annotations

import json

import pytest
from _playbook import LOCAL, flat, role_play, run, shown

SHOW = {
    "distcc_worker": "{'acl': __distcc_worker_acl, 'packages': __distcc_worker_packages, "
                     "'compilers': __distcc_worker_compilers, 'stats_port': __distcc_worker_stats_port}",
    "distcc_master": "{'packages': __distcc_master_packages, 'compilers': __distcc_master_farm_compilers, "
                     "'pump_packages': __distcc_master_pump_packages}",
}
INVENTORY = {
    "distcc_worker": "[distcc_masters]\n[distcc_workers]\nw1 %s\n" % LOCAL,
    "distcc_master": "[distcc_masters]\nm1 %s\n[distcc_workers]\n" % LOCAL,
}


def role_run(tmp_path, role, extra):
    play = role_play("all", role, "Show what the role read", "READ {{ %s | to_json }} READ" % SHOW[role])
    # a worker without masters: its ACL is this network (a later -e of the test overrides it)
    base = ["distcc_worker_allowed_networks=10.98.0.0/16"] if role == "distcc_worker" else []
    return run(tmp_path, play, INVENTORY[role], role + "_preflight", base + list(extra))


def test_the_worker_reads_lists_given_as_text_comma_separated(tmp_path):
    rc, out = role_run(tmp_path, "distcc_worker", [
        "distcc_worker_allowed_networks=10.99.0.0/16,192.168.7.0/24", "distcc_worker_compilers=gcc",
        "distcc_worker_packages=distcc,gcc", "distcc_worker_stats_port=null", "distcc_worker_nice=19",
        "distcc_worker_port=3700"])
    assert rc == 0, out
    assert shown(out) == {"acl": ["10.99.0.0/16", "192.168.7.0/24"], "packages": ["distcc", "gcc"],
                          "compilers": ["gcc"], "stats_port": None}


def test_the_master_reads_lists_given_as_text_comma_separated(tmp_path):
    rc, out = role_run(tmp_path, "distcc_master", [
        "distcc_master_packages=make,bc,flex", "distcc_master_compilers=gcc",
        "distcc_master_pump_build_packages=python3-dev", "distcc_master_min_free_mb=4096",
        "distcc_master_probe_timeout=9"])
    assert rc == 0, out
    assert shown(out) == {"packages": ["make", "bc", "flex"], "compilers": ["gcc"], "pump_packages": ["python3-dev"]}


def how(option, example):
    """The end of the message on a list: how to write it, with the role's example."""
    return ("Give the list in the inventory or the play, as text separated by commas (-e %s=%s), or as JSON "
            "(-e '%s')." % (option, ",".join(example), json.dumps({option: example})))


@pytest.mark.parametrize("role, extra, message", [
    # -e key=value ends the value at a blank: '[distcc, gcc]' arrives as '[distcc,'
    ("distcc_worker", ["distcc_worker_packages=[distcc, gcc]"],
     "distcc_worker_packages: \"[distcc\" is not a name (letters, digits, + . - _ : =). "
     + how("distcc_worker_packages", ["distcc", "gcc", "g++"])),
    ("distcc_worker", ['{"distcc_worker_compilers": ["gcc", 12]}'],
     "distcc_worker_compilers: 12 is not a name (letters, digits, + . - _ : =). "),
    ("distcc_master", ["distcc_master_compilers=gcc;g++"],
     "distcc_master_compilers: \"gcc;g++\" is not a name (letters, digits, + . - _ : =). "
     + how("distcc_master_compilers", ["gcc", "g++"])),
    ("distcc_worker", ["distcc_worker_nice=42"],
     "distcc_worker_nice = 42 is out of range: give a whole number from 0 to 19 (the niceness of the compilers "
     "distccd runs: 0 normal, 19 the lowest priority), e.g. -e distcc_worker_nice=10."),
    ("distcc_worker", ["distcc_worker_jobs=0"],
     "distcc_worker_jobs = 0: give auto (twice the CPUs this host can use) or a whole number of at least 1, "
     "e.g. -e distcc_worker_jobs=8."),
    ("distcc_worker", ["distcc_worker_metrics_interval=0"],
     "distcc_worker_metrics_interval = 0 is out of range: give a whole number of at least 1 (seconds), "
     "e.g. -e distcc_worker_metrics_interval=5."),
    ("distcc_master", ["distcc_master_min_free_mb=-1"],
     "distcc_master_min_free_mb = -1 is out of range: give a whole number of at least 0 (MB free in "
     "distcc_master_build_dir before a kernel is unpacked), e.g. -e distcc_master_min_free_mb=4096."),
    ("distcc_master", ["distcc_master_probe_timeout=0"],
     "distcc_master_probe_timeout = 0 is out of range: give a whole number of at least 1 (seconds), "
     "e.g. -e distcc_master_probe_timeout=5."),
])
def test_what_text_cannot_mean_is_refused_in_the_preflight_saying_how_to_write_it(tmp_path, role, extra, message):
    rc, out = role_run(tmp_path, role, extra)
    assert rc != 0
    assert message in flat(out).replace('\\"', '"'), out
    assert "READ" not in out.replace("TASK [Show what the role read]", "")


@pytest.mark.parametrize("extra, message", [
    (["distcc_worker_port=70000"],
     "distcc_worker_port = 70000 is out of range: give a whole number from 1 to 65535 (a TCP port), "
     "e.g. -e distcc_worker_port=3632."),
    (["distcc_worker_port=0"],
     "distcc_worker_port = 0 is out of range: give a whole number from 1 to 65535 (a TCP port), "
     "e.g. -e distcc_worker_port=3632."),
    (["distcc_worker_stats_port=3632"],
     "distcc_worker_port = 3632 and distcc_worker_stats_port = 3632: two services cannot listen on the same port. "
     "Give each its own (the defaults: distccd 3632, its statistics 3633, the metrics exporter 9100), or turn the "
     "statistics off (-e distcc_worker_stats_port=null)."),
    (["distcc_worker_stats_port=abc"],
     "distcc_worker_stats_port = abc is not a whole number: give a whole number from 1 to 65535 (a TCP port; null "
     "turns the statistics off), e.g. -e distcc_worker_stats_port=3633."),
    (['{"distcc_worker_metrics": true, "distcc_worker_metrics_port": 3632}'],
     "distcc_worker_port = 3632 and distcc_worker_metrics_port = 3632: two services cannot listen on the same "
     "port. Give each its own (the defaults: distccd 3632, its statistics 3633, the metrics exporter 9100)."),
    (['{"distcc_worker_metrics": true, "distcc_worker_metrics_port": 3633}'],
     "distcc_worker_stats_port = 3633 and distcc_worker_metrics_port = 3633: two services cannot listen on the "
     "same port."),
    (['{"distcc_worker_metrics": true, "distcc_worker_metrics_port": 65536}'],
     "distcc_worker_metrics_port = 65536 is out of range: give a whole number from 1 to 65535 (a TCP port)"),
])
def test_worker_ports_out_of_range_or_shared_are_refused_in_the_preflight(tmp_path, extra, message):
    rc, out = role_run(tmp_path, "distcc_worker", extra)
    assert rc != 0
    assert message in flat(out), out


def test_a_metrics_port_that_is_not_used_is_not_checked(tmp_path):
    rc, out = role_run(tmp_path, "distcc_worker", ["distcc_worker_metrics_port=3632"])
    assert rc == 0, out
