"""DISTCC_HOSTS: parsing (TCP and SSH entries), refusals, -j for a host list, the host list without ,cpp,
backoff files, the transport and the host a client log line names."""

from __future__ import annotations

import re

import pytest

from ansible_collections.distrant.distcc.plugins.module_utils._host_list import (
    HostsError,
    auto_jobs,
    backoff_hosts,
    entry_name,
    parse_hosts,
    transport,
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
        ("@[::1]/4,lzo", "IPv6 is not supported"),
        ("build@fd00::3/4", "IPv6 is not supported"),
        # distcc 3.4 ignores a /LIMIT after the options without a word: the host would get 4 slots
        ("@10.0.0.1,lzo,cpp/8", "the /LIMIT comes before the options"),
        ("distcc-ssh@worker-1,lzo/2", "the /LIMIT comes before the options"),
        # ... and reads a /LIMIT after :COMMAND as part of the command
        ("@10.0.0.1:/usr/bin/distccd/8,lzo", "the /LIMIT comes before :COMMAND"),
        # ssh takes its port from its configuration; distcc would run "22" on the worker
        ("@10.0.0.1:22/4", "distcc reads '22/4' as the command"),
        ("@10.0.0.1/4:22,lzo", "an SSH host takes no port"),
        ("@10.0.0.1/0,lzo", "the /LIMIT must be between 1 and 4096, got 0"),
        ("@10.0.0.1/4,lzo,fast", "distcc does not know the option ,fast"),
        ("b!d@10.0.0.1/4", "not an SSH host"),
        ("@", "not an SSH host"),
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
        ("@10.200.1.3/8,lzo,cpp distcc-ssh@10.200.1.4/8,cpp,lzo", "@10.200.1.3/8,lzo distcc-ssh@10.200.1.4/8,lzo"),
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


def test_backoff_hosts_of_ssh_entries():
    # lock.c: <lockdir>/backoff_ssh_<host>_0, neither port nor user in the name (seen: backoff_ssh_w-nocm_0)
    assert backoff_hosts(parse_hosts("localhost/1 @10.200.1.3/8,lzo,cpp distcc-ssh@worker-2/4,lzo")) == {
        "backoff_ssh_10.200.1.3_0": "@10.200.1.3",
        "backoff_ssh_worker-2_0": "distcc-ssh@worker-2",
    }


@pytest.mark.parametrize(
    "word, fields",
    [
        # what the master role writes: no user (its ssh configuration names the account), limit, lzo, cpp
        ("@10.200.1.3/8,lzo,cpp", ("10.200.1.3", None, 8, None, ["lzo", "cpp"])),
        ("distcc-ssh@10.200.1.3/8,lzo", ("10.200.1.3", "distcc-ssh", 8, None, ["lzo"])),
        ("@worker-1", ("worker-1", None, 4, None, [])),  # distcc's default limit for a remote host
        ("@localhost/2", ("localhost", None, 2, None, [])),  # an SSH host named localhost, not the master's slot
        ("build@w1/3:/usr/local/lib/distrant-distcc/distccd,lzo,cpp",
         ("w1", "build", 3, "/usr/local/lib/distrant-distcc/distccd", ["lzo", "cpp"])),
        ("@w1:/opt/distccd", ("w1", None, 4, "/opt/distccd", [])),
    ],
)
def test_parse_ssh_entries(word, fields):
    entry = parse_hosts(word)[0]
    assert (entry["host"], entry["user"], entry["limit"], entry["command"], entry["options"]) == fields
    assert (entry["transport"], entry["port"], entry["raw"]) == ("ssh", None, word)


def test_parse_tcp_entries_say_their_transport():
    entries = parse_hosts("localhost/1 10.200.1.3/8,lzo")
    assert [(e["transport"], e["user"], e["command"]) for e in entries] == [("local", None, None), ("tcp", None, None)]


def test_auto_jobs_counts_ssh_limits():
    assert auto_jobs(parse_hosts("localhost/1 @10.200.1.3/8,lzo,cpp @10.200.1.4,lzo")) == 13


@pytest.mark.parametrize(
    "text, expected",
    [
        ("10.200.1.3/8,lzo 10.200.1.4/8", "tcp"),
        ("localhost/1 @10.200.1.3/8,lzo,cpp", "ssh"),
        ("@10.200.1.3/8,lzo 10.200.1.4/8,lzo", "mixed"),
        ("localhost/2", None),
        ("", None),
    ],
)
def test_transport(text, expected):
    assert transport(parse_hosts(text)) == expected


@pytest.mark.parametrize(
    "word, name",
    [
        # the host part of a client log's "compile x.c on WORD completed ok"
        ("10.200.1.3/8,lzo,cpp", "10.200.1.3"),
        ("localhost/2", "localhost"),
        ("@10.200.1.3/8,lzo,cpp", "10.200.1.3"),
        ("distcc-ssh@worker-1/4,lzo", "worker-1"),
        ("@w1/3:/opt/distccd,lzo", "w1"),
        ("@w1:/opt/distccd", "w1"),
        ("worker-1", "worker-1"),
    ],
)
def test_entry_name(word, name):
    assert entry_name(word) == name
