from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ansible_collections.distrant.distcc.plugins.module_utils._pump import IncludeServer, PumpError, _alive, not_covered

from conftest import recorded

fixture = recorded(__file__)


def fake_include_server(tmp_path, script, **kwargs):
    """An IncludeServer whose include_server.py is ``script``, and the directory its runs go to."""
    package = tmp_path / "pump" / "include_server"
    package.mkdir(parents=True)
    (package / "include_server.py").write_text(script)
    runs = tmp_path / "runs"
    runs.mkdir()
    return IncludeServer(str(tmp_path / "pump"), python=sys.executable, tmp_parent=str(runs), **kwargs), runs


def test_missing_include_server_says_how_to_get_it(tmp_path):
    server = IncludeServer(str(tmp_path / "nothing"), tmp_parent=str(tmp_path))
    with pytest.raises(PumpError, match="distcc_master_pump: true"):
        server.start()
    assert os.listdir(tmp_path) == []


def test_failing_include_server_reports_its_error_and_leaves_nothing(tmp_path):
    # Debian 12's extension fails like this on the first '#' format (distcc/distcc#454)
    server, runs = fake_include_server(
        tmp_path, "import sys\nsys.stderr.write(\"SystemError: PY_SSIZE_T_CLEAN macro must be defined for '#' formats\\n\")\n"
        "sys.exit(1)\n")
    with pytest.raises(PumpError, match="PY_SSIZE_T_CLEAN"):
        server.start()
    assert os.listdir(runs) == []


def test_a_zombie_counts_as_stopped():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    while True:  # exited but not reaped: state Z
        with open("/proc/%d/stat" % child.pid) as handle:
            if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                break
    assert not _alive(child.pid)
    child.wait()
    assert not _alive(child.pid)


def test_a_running_process_is_alive():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert _alive(child.pid)
    finally:
        child.kill()
        child.wait()


def test_options_reach_the_include_server_after_the_modules_own(tmp_path):
    server, runs = fake_include_server(
        tmp_path, "import sys\nsys.stderr.write('include_server: unknown option: %s\\n' % ' '.join(sys.argv[1:]))\n"
        "sys.exit(1)\n", options=["--no_force_dirs", "--bogus"])
    with pytest.raises(PumpError, match=r"--pid_file \S+ -d1 --no_force_dirs --bogus"):
        server.start()
    assert os.listdir(runs) == []


def test_the_builds_env_reaches_the_include_server_but_not_over_its_own_settings(tmp_path):
    server, _runs = fake_include_server(
        tmp_path, "import os, sys\nsys.stderr.write('env: %s %s\\n' % (os.environ.get('DISTRANT_DISTCC_NO_MEMO'), "
        "os.environ.get('PYTHONOPTIMIZE')))\nsys.exit(1)\n", env={"DISTRANT_DISTCC_NO_MEMO": 1, "PYTHONOPTIMIZE": "0"})
    with pytest.raises(PumpError, match=r"env: 1 1$"):
        server.start()


def test_a_give_up_of_the_include_server_is_counted_with_its_reason():
    # recorded: distcc 3.4's include server with the role's patches, asked for gcc -imultilib none -DX=1 -c b.c
    found = not_covered(fixture("include-server-not-covering.log"))
    assert found == dict(count=1, first=[dict(translation_unit="unknown translation unit",
                                              reason="-imultilib is not implemented.")])


def test_give_ups_naming_a_header_keep_it_in_the_reason_and_only_the_first_ten_are_listed():
    # the line of docs/pump-autotools.md's coreutils run (the include server before patch 0008), path shortened
    line = ("WARNING include server: Preprocessing locally. Include server not covering: File: "
            "'lib/selinux/selinux.h': include_next not parsed for translation unit 'lib/selinux-at.c' \n")
    found = not_covered("WARNING include server: something else\n" + line * 12)
    assert found["count"] == 12
    assert len(found["first"]) == 10
    assert found["first"][0] == dict(translation_unit="lib/selinux-at.c",
                                     reason="File: 'lib/selinux/selinux.h': include_next not parsed")


def test_no_include_server_output_is_no_give_up():
    assert not_covered("") == dict(count=0, first=[])
    assert not_covered(None) == dict(count=0, first=[])
