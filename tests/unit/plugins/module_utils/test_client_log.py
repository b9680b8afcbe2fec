"""distcc's client log: recorded real logs, fed whole and in pieces, and the reasons' format."""

from __future__ import annotations


import pytest
from conftest import recorded

from ansible_collections.distrant.distcc.plugins.module_utils._client_log import (
    ClientLog,
    LOCAL_REASONS,
    format_reasons,
    parse_client_log,
)


fixture = recorded(__file__)


@pytest.mark.parametrize(
    "name, expected",
    [
        # recorded from distcc 3.4: two compiles on worker .3, one refused by a stopped worker
        # .4 and redone locally, one broken file failing remotely then locally
        ("client-fallback.log",
         {"objects": 3, "jobs_per_host": {"10.200.11.3": 2, "localhost": 1}, "remote_objects": 2,
          "local_reasons": {"connection_failed": 1}, "local_fallbacks": 1, "failed_remote": 2,
          "remote_preprocessed": 0, "pump_fallbacks": 0, "pump_switched_off": False}),
        # recorded from a kernel/ build whose worker .4 had its distccd killed: the next job's
        # connect is refused and distcc 3.4 compiles it locally without "running locally instead"
        ("client-refused-silent.log",
         {"objects": 2, "jobs_per_host": {"10.200.11.4": 1, "localhost": 1}, "remote_objects": 1,
          "local_reasons": {"connection_failed": 1}, "local_fallbacks": 1, "failed_remote": 1,
          "remote_preprocessed": 0, "pump_fallbacks": 0, "pump_switched_off": False}),
        # recorded from a kernel/ build whose worker .3 left the network mid-compile:
        # DISTCC_IO_TIMEOUT=15 expires ("(dcc_select_for_read) ERROR: IO timeout") and the
        # object is compiled locally
        ("client-io-timeout.log",
         {"objects": 1, "jobs_per_host": {"localhost": 1}, "remote_objects": 0,
          "local_reasons": {"remote_failed": 1}, "local_fallbacks": 1, "failed_remote": 1,
          "remote_preprocessed": 0, "pump_fallbacks": 0, "pump_switched_off": False}),
        # recorded (abridged: the first processes, long command lines cut) from a pump build of kernel/
        # right after distclean, without the prepare step: Kbuild rewrote include/generated/autoconf.h
        # under the include server, the remote compile of asm-offsets.c failed, the local retry gave a
        # different result (named only after it completed), distcc switched pump mode off and put the
        # only worker in backoff: every following compile ran on the master
        ("client-pump-discrepancy.log",
         {"objects": 21, "jobs_per_host": {"10.200.1.3": 3, "localhost": 18}, "remote_objects": 3,
          "local_reasons": {"backoff": 17, "discrepancy": 1}, "local_fallbacks": 1, "failed_remote": 1,
          "remote_preprocessed": 3, "pump_fallbacks": 0, "pump_switched_off": True}),
        # recorded from the whole tinyconfig build of `make lab` with the prepare step: its four plain
        # compiles (`cpp ... on localhost`, no include server yet), then pump mode; Kbuild's probes
        # ("no visible input file") are no objects
        ("client-pump-prepared.log",
         {"objects": 19, "jobs_per_host": {"10.200.1.3": 19}, "remote_objects": 19, "local_reasons": {},
          "local_fallbacks": 0, "failed_remote": 0, "remote_preprocessed": 15, "pump_fallbacks": 0,
          "pump_switched_off": False}),
        # recorded from a kernel/ build with the only worker's distccd stopped: the first compile is
        # refused, then the worker is in backoff and distcc has no host ("failed to distribute, running
        # locally instead", no host named)
        ("client-workers-down.log",
         {"objects": 4, "jobs_per_host": {"localhost": 4}, "remote_objects": 0,
          "local_reasons": {"backoff": 3, "connection_failed": 1}, "local_fallbacks": 1, "failed_remote": 1,
          "remote_preprocessed": 0, "pump_fallbacks": 0, "pump_switched_off": False}),
        # recorded from a pump build of kernel/ with `localhost/1 <worker>/4,cpp,lzo`
        ("client-pump-localhost.log",
         {"objects": 14, "jobs_per_host": {"10.200.1.3": 8, "localhost": 6}, "remote_objects": 8,
          "local_reasons": {"localhost_slot": 6}, "local_fallbacks": 0, "failed_remote": 0,
          "remote_preprocessed": 7, "pump_fallbacks": 0, "pump_switched_off": False}),
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
        "objects": 0, "jobs_per_host": {}, "remote_objects": 0, "local_reasons": {}, "local_fallbacks": 0,
        "failed_remote": 0, "remote_preprocessed": 0, "pump_fallbacks": 0, "pump_switched_off": False,
    }


RECORDED = ["client-fallback.log", "client-refused-silent.log", "client-io-timeout.log", "client-pump-discrepancy.log",
            "client-pump-prepared.log", "client-workers-down.log", "client-pump-localhost.log"]


@pytest.mark.parametrize("name", RECORDED)
def test_reasons_add_up_to_objects(name):
    counts = parse_client_log(fixture(name))
    assert counts["remote_objects"] + sum(counts["local_reasons"].values()) == counts["objects"]
    assert set(counts["local_reasons"]) <= set(LOCAL_REASONS)


def test_process_ids_reused_are_new_compiles():
    # a pid that exited and comes back is another process: its lines do not inherit the old flags
    text = ("distcc[7] compile from a.c to a.o\n"
            "distcc[7] ERROR: nonblocking connect to 10.0.0.3:3632 failed: Connection refused\n"
            "distcc[7] compile a.c on localhost completed ok\n"
            "distcc[7] (dcc_exit) exit: code 0; self: 0 user 0 sys; children: 0 user 0 sys\n"
            "distcc[7] compile from b.c to b.o\n"
            "distcc[7] compile b.c on localhost completed ok\n")
    assert parse_client_log(text)["local_reasons"] == {"connection_failed": 1, "localhost_slot": 1}


@pytest.mark.parametrize("name", RECORDED)
@pytest.mark.parametrize("chunk", [1, 7, 64, 4096])
def test_client_log_fed_in_pieces_counts_the_same(name, chunk):
    # the module parses the log as it grows, in whatever pieces the reads return
    text = fixture(name)
    log = ClientLog()
    for start in range(0, len(text), chunk):
        log.feed(text[start:start + chunk])
    assert log.feed("", final=True).counts() == parse_client_log(text)


def test_format_reasons_names_each_reason_with_its_count_by_name():
    assert format_reasons({"remote_failed": 2, "backoff": 1}) == "backoff 1, remote_failed 2"
    assert format_reasons({}) == ""


def test_client_log_of_ssh_hosts_keys_them_by_host():
    # distcc 3.4 names an SSH host by its whole entry (lines of a pump build over ssh, host renamed): the facts key
    # it by the host alone, as a TCP host, so that jobs_per_host[worker address] reads the same for both transports
    text = "".join(
        "distcc[%d] compile f%d.c on %s completed ok\n"
        "distcc[%d] (dcc_exit) exit: code 0; self: 0.000000 user 0.005896 sys; children: 0.004232 user 0.004232 sys\n"
        % (pid, pid, host, pid)
        for pid, host in ((1, "@10.200.11.3/4,lzo,cpp"), (2, "@10.200.11.3/4,lzo,cpp"),
                          (3, "distcc-ssh@10.200.11.4/4,lzo,cpp"), (4, "10.200.11.5/4,lzo")))
    counts = parse_client_log(text)
    assert counts["jobs_per_host"] == {"10.200.11.3": 2, "10.200.11.4": 1, "10.200.11.5": 1}
    assert (counts["remote_objects"], counts["remote_preprocessed"]) == (4, 3)
