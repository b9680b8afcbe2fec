from __future__ import annotations

import re

import pytest

from ansible_collections.distrant.distcc.plugins.plugin_utils._policy import (
    PolicyError,
    effective_cpus,
    host_list,
    worker_jobs,
)
from ansible_collections.distrant.distcc.plugins.module_utils._host_list import MAX_JOBS, auto_jobs, make_jobs
from ansible_collections.distrant.distcc.plugins.module_utils._cgroup import quota_cpus_v2


@pytest.mark.parametrize(
    "vcpus, cpu_text, expected",
    [
        (2, None, 2.0),
        (2, "160000 100000", 1.6),  # docker --cpus 1.6, cgroup v1 quota and period
        (2, "40000 100000", 0.4),
        (2, "-1 100000", 2.0),  # v1: no quota
        (2, "max 100000", 2.0),  # v2: no quota
        (2, "400000 100000", 2.0),  # quota above the cores: the cores win
        (64, "", 64.0),
    ],
)
def test_effective_cpus_with_the_quota_cgroup_parses(vcpus, cpu_text, expected):
    assert effective_cpus(vcpus, quota_cpus_v2(cpu_text)) == pytest.approx(expected)


def test_effective_cpus_refuses_a_quota_that_is_not_a_number():
    with pytest.raises(PolicyError, match="the cgroup quota must be a number of CPUs"):
        effective_cpus(2, "lots")


def test_one_make_jobs_rule_for_the_policy_and_the_build_module():
    # the policy's make -j and distcc_build's auto jobs for the same host list agree
    farm = host_list([{"address": "10.200.1.3", "cpus": 2}, {"address": "10.200.1.4", "cpus": 1.6}], 0.4, pump=True)
    entries = [{"limit": int(h.split("/")[1].split(",")[0])} for h in farm["hosts"]]
    assert farm["make_jobs"] == auto_jobs(entries) == 8
    assert make_jobs([]) == 1 and make_jobs([MAX_JOBS]) == MAX_JOBS


@pytest.mark.parametrize("cpus, expected", [(0.4, 2), (1, 2), (1.6, 4), (4, 8), (64, 128)])
def test_worker_jobs(cpus, expected):
    assert worker_jobs(cpus) == expected


CASES = [
    # the seed's topology: master 1 CPU, one 4-CPU worker; the master has exactly a fifth
    ("seed 1+4", [{"address": "10.200.1.3", "cpus": 4}], 1, False, "auto",
     "10.200.1.3/8", 8, False),
    # the lab's quotas, 0.4 + 1.6
    ("lab 0.4+1.6", [{"address": "10.200.1.3", "cpus": 1.6}], 0.4, False, "auto",
     "10.200.1.3/4", 4, False),
    # equal hosts: the master has a third of the CPU, so it compiles too
    ("equal 2+2+2", [{"address": "10.0.0.3", "cpus": 2}, {"address": "10.0.0.4", "cpus": 2}], 2, False, "auto",
     "localhost/2 10.0.0.3/4 10.0.0.4/4", 10, True),
    # no worker at all: local only
    ("no workers", [], 4, False, "auto", "localhost/4", 4, True),
    # a big worker dwarfs the master
    ("64-CPU worker", [{"address": "10.0.0.9", "cpus": 64}], 4, True, "auto",
     "10.0.0.9/128,lzo", 128, False),
    # explicit jobs and a forced localhost
    ("explicit", [{"address": "10.0.0.3", "cpus": 4, "jobs": 10}], 1, False, True,
     "localhost/1 10.0.0.3/10", 11, True),
]


@pytest.mark.parametrize(
    "name, workers, master, lzo, localhost, hosts, jobs, local", CASES, ids=[c[0] for c in CASES]
)
def test_host_list(name, workers, master, lzo, localhost, hosts, jobs, local):
    result = host_list(workers, master, lzo=lzo, localhost=localhost)
    assert result["distcc_hosts"] == hosts
    assert result["make_jobs"] == jobs
    assert result["localhost"] is local


PUMP_CASES = [
    # pump mode on the lab's quotas: the worker preprocesses and compiles, the master ships headers
    ("pump lab 0.4+1.6", [{"address": "10.200.1.3", "cpus": 1.6}], 0.4, "auto",
     "10.200.1.3/4,cpp,lzo", 4),
    # the seed's 1+4 in pump mode
    ("pump seed 1+4", [{"address": "10.200.1.3", "cpus": 4}], 1, "auto",
     "10.200.1.3/8,cpp,lzo", 8),
    # equal hosts: the master has a third of the CPU, so it compiles too
    ("pump equal 2+2", [{"address": "10.0.0.3", "cpus": 2}], 2, "auto",
     "localhost/2 10.0.0.3/4,cpp,lzo", 6),
    # localhost can be forced
    ("pump forced localhost", [{"address": "10.200.1.3", "cpus": 4}], 1, True,
     "localhost/1 10.200.1.3/8,cpp,lzo", 9),
    # nothing to pump to: local only
    ("pump no workers", [], 2, "auto", "localhost/2", 2),
]


@pytest.mark.parametrize("name, workers, master, localhost, hosts, jobs", PUMP_CASES, ids=[c[0] for c in PUMP_CASES])
def test_host_list_pump(name, workers, master, localhost, hosts, jobs):
    result = host_list(workers, master, localhost=localhost, pump=True)
    assert result["distcc_hosts"] == hosts
    assert result["make_jobs"] == jobs
    assert result["pump"] is bool(workers)


@pytest.mark.parametrize(
    "options, expected",
    [
        # -e distcc_master_lzo=false arrives as a string: it must mean false, not Python's truthy "false"
        ({"lzo": "false"}, "10.0.0.3/2"),
        ({"lzo": "true"}, "10.0.0.3/2,lzo"),
        ({"lzo": "no", "pump": "yes"}, "10.0.0.3/2,cpp,lzo"),
        ({"pump": "False"}, "10.0.0.3/2"),
        ({"localhost": "false"}, "10.0.0.3/2"),
        ({"localhost": "true"}, "localhost/1 10.0.0.3/2"),
        ({"localhost": "AUTO"}, "10.0.0.3/2"),
        ({"localhost": 1, "lzo": 0}, "localhost/1 10.0.0.3/2"),
    ],
)
def test_host_list_flags_from_strings(options, expected):
    assert host_list([{"address": "10.0.0.3", "cpus": 1}], 0.2, **options)["distcc_hosts"] == expected


@pytest.mark.parametrize(
    "options, message",
    [
        ({"pump": "sometimes"}, "pump must be true or false (yes/no, 1/0 also do), got 'sometimes'"),
        ({"lzo": "maybe"}, "lzo must be true or false"),
        ({"localhost": "perhaps"}, "localhost must be auto, true or false"),
        ({"lzo": [True]}, "lzo must be true or false"),
    ],
)
def test_host_list_flags_refused(options, message):
    with pytest.raises(PolicyError, match=re.escape(message)):
        host_list([{"address": "10.0.0.3", "cpus": 1}], 1, **options)


@pytest.mark.parametrize(
    "workers, master, message",
    [
        ([{"address": "not-an-ip", "cpus": 1}], 1, "is not an IP address"),
        ([{"cpus": 1}], 1, "must be a dict with an address"),
        ([{"address": "10.0.0.3", "cpus": 1}, {"address": "10.0.0.3", "cpus": 1}], 1, "listed twice"),
        ([{"address": "10.0.0.3", "cpus": 0}], 1, "worker 10.0.0.3 cpus: vcpus must be a number above 0 and at most 4096, got 0"),
        ([{"address": "10.0.0.3", "cpus": 1e9}], 1, "vcpus must be a number above 0 and at most 4096"),
        ([{"address": "10.0.0.3", "cpus": 1, "jobs": 0}], 1, "jobs must be auto or an integer from 1 to 4096, got 0"),
        ([{"address": "10.0.0.3", "cpus": 1, "jobs": "many"}], 1, "jobs must be auto or an integer from 1 to 4096, got 'many'"),
        ([{"address": "10.0.0.3", "cpus": 4000}], 1, "worker 10.0.0.3: 4000 CPUs make 8000 jobs, more than make can run"),
        ([{"address": "10.0.0.%d" % i, "cpus": 1500} for i in range(2, 5)], 1, "adds up to 9000 jobs, more than make can run"),
        ([{"address": "fd00::3", "cpus": 1}], 1, "IPv6 is not supported"),
        ("10.0.0.3", 1, "workers must be a list of {address, cpus}, got a string '10.0.0.3'"),
        ({"address": "10.0.0.3"}, 1, "workers must be a list of {address, cpus}, got a mapping"),
        ([], "x", "master_cpus: vcpus must be a number, got 'x'"),
        ([], 1e7, "master_cpus: vcpus must be a number above 0 and at most 4096"),
        ([{"address": "10.0.0.3", "cpus": "x"}], 1, "worker 10.0.0.3 cpus: vcpus must be a number, got 'x'"),
    ],
)
def test_host_list_errors(workers, master, message):
    with pytest.raises(PolicyError, match=re.escape(message)):
        host_list(workers, master)


TEAM = [{"address": "10.0.0.%d" % i, "cpus": 2} for i in (3, 4, 5)]


@pytest.mark.parametrize(
    "options, distcc_hosts",
    [
        # a master alone, or the first of a team: the inventory's order
        ({}, "10.0.0.3/4 10.0.0.4/4 10.0.0.5/4"),
        ({"team_index": 0}, "10.0.0.3/4 10.0.0.4/4 10.0.0.5/4"),
        # each master of a team starts at another worker
        ({"team_index": 1}, "10.0.0.4/4 10.0.0.5/4 10.0.0.3/4"),
        ({"team_index": 2}, "10.0.0.5/4 10.0.0.3/4 10.0.0.4/4"),
        ({"team_index": 4}, "10.0.0.4/4 10.0.0.5/4 10.0.0.3/4"),
        ({"team_index": "1"}, "10.0.0.4/4 10.0.0.5/4 10.0.0.3/4"),
        ({"team_index": 2, "order": "inventory"}, "10.0.0.3/4 10.0.0.4/4 10.0.0.5/4"),
        ({"team_index": 2, "order": "randomize"}, "--randomize 10.0.0.3/4 10.0.0.4/4 10.0.0.5/4"),
        # a master that is also a worker: never itself through TCP, its own compiles as localhost
        ({"self_address": "10.0.0.4"}, "localhost/1 10.0.0.3/4 10.0.0.5/4"),
        ({"self_address": "10.0.0.4", "team_index": 1}, "localhost/1 10.0.0.5/4 10.0.0.3/4"),
        ({"self_address": "10.0.0.4", "localhost": False}, "10.0.0.3/4 10.0.0.5/4"),
        ({"self_address": "10.0.0.9"}, "10.0.0.3/4 10.0.0.4/4 10.0.0.5/4"),
        ({"self_address": ""}, "10.0.0.3/4 10.0.0.4/4 10.0.0.5/4"),
    ],
)
def test_host_list_in_a_team(options, distcc_hosts):
    result = host_list(TEAM, 1, **options)
    assert result["distcc_hosts"] == distcc_hosts
    assert "--randomize" not in result["hosts"]
    assert result["self_worker"] == (options.get("self_address") == "10.0.0.4")


def test_host_list_of_a_master_that_is_its_only_worker():
    result = host_list([{"address": "10.0.0.3", "cpus": 2}], 2, self_address="10.0.0.3", localhost=False)
    assert result["distcc_hosts"] == "localhost/2"
    assert (result["make_jobs"], result["remote_slots"], result["self_worker"]) == (2, 0, True)


def test_host_list_of_a_master_worker_counts_only_the_others():
    result = host_list(TEAM, 2, self_address="10.0.0.3", pump=True)
    assert result["hosts"] == ["localhost/2", "10.0.0.4/4,cpp,lzo", "10.0.0.5/4,cpp,lzo"]
    assert (result["remote_slots"], result["make_jobs"]) == (8, 10)
    assert result["master_share"] == pytest.approx(2 / 6, abs=1e-4)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"order": "fastest"}, "order must be one of rotate, inventory, randomize, got 'fastest'"),
        ({"team_index": -1}, "team_index must be 0 or more, got -1"),
        ({"team_index": "first"}, "team_index must be a whole number (this master's place in its team), got 'first'"),
        ({"self_address": "me"}, "self_address 'me' is not an IP address"),
        ({"transport": "rsh"}, "transport must be one of tcp, ssh, got 'rsh'"),
    ],
)
def test_host_list_team_errors(options, message):
    with pytest.raises(PolicyError, match=re.escape(message)):
        host_list(TEAM, 1, **options)


def test_compiler_check_marks_the_workers_that_differ():
    from ansible_collections.distrant.distcc.plugins.plugin_utils._policy import compiler_check
    result = compiler_check("master", {"gcc": "12.2.0", "g++": "12.2.0"},
                            {"worker-2": {"gcc": "14.2.0", "g++": "14.2.0"}, "worker-1": {"gcc": "12.2.0", "g++": "12.2.0"},
                             "worker-3": {"gcc": "12.2.0", "g++": None}}, ["gcc", "g++"])
    assert not result["ok"] and result["differs"] == ["worker-2", "worker-3"]
    assert result["want"] == {"gcc": "12.2", "g++": "12.2"}
    lines = result["table"].splitlines()
    assert lines[0].split() == ["host", "gcc", "g++"] and lines[1].split() == ["master", "(master)", "12.2.0", "12.2.0"]
    assert lines[2].split() == ["worker-1", "12.2.0", "12.2.0"]
    assert lines[3].endswith("<- differs (gcc, g++)") and "missing   <- differs (g++)" in lines[4]


def test_compiler_check_passes_on_patch_levels_and_refuses_a_master_without_the_compiler():
    from ansible_collections.distrant.distcc.plugins.plugin_utils._policy import PolicyError, compiler_check
    assert compiler_check("m", {"gcc": "12.2.0"}, {"w": {"gcc": "12.2.1"}}, ["gcc"])["ok"]
    with pytest.raises(PolicyError, match="the master m has no g[+][+]; install g[+][+] there"):
        compiler_check("m", {"gcc": "12.2.0", "g++": None}, {}, ["gcc", "g++"])


def test_compiler_check_by_series_accepts_another_bugfix_release_only():
    from ansible_collections.distrant.distcc.plugins.plugin_utils._policy import PolicyError, compiler_check
    # Debian 12's gcc-12 is 12.2.0, Debian 13's 12.4.0: the same series, another bugfix release
    workers = {"trixie": {"gcc-12": "12.4.0"}, "old": {"gcc-12": "11.3.0"}}
    assert not compiler_check("m", {"gcc-12": "12.2.0"}, workers, ["gcc-12"])["ok"]
    result = compiler_check("m", {"gcc-12": "12.2.0"}, workers, ["gcc-12"], match="major")
    assert result["differs"] == ["old"] and result["want"] == {"gcc-12": "12"}
    with pytest.raises(PolicyError, match="match must be one of major.minor, major"):
        compiler_check("m", {"gcc": "12.2.0"}, {}, ["gcc"], match="minor")


@pytest.mark.parametrize(
    "options, expected",
    [
        ({}, "10.0.0.3/4 10.0.0.4/4"),
        ({"transport": "tcp", "lzo": True}, "10.0.0.3/4,lzo 10.0.0.4/4,lzo"),
        # ssh: the account, key, port and pinned host key come from the build user's ssh configuration
        ({"transport": "ssh", "lzo": True}, "@10.0.0.3/4,lzo @10.0.0.4/4,lzo"),
        ({"transport": "ssh", "pump": True}, "@10.0.0.3/4,cpp,lzo @10.0.0.4/4,cpp,lzo"),
        ({"transport": "ssh", "pump": True, "localhost": True}, "localhost/1 @10.0.0.3/4,cpp,lzo @10.0.0.4/4,cpp,lzo"),
    ],
)
def test_host_list_transport(options, expected):
    result = host_list([{"address": "10.0.0.3", "cpus": 2}, {"address": "10.0.0.4", "cpus": 2}], 1,
                       order="inventory", localhost=options.pop("localhost", False), **options)
    assert result["distcc_hosts"] == expected
    assert result["transport"] == options.get("transport", "tcp")
    assert result["make_jobs"] == 8 + (1 if result["localhost"] else 0)
