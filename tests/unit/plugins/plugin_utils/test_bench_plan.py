"""_bench_plan.py: the knobs of every bench, the benchmark's catalog of setups (on the clusters of
recorded `make bench` runs), the team's host lists and the backoff cases."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_plan import (
    BenchError,
    Cluster,
    Knobs,
    backoff_plan,
    benchmark_knobs,
    benchmark_plan,
    catalog,
    own_farm_host_list,
    setups,
    team_plan,
    whole_number,
)

HERE = os.path.dirname(__file__)
CLIENT = "/usr/local/lib/distrant-distcc/pump/bin/distcc"
CATALOG = ["local", "seed", "auto", "auto-full", "auto-prepared", "breakdown", "breakdown-full", "plain",
           "pump-localhost"]


def recorded(name):
    with open(os.path.join(HERE, "fixtures", name)) as handle:
        return json.load(handle)


def cluster_of(raw, **kwargs):
    """The cluster a recorded run was measured on."""
    workers = tuple({"address": a, "cpus": w["effective_cpus"]} for a, w in zip(raw["worker_addresses"], raw["workers"]))
    return Cluster(master_cpus=raw["master"]["cpu"]["effective_cpus"], workers=workers, **kwargs)


def by_name(found):
    return {s["name"]: s for s in found}


# The knobs

def test_the_defaults():
    assert benchmark_knobs({}, {}) == Knobs(repeats=3, target="all", config="tinyconfig", min_remote_share=0.9,
                                            setup_names=(), scaling="auto", project={})


def test_the_environment_is_read_and_an_option_wins_over_it():
    env = {"DISTRANT_BENCH_REPEATS": "5", "DISTRANT_BENCH_TARGET": " kernel/ mm/ lib/ ", "DISTRANT_BENCH_CONFIG": "defconfig",
           "DISTRANT_BENCH_MIN_REMOTE_SHARE": "0.5", "DISTRANT_BENCH_SETUPS": "local, auto", "DISTRANT_BENCH_SCALING": "False",
           "DISTRANT_BENCH_PROJECT": "debian:yaml-cpp"}
    knobs = benchmark_knobs({}, env)
    assert knobs == Knobs(repeats=5, target="kernel/ mm/ lib/", config="defconfig", min_remote_share=0.5,
                          setup_names=("local", "auto"), scaling=False,
                          project={"distcc_project_source": {"debian": "yaml-cpp"}})
    assert benchmark_knobs({"repeats": "1", "setups": ["seed"], "scaling": True}, env).repeats == 1
    assert benchmark_knobs({"repeats": "1", "setups": ["seed"], "scaling": True}, env).setup_names == ("seed",)
    assert benchmark_knobs({"repeats": "", "scaling": True}, env).repeats == 5  # an empty option is not given


def test_a_project_as_json_is_project_yml_variables():
    value = '{"distcc_project_source": {"debian": "yaml-cpp"}, "distcc_project_configure_args": ["-DX=OFF"]}'
    assert benchmark_knobs({}, {"DISTRANT_BENCH_PROJECT": value}).project == json.loads(value)
    assert benchmark_knobs({"project": {"distcc_project_source": {"git": "x"}}}, {}).project == {
        "distcc_project_source": {"git": "x"}}


@pytest.mark.parametrize("env, message", [
    ({"DISTRANT_BENCH_REPEATS": "0"}, "DISTRANT_BENCH_REPEATS must be a whole number >= 1, got '0'"),
    ({"DISTRANT_BENCH_REPEATS": "three"}, "DISTRANT_BENCH_REPEATS must be a whole number >= 1, got 'three'"),
    ({"DISTRANT_BENCH_REPEATS": "2.5"}, "DISTRANT_BENCH_REPEATS must be a whole number >= 1, got '2.5'"),
    ({"DISTRANT_BENCH_MIN_REMOTE_SHARE": "90"},
     "DISTRANT_BENCH_MIN_REMOTE_SHARE must be a number between 0 and 1 (a share of the objects), got '90'"),
    ({"DISTRANT_BENCH_MIN_REMOTE_SHARE": "most"},
     "DISTRANT_BENCH_MIN_REMOTE_SHARE must be a number between 0 and 1 (a share of the objects), got 'most'"),
    ({"DISTRANT_BENCH_SCALING": "sometimes"}, "DISTRANT_BENCH_SCALING must be auto, true or false, got 'sometimes'"),
    ({"DISTRANT_BENCH_PROJECT": "yaml-cpp"},
     "DISTRANT_BENCH_PROJECT must be KIND:LOCATION (e.g. debian:yaml-cpp) or a JSON object with distcc_project_source"
     " (project.yml's variables), got 'yaml-cpp'"),
    ({"DISTRANT_BENCH_PROJECT": '{"distcc_project_name": "x"}'},
     "DISTRANT_BENCH_PROJECT must name a source: a JSON object with distcc_project_source (project.yml's variables),"
     " got {'distcc_project_name': 'x'}"),
    ({"DISTRANT_BENCH_PROJECT": "{debian: yaml-cpp}"}, "DISTRANT_BENCH_PROJECT is not a valid JSON object"),
])
def test_a_bad_knob_is_named_with_what_it_must_be(env, message):
    with pytest.raises(BenchError) as caught:
        benchmark_knobs({}, env)
    assert str(caught.value).startswith(message)


def test_a_bad_extra_var_is_named_as_the_playbook_reads_it():
    with pytest.raises(BenchError, match=r"^distcc_bench_repeats must be a whole number >= 1, got -1$"):
        benchmark_knobs({"repeats": -1}, {"DISTRANT_BENCH_REPEATS": "3"})


def test_a_bounded_whole_number():
    assert whole_number("BENCH_PROVISION_RUNS", {}, {"DISTRANT_BENCH_PROVISION_RUNS": "100"}, 5, high=100) == 100
    with pytest.raises(BenchError, match=r"DISTRANT_BENCH_PROVISION_RUNS must be a whole number 1\.\.100, got '101'"):
        whole_number("BENCH_PROVISION_RUNS", {}, {"DISTRANT_BENCH_PROVISION_RUNS": "101"}, 5, high=100)


# The catalog, on the clusters of recorded runs

def test_the_catalog_gives_the_recorded_host_lists_of_the_one_worker_lab():
    raw = recorded("benchmark-raw.json")  # 0.4 CPU master, one 1.6 CPU worker; an older raw file (fewer keys)
    found = by_name(catalog(cluster_of(raw)))
    assert list(found) == CATALOG
    for setup in raw["setups"]:
        if setup["name"] != "auto":  # auto's hosts are the role's file; its description has changed since
            assert {k: found[setup["name"]][k] for k in setup} == setup


def test_the_catalog_gives_the_recorded_setups_of_the_whole_job():
    raw = recorded("benchmark-raw-whole-job.json")
    found = by_name(catalog(cluster_of(raw, hosts_file="10.200.1.3/4,cpp,lzo\n")))
    assert {k: found["seed"][k] for k in raw["setups"][1]} == raw["setups"][1]  # min_remote_share 0.45, prepare []
    assert found["auto"]["min_remote_share"] == 0.9 and found["local"] == raw["setups"][0]


def test_the_scaling_rows_and_auto_are_the_recorded_ones_of_the_three_worker_lab():
    raw = recorded("benchmark-raw-3-workers.json")  # DISTRANT_BENCH_SETUPS=auto,pump-1w,pump-2w on a 1+3 lab
    knobs = Knobs(setup_names=("auto", "pump-1w", "pump-2w"))
    found = setups(knobs, cluster_of(raw, hosts_file="10.200.1.3/4,cpp,lzo 10.200.1.4/4,cpp,lzo 10.200.1.5/4,cpp,lzo",
                                     client=CLIENT, kbuild_lean=True))
    assert found[0] == raw["setups"][0]
    # the same rows but their slots: the host list policy gives a 0.62 CPU worker 2 today (4 when recorded)
    assert [{k: v for k, v in s.items() if k not in ("jobs", "hosts")} for s in found[1:]] == [
        {k: v for k, v in s.items() if k not in ("jobs", "hosts")} for s in raw["setups"][1:]]
    assert [(s["jobs"], s["hosts"]) for s in found[1:]] == [
        (2, "10.200.1.3/2,cpp,lzo"), (4, "10.200.1.3/2,cpp,lzo 10.200.1.4/2,cpp,lzo")]


def test_a_localhost_slot_halves_the_share_of_the_auto_setups():
    cluster = Cluster(master_cpus=2, workers=({"address": "10.200.1.3", "cpus": 2},),
                      hosts_file="# written by distrant\nlocalhost/1 10.200.1.3/4,cpp,lzo\n")
    found = by_name(catalog(cluster, 0.8))
    assert [found[n]["min_remote_share"] for n in ("auto", "auto-full", "auto-prepared", "breakdown", "seed")] == [
        0.4, 0.4, 0.4, 0.4, 0.4]
    assert found["auto-full"]["environment"] == {"DISTRANT_DISTCC_UNBUFFERED": "1", "DISTRANT_DISTCC_NO_MEMO": "1"}
    assert found["auto-full"]["client"] == "distcc" and found["auto-full"]["kbuild_lean"] is False


TWO = Cluster(master_cpus=0.4, workers=({"address": "10.200.1.3", "cpus": 1.6}, {"address": "10.200.1.4", "cpus": 1.6}),
              client=CLIENT)


@pytest.mark.parametrize("knobs, names, fresh", [
    (Knobs(), CATALOG + ["pump-1w", "pump-2w"], [n for n in CATALOG if n != "auto-prepared"] + ["pump-1w", "pump-2w"]),
    (Knobs(scaling=False), CATALOG, [n for n in CATALOG if n != "auto-prepared"]),
    (Knobs(target="kernel/ mm/ lib/", scaling=False), [n for n in CATALOG if n != "auto-prepared"], []),
    (Knobs(project={"distcc_project_source": {"debian": "yaml-cpp"}}, scaling=False),
     ["local", "seed", "auto", "breakdown", "plain", "pump-localhost"], []),
    (Knobs(setup_names=("pump-2w", "local")), ["local", "pump-2w"], ["local", "pump-2w"]),
])
def test_the_knobs_pick_among_the_setups(knobs, names, fresh):
    plan = benchmark_plan(knobs, TWO)
    assert [s["name"] for s in plan["setups"]] == names
    assert plan["fresh_setups"] == fresh


def test_scaling_rows_need_two_workers_unless_asked():
    one = Cluster(master_cpus=0.4, workers=TWO.workers[:1])
    assert "pump-1w" not in [s["name"] for s in setups(Knobs(), one)]
    assert [s["name"] for s in setups(Knobs(scaling=True), one)][-1] == "pump-1w"


def test_an_unknown_setup_is_refused_with_the_names():
    with pytest.raises(BenchError) as caught:
        setups(Knobs(setup_names=("local", "auto-prepared"), target="kernel/", scaling=False), TWO)
    assert str(caught.value) == (
        "DISTRANT_BENCH_SETUPS (distcc_bench_setups) names auto-prepared, not among this run's setups: a comma list of "
        "local, seed, auto, auto-full, breakdown, breakdown-full, plain, pump-localhost")


def test_a_worker_without_cpus_is_named():
    with pytest.raises(BenchError, match=r"the benchmark's workers must be \{address, cpus\} each, got \('10.200.1.3',\)"):
        catalog(Cluster(master_cpus=1, workers=("10.200.1.3",)))
    with pytest.raises(BenchError, match="cannot build a host list for the benchmark: worker 10.200.1.3 cpus"):
        catalog(Cluster(master_cpus=1, workers=({"address": "10.200.1.3", "cpus": "many"},)))


# The team benchmark

TEAM = "--randomize localhost/1 10.200.1.5/4,cpp,lzo 10.200.1.4/4,cpp,lzo 10.200.1.3/4,cpp,lzo"


def test_the_own_farm_list_keeps_the_inventory_order_the_limits_and_localhost():
    assert own_farm_host_list(TEAM, ["10.200.1.3", "10.200.1.4", "10.200.1.5"]) == (
        "localhost/1 10.200.1.3/4,cpp,lzo 10.200.1.4/4,cpp,lzo 10.200.1.5/4,cpp,lzo")
    # an address that is the prefix of another is not taken for it
    assert own_farm_host_list("10.200.1.30/2 10.200.1.3/4", ["10.200.1.3", "10.200.1.30"]) == "10.200.1.3/4 10.200.1.30/2"


def test_the_team_plan():
    workers = [{"address": "10.200.1.3", "stats_port": 3633}, {"address": "10.200.1.4", "stats_port": None}]
    plan = team_plan({}, {"DISTRANT_BENCH_REPEATS": "2"}, ["master-1", "master-2"], workers,
                     "# distrant\n\n10.200.1.4/4,cpp,lzo 10.200.1.3/4,cpp,lzo\n", "defconfig")
    assert plan == {"repeats": 2, "target": "all", "reset": ["distclean", "defconfig"],
                    "host_lists": {"team": "10.200.1.4/4,cpp,lzo 10.200.1.3/4,cpp,lzo",
                                   "own": "10.200.1.3/4,cpp,lzo 10.200.1.4/4,cpp,lzo"},
                    "own_farm_differs": True, "stats_endpoints": ["10.200.1.3:3633", "10.200.1.4:3633"]}
    prepared = team_plan({"target": "kernel/"}, {}, ["m1", "m2"], workers[:1], "10.200.1.3/4,cpp,lzo")
    assert prepared["reset"] == ["clean"] and prepared["repeats"] == 1 and not prepared["own_farm_differs"]


@pytest.mark.parametrize("masters, workers, hosts_file, message", [
    (["master"], [{"address": "10.200.1.3"}], "10.200.1.3/4",
     "the team benchmark needs at least two masters and a worker (DISTRANT_MASTERS=2 make lab); this lab has 1 master(s), 1 worker(s)"),
    (["m1", "m2"], [], "10.200.1.3/4", "this lab has 2 master(s), 0 worker(s)"),
    (["m1", "m2"], [{"address": "10.200.1.3"}], "# nothing\n", "/etc/distcc/hosts has no host list"),
])
def test_the_team_plan_refuses_a_lab_it_cannot_measure(masters, workers, hosts_file, message):
    with pytest.raises(BenchError, match=message.replace("(", r"\(").replace(")", r"\)")):
        team_plan({}, {}, masters, workers, hosts_file)


# The backoff benchmark

def test_the_backoff_plan():
    plan = backoff_plan({}, {}, "localhost/1 10.200.1.3/4,cpp,lzo 10.200.1.4/4,cpp,lzo\n")
    assert plan == {"periods": [0, 10, 60],
                    "cases": [[0, "transient"], [0, "gone"], [10, "transient"], [10, "gone"], [60, "transient"],
                              [60, "gone"]],
                    "entry": "10.200.1.3/4,cpp,lzo", "gone": "10.200.1.250/4,cpp,lzo"}
    assert backoff_plan({}, {"DISTRANT_BENCH_BACKOFF_PERIODS": "5, 30"}, "10.9.0.2/2,cpp,lzo", "10.9.0.0/16")["cases"] == [
        [5, "transient"], [5, "gone"], [30, "transient"], [30, "gone"]]
    assert backoff_plan({"backoff_periods": [1]}, {}, "10.9.0.2/2,cpp,lzo", "10.9.0.0/16")["gone"] == "10.9.0.250/4,cpp,lzo"


@pytest.mark.parametrize("env, hosts_file, network, message", [
    ({"DISTRANT_BENCH_BACKOFF_PERIODS": "0,ten"}, "10.200.1.3/4,cpp,lzo", "10.200.1.0/24",
     "DISTRANT_BENCH_BACKOFF_PERIODS must be a comma list of seconds >= 0 (e.g. 0,10,60), got '0,ten'"),
    ({"DISTRANT_BENCH_BACKOFF_PERIODS": "-1"}, "10.200.1.3/4,cpp,lzo", "10.200.1.0/24",
     "DISTRANT_BENCH_BACKOFF_PERIODS must be a comma list of seconds >= 0"),
    ({}, "10.200.1.3/4", "10.200.1.0/24", "/etc/distcc/hosts has no pump entry"),
    ({}, "10.200.1.3/4,cpp,lzo", "10.200.1.0/28", "the network '10.200.1.0/28' has no address .250"),
])
def test_the_backoff_plan_refuses_what_it_cannot_run(env, hosts_file, network, message):
    with pytest.raises(BenchError) as caught:
        backoff_plan({}, env, hosts_file, network)
    assert str(caught.value).startswith(message)
