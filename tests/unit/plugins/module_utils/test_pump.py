from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ansible_collections.distrant.distcc.plugins.module_utils._pump import IncludeServer, PumpError, _alive


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
