"""DISTCC_HOSTS: parsing, refusals, -j for a host list, the host list without ,cpp, backoff files."""

from __future__ import annotations

import re

import pytest

from ansible_collections.distrant.distcc.plugins.module_utils._host_list import (
    HostsError,
    auto_jobs,
    backoff_hosts,
    parse_hosts,
    without_cpp,
)


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


@pytest.mark.parametrize(
    "text, message",
    [
        ("10.0.0.1/0", "the /LIMIT must be between 1 and 4096, got 0"),
        ("10.0.0.1/5000", "the /LIMIT must be between 1 and 4096, got 5000"),
        ("worker!", "not a host (expected HOST[:PORT][/LIMIT][,lzo]"),
        ("a/b", "not a host"),
        ("10.0.0.1:0/4", "the port must be between 1 and 65535, got 0"),
        ("10.0.0.1:70000/4,lzo", "the port must be between 1 and 65535, got 70000"),
        ("10.0.0.1/4,lzo,fast", "distcc does not know the option ,fast (it knows ,lzo, ,cpp, ,down, ,auth)"),
        ("10.0.0.1/4,zlo,cpp", "does not know the option ,zlo"),
        ("build@10.0.0.1/4", "SSH mode (user@host) is not supported"),
        ("@worker-1", "SSH mode"),
        ("[::1]/4", "IPv6 is not supported"),
        ("fd00::3", "IPv6 is not supported"),
        ("localhost:3632/2", "localhost takes no port"),
        ("localhost/2,lzo", "localhost takes no options"),
    ],
)
def test_parse_hosts_errors(text, message):
    with pytest.raises(HostsError, match=re.escape("DISTCC_HOSTS entry %r: " % text) + ".*" + re.escape(message)):
        parse_hosts(text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("10.200.1.3/4,cpp,lzo 10.200.1.4/4,cpp,lzo", "10.200.1.3/4,lzo 10.200.1.4/4,lzo"),
        ("localhost/1 10.200.1.3:3700/8,lzo,cpp", "localhost/1 10.200.1.3:3700/8,lzo"),
        ("worker-1", "worker-1"),
    ],
)
def test_without_cpp(text, expected):
    # the prepare targets and builds without pump mode run without the include server
    assert without_cpp(parse_hosts(text)) == expected


def test_backoff_hosts_names_distccs_files():
    # lock.c: <lockdir>/backoff_tcp_<host>_<port>_0; localhost has no backoff file
    assert backoff_hosts(parse_hosts("localhost/2 10.200.1.3/4,lzo worker-2:3700")) == {
        "backoff_tcp_10.200.1.3_3632_0": "10.200.1.3:3632",
        "backoff_tcp_worker-2_3700_0": "worker-2:3700",
    }
