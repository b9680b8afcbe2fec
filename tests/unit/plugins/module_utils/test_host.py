"""distcc_host_info's readers, on output recorded from a lab worker (Debian 12) and on real files and sockets."""

from __future__ import annotations

import os
import socket
import sys

from conftest import recorded

from ansible_collections.distrant.distcc.plugins.module_utils import _host

fixture = recorded(__file__)


def test_packages_installed_or_not():
    got = _host.parse_dpkg_query(fixture("dpkg-query-worker.txt"), ["distcc", "gcc", "nftables", "libc6", "nosuchpkg"])
    assert got == {"distcc": "3.4+really3.4-3", "gcc": "4:12.2.0-3", "nftables": None, "libc6": "2.36-9+deb12u14",
                   "nosuchpkg": None}


def test_removed_package_with_config_left_is_not_installed():
    assert _host.parse_dpkg_query("distcc\trc \t3.4+really3.4-3\n", ["distcc"]) == {"distcc": None}


def test_package_with_arch_or_version_in_its_name():
    text = "libc6:amd64\tii \t2.36-9\n"
    assert _host.parse_dpkg_query(text, ["libc6:amd64", "libc6=2.36-9"]) == {"libc6:amd64": "2.36-9", "libc6=2.36-9": "2.36-9"}


def test_read_packages_asks_dpkg_once_and_survives_its_exit_code():
    calls = []

    def run(argv):
        calls.append(argv)
        return 1, fixture("dpkg-query-worker.txt"), "dpkg-query: no packages found matching nftables\n"

    assert _host.read_packages(["distcc", "nftables"], run=run) == {"distcc": "3.4+really3.4-3", "nftables": None}
    assert len(calls) == 1 and calls[0][:2] == ["dpkg-query", "--show"]
    assert _host.read_packages([], run=run) == {} and len(calls) == 1


def test_units_masked_running_and_missing():
    names = ["distcc.service", "distccd-distrant.service", "distccd-distrant-firewall.service"]
    got = _host.parse_systemctl_show(fixture("systemctl-show-worker.txt"), names)
    assert got == {
        "distcc.service": {"load": "masked", "active": "inactive", "enabled": "masked"},
        "distccd-distrant.service": {"load": "loaded", "active": "active", "enabled": "enabled"},
        "distccd-distrant-firewall.service": {"load": "not-found", "active": "inactive", "enabled": ""},
    }


def test_units_when_systemctl_fails():
    got = _host.read_services(["a.service"], run=lambda argv: (1, "", "Failed to connect to bus"))
    assert got == {"a.service": {"load": None, "active": None, "enabled": None}}


def test_compiler_version_or_none():
    def run(argv):
        return (0, "12.2.0\n", "") if argv[0] == "gcc" else (127, "", "not found")

    assert _host.read_compilers(["gcc", "g++-14"], run=run) == {"gcc": "12.2.0", "g++-14": None}
    assert _host.read_compilers(["no-such-compiler-here"]) == {"no-such-compiler-here": None}


def test_files(tmp_path):
    small = tmp_path / "hosts"
    small.write_text("10.200.1.3/4\n")
    os.chmod(small, 0o640)
    big = tmp_path / "big"
    big.write_bytes(b"x" * (_host.MAX_CONTENT + 1))
    link = tmp_path / "masked.service"
    link.symlink_to("/dev/null")
    got = _host.read_file(str(small))
    assert (got["exists"], got["type"], got["mode"], got["content"], got["target"]) == (True, "file", "0640", "10.200.1.3/4\n", None)
    assert got["owner"] and got["group"]
    assert _host.read_file(str(big))["content"] is None
    assert (_host.read_file(str(link))["type"], _host.read_file(str(link))["target"]) == ("link", "/dev/null")
    assert _host.read_file(str(tmp_path))["type"] == "directory"
    assert _host.read_file(str(tmp_path / "absent"))["exists"] is False


def test_users():
    me = _host.read_users(["root", "no-such-user-here"])
    assert me["root"]["uid"] == 0 and me["no-such-user-here"] is None


def test_include_server_that_does_not_import(tmp_path):
    got = _host.check_include_server(str(tmp_path))
    assert got["works"] is False and "include_server" in got["error"]
    assert str(tmp_path) not in sys.path
    assert _host.check_include_server(None) is None


def test_ports_open_closed_and_bad():
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    closed = socket.create_server(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    try:
        got = _host.check_ports(["127.0.0.1:%d" % port, "127.0.0.1:%d" % closed_port], timeout=1)
    finally:
        server.close()
    assert got[0] == {"target": "127.0.0.1:%d" % port, "open": True, "error": None}
    assert got[1]["target"] == "127.0.0.1:%d" % closed_port and got[1]["open"] is False
    assert "refused" in got[1]["error"].lower()
    assert _host.check_ports([], timeout=1) == []
    for bad in ("10.0.0.1", "10.0.0.1:0", "10.0.0.1:http", ":3632", "10.0.0.1:70000"):
        try:
            _host.split_target(bad)
        except ValueError as exc:
            assert "is not address:port" in str(exc)
        else:
            raise AssertionError(bad)


def test_port_that_opens_late_is_waited_for():
    clock = [0.0]
    attempts = []

    def connect(address, timeout):
        attempts.append(clock[0])
        if clock[0] < 2:
            raise ConnectionRefusedError("Connection refused")

        class Sock:
            def close(self):
                pass

        return Sock()

    def sleep(seconds):
        clock[0] += seconds

    got = _host.wait_for_port("10.0.0.3:3632", 10, connect=connect, clock=lambda: clock[0], sleep=sleep)
    assert got == {"open": True, "error": None} and len(attempts) == 5

    def refuse(address, timeout):
        raise ConnectionRefusedError("Connection refused")

    clock[0] = 0.0
    got = _host.wait_for_port("10.0.0.3:3632", 1, connect=refuse, clock=lambda: clock[0], sleep=sleep)
    assert got["open"] is False and "Connection refused" in got["error"]


def test_systemd_version_from_debian_12_and_13():
    assert _host.parse_systemd_version(fixture("systemctl-version-bookworm.txt")) == 252
    assert _host.parse_systemd_version(fixture("systemctl-version-trixie.txt")) == 257
    assert _host.parse_systemd_version("") is None
    assert _host.parse_systemd_version("bash: systemctl: command not found") is None


def test_cap_sys_admin_in_a_container_and_on_a_host():
    container = _host.parse_cap_bounding(fixture("proc-status-container.txt"))
    host = _host.parse_cap_bounding(fixture("proc-status-host.txt"))
    assert not container >> _host.CAP_SYS_ADMIN & 1
    assert host >> _host.CAP_SYS_ADMIN & 1
    assert _host.parse_cap_bounding("Name: x\n") is None


def _systemd(version_text, status_text, tmp_path):
    status = tmp_path / "status"
    status.write_text(status_text)
    return _host.read_systemd(run=lambda argv: (0, version_text, ""), status_path=str(status))


def test_seccomp_sandboxing_is_off_only_for_new_systemd_without_cap_sys_admin(tmp_path):
    trixie, bookworm = fixture("systemctl-version-trixie.txt"), fixture("systemctl-version-bookworm.txt")
    container, host = fixture("proc-status-container.txt"), fixture("proc-status-host.txt")
    assert _systemd(trixie, container, tmp_path) == {"version": 257, "cap_sys_admin": False,
                                                     "seccomp_sandboxing": False}
    assert _systemd(trixie, host, tmp_path)["seccomp_sandboxing"] is True
    assert _systemd(bookworm, container, tmp_path)["seccomp_sandboxing"] is True
    # unknown is not a reason to take protection away
    assert _systemd("", container, tmp_path)["seccomp_sandboxing"] is True
    assert _systemd(trixie, "", tmp_path)["seccomp_sandboxing"] is True
