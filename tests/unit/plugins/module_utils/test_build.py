from __future__ import annotations

import os

import pytest

from ansible_collections.distrant.distcc.plugins.module_utils._build import (
    ClientLog,
    HostsError,
    auto_jobs,
    parse_client_log,
    parse_hosts,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


@pytest.mark.parametrize(
    "name, expected",
    [
        # recorded from distcc 3.4: two compiles on worker .3, one refused by a stopped worker
        # .4 and redone locally, one broken file failing remotely then locally
        ("client-fallback.log",
         {"objects": 3, "jobs_per_host": {"10.200.11.3": 2, "localhost": 1}, "local_fallbacks": 1, "failed_remote": 2,
          "remote_preprocessed": 0, "pump_fallbacks": 0}),
        # recorded from a kernel/ build whose worker .4 had its distccd killed: the next job's
        # connect is refused and distcc 3.4 compiles it locally without "running locally instead"
        ("client-refused-silent.log",
         {"objects": 2, "jobs_per_host": {"10.200.11.4": 1, "localhost": 1}, "local_fallbacks": 1, "failed_remote": 1,
          "remote_preprocessed": 0, "pump_fallbacks": 0}),
        # recorded from a kernel/ build whose worker .3 left the network mid-compile:
        # DISTCC_IO_TIMEOUT=15 expires ("(dcc_select_for_read) ERROR: IO timeout") and the
        # object is compiled locally
        ("client-io-timeout.log",
         {"objects": 1, "jobs_per_host": {"localhost": 1}, "local_fallbacks": 1, "failed_remote": 1,
          "remote_preprocessed": 0, "pump_fallbacks": 0}),
    ],
)
def test_client_log_recorded(name, expected):
    assert parse_client_log(fixture(name)) == expected


def test_client_log_ignores_kbuild_probes():
    # recorded from an incremental kernel build: cc-option probes compile no file
    text = "distcc[6601] compile (null) on localhost completed ok\n" * 3
    text += "distcc[6602] compile kernel/fork.c on 10.200.11.4/4 completed ok\n"
    assert parse_client_log(text)["jobs_per_host"] == {"10.200.11.4": 1}


def test_client_log_empty():
    assert parse_client_log("") == {
        "objects": 0, "jobs_per_host": {}, "local_fallbacks": 0, "failed_remote": 0,
        "remote_preprocessed": 0, "pump_fallbacks": 0,
    }


@pytest.mark.parametrize(
    "text, hosts, jobs",
    [
        ("localhost 10.200.1.3", ["localhost", "10.200.1.3"], 6),  # the seed's, distcc's default limits
        ("10.200.1.3/10", ["10.200.1.3"], 10),
        ("# managed\nlocalhost/2 10.200.11.3/4 10.200.11.4/4,lzo\n", ["localhost", "10.200.11.3", "10.200.11.4"], 10),
        ("--randomize worker-1:3632/3", ["worker-1"], 3),
    ],
)
def test_parse_hosts_and_auto_jobs(text, hosts, jobs):
    entries = parse_hosts(text)
    assert [e["host"] for e in entries] == hosts
    assert auto_jobs(entries) == jobs


def test_parse_hosts_options():
    entry = parse_hosts("10.200.11.4:3700/4,lzo")[0]
    assert (entry["port"], entry["limit"], entry["options"]) == (3700, 4, ["lzo"])


@pytest.mark.parametrize("text, message", [("10.0.0.1/0", "at least 1"), ("not a host!", "is not a host"), ("a/b", "is not a host")])
def test_parse_hosts_errors(text, message):
    with pytest.raises(HostsError, match=message):
        parse_hosts(text)


@pytest.mark.parametrize("name", ["client-fallback.log", "client-refused-silent.log", "client-io-timeout.log"])
@pytest.mark.parametrize("chunk", [1, 7, 64, 4096])
def test_client_log_fed_in_pieces_counts_the_same(name, chunk):
    # the module parses the log as it grows, in whatever pieces the reads return
    text = fixture(name)
    log = ClientLog()
    for start in range(0, len(text), chunk):
        log.feed(text[start:start + chunk])
    assert log.feed("", final=True).counts() == parse_client_log(text)
