"""The master's CPU breakdown: the accounting program built and run for real, its log, the include server's share."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

from ansible_collections.distrant.distcc.plugins.module_utils._cpu_account import (
    LOG_ENV,
    AccountError,
    account_program_path,
    breakdown,
    build_account_program,
    parse_account_log,
    process_cpu_seconds,
)
from ansible_collections.distrant.distcc.plugins.module_utils._pump import IncludeServer

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc (the master's compiler)")

# /proc/PID/stat of an include server after a build (recorded; its comm has a space and a parenthesis)
INCLUDE_SERVER_STAT = ("4242 (python3 (x) y) S 1 4241 4241 0 -1 4194624 90211 1203 0 0 1311 187 25 4 20 0 1 0 "
                       "83810 118353920 17690 18446744073709551615 1 1 0 0 0 0 0 16781312 2 0 0 0 17 0 0 0 0 0 0")


@pytest.fixture(scope="module")
def account(tmp_path_factory):
    if shutil.which("gcc") is None:
        pytest.skip("needs gcc (the master's compiler)")
    directory = tmp_path_factory.mktemp("account")
    return build_account_program(account_program_path(str(directory)), "gcc")


def run(account, log, *argv):
    return subprocess.run([account] + list(argv), env=dict(os.environ, **{LOG_ENV: str(log)}), check=False)


def test_it_records_the_cpu_of_the_command_and_its_children(account, tmp_path):
    log = tmp_path / "cpu.log"
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\n"
    # the command burns 0.3 s itself and waits for a child that burns 0.3 s more
    script = "import subprocess, sys\nsubprocess.run([sys.executable, '-c', %r])\n%s" % (burn, burn)
    assert run(account, log, sys.executable, "-c", script).returncode == 0
    processes, command, own = parse_account_log(log.read_text())
    assert processes == 1
    assert 0.6 <= command < 2.0  # both processes, not just the one it started
    assert 0 <= own < 0.05


def test_it_exits_as_the_command_did_and_says_when_the_command_is_missing(account, tmp_path):
    log = tmp_path / "cpu.log"
    assert run(account, log, "sh", "-c", "exit 3").returncode == 3
    assert run(account, log, "sh", "-c", "kill -TERM $$").returncode == -15  # killed by the same signal
    missing = subprocess.run([account, "no-such-compiler-here"], capture_output=True, text=True, check=False)
    assert missing.returncode == 127 and "no-such-compiler-here" in missing.stderr
    assert parse_account_log(log.read_text())[0] == 2  # a command killed by a signal is recorded too


def test_concurrent_processes_never_interleave_their_lines(account, tmp_path):
    log = tmp_path / "cpu.log"
    go = tmp_path / "go"
    env = dict(os.environ, **{LOG_ENV: str(log)})
    # 200 commands that all end at the same moment, so that their lines are written together
    wait = "while [ ! -e %s ]; do sleep 0.01; done" % go
    procs = [subprocess.Popen([account, "sh", "-c", wait], env=env) for _i in range(200)]
    time.sleep(1.0)
    go.write_text("")
    assert all(p.wait() == 0 for p in procs)
    lines = log.read_text().splitlines()
    assert len(lines) == 200 and all(len(line.split()) == 4 and line.replace(" ", "").isdigit() for line in lines)


def test_without_a_log_it_only_runs_the_command(account, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != LOG_ENV}
    assert subprocess.run([account, "true"], env=env, cwd=tmp_path, check=False).returncode == 0
    assert os.listdir(tmp_path) == []


@needs_gcc
def test_it_is_built_once_and_named_after_its_source(tmp_path):
    program = account_program_path(str(tmp_path))
    assert build_account_program(program, "gcc") == program
    built = os.stat(program).st_mtime_ns
    time.sleep(0.01)
    build_account_program(program, "gcc")
    assert os.stat(program).st_mtime_ns == built
    assert sorted(os.listdir(tmp_path)) == [os.path.basename(program)]  # no source or partial file left


def test_a_program_that_does_not_run_here_is_refused_and_replaced(tmp_path):
    # a cross compiler makes a program this machine cannot run: it is refused, not kept
    cross = tmp_path / "cross-gcc"
    cross.write_text("#!/bin/sh\nwhile [ $# -gt 0 ]; do [ \"$1\" = -o ] && out=$2; shift; done\n"
                     "printf '\\177ELF-for-another-machine' > \"$out\"; chmod +x \"$out\"\n")
    cross.chmod(0o755)
    work = tmp_path / "tree"
    work.mkdir()
    program = account_program_path(str(work))
    with pytest.raises(AccountError, match="does not run here"):
        build_account_program(program, str(cross))
    assert os.listdir(work) == []
    # one left by an earlier build that does not run is built again
    with open(program, "w") as handle:
        handle.write("\177ELF-for-another-machine")
    os.chmod(program, 0o755)
    if shutil.which("gcc"):
        build_account_program(program, "gcc")
        assert subprocess.run([program, "true"], check=False).returncode == 0


def test_a_compiler_that_fails_says_so_and_leaves_nothing(tmp_path):
    with pytest.raises(AccountError, match="no-such-gcc"):
        build_account_program(account_program_path(str(tmp_path)), "no-such-gcc")
    broken = tmp_path / "broken-gcc"
    broken.write_text("#!/bin/sh\necho 'cc1: out of memory' >&2\nexit 4\n")
    broken.chmod(0o755)
    with pytest.raises(AccountError, match=r"rc 4.*out of memory"):
        build_account_program(account_program_path(str(tmp_path)), str(broken))
    assert sorted(os.listdir(tmp_path)) == ["broken-gcc"]


def test_the_log_is_summed_and_a_line_cut_short_is_not_counted():
    text = "1500 500 300 200\n2000000 1000000 0 100\n12 34\n"
    assert parse_account_log(text) == (2, pytest.approx(3.002), pytest.approx(0.0006))
    assert parse_account_log("") == (0, 0.0, 0.0)


def test_the_include_server_stat_is_read_past_its_odd_name():
    assert process_cpu_seconds(INCLUDE_SERVER_STAT, 100) == pytest.approx(15.27)  # 1311+187+25+4 ticks
    assert process_cpu_seconds("4242 (python3", 100) is None


def test_the_breakdown_per_object_make_and_other():
    # master 44.4 s; the build's processes 29.0 s (include server start-up 0.3 s, clients 9.1 s, accounting 0.4 s)
    b = breakdown(44.4, 29.0, (612, 9.1, 0.4), (0.3, 13.9), 451, compiles=451)
    assert b["make_seconds"] == pytest.approx(19.2)
    assert b["include_server_seconds"] == pytest.approx(14.2)
    assert b["other_seconds"] == pytest.approx(1.5)
    assert b["client_per_object_ms"] == pytest.approx(20.2)
    assert b["master_per_object_ms"] == pytest.approx(98.4)
    assert b["complete"] and b["client_processes"] == 612 and b["objects"] == 451
    parts = sum(b[k] for k in ("make_seconds", "client_seconds", "include_server_seconds", "accounting_seconds",
                               "other_seconds"))
    assert parts == pytest.approx(44.4)


def test_a_breakdown_with_lines_lost_or_counters_missing_says_unknown_not_wrong():
    lost = breakdown(44.4, 29.0, (300, 4.0, 0.2), (0.3, 13.9), 451, compiles=451)
    assert not lost["complete"] and lost["client_seconds"] is None and lost["make_seconds"] is None
    assert lost["include_server_seconds"] == pytest.approx(14.2)
    local = breakdown(None, 190.0, (460, 170.0, 0.5), None, 0)  # a local build: no objects counted, no counter
    assert local["complete"] and local["client_seconds"] == 170.0 and local["make_seconds"] == pytest.approx(19.5)
    assert local["include_server_seconds"] is None and local["other_seconds"] is None
    assert local["client_per_object_ms"] is None and local["master_seconds"] is None
    unread = breakdown(44.4, 29.0, (612, 9.1, 0.4), (0.3, None), 451, compiles=451)  # the server's /proc gone
    assert unread["include_server_seconds"] is None and unread["other_seconds"] is None


def test_the_include_server_cpu_is_read_before_it_is_stopped(tmp_path):
    # an include server stand-in with the real one's interface: forks, writes its pid, serves on a socket
    package = tmp_path / "pump" / "include_server"
    package.mkdir(parents=True)
    (package / "include_server.py").write_text(
        "import os, socket, sys, time\n"
        "args = dict(zip(sys.argv[1::2], sys.argv[2::2]))\n"
        "pid = os.fork()\n"
        "if pid:\n"
        "    while not os.path.exists(args['--port']): time.sleep(0.01)\n"
        "    open(args['--pid_file'], 'w').write('%d\\n' % pid)\n"
        "    sys.exit(0)\n"
        "s = socket.socket(socket.AF_UNIX); s.bind(args['--port']); s.listen(1)\n"
        "t = time.process_time()\n"
        "while time.process_time() - t < 0.4: pass\n"
        "time.sleep(60)\n")
    runs = tmp_path / "runs"
    runs.mkdir()
    server = IncludeServer(str(tmp_path / "pump"), python=sys.executable, tmp_parent=str(runs))
    server.start()
    time.sleep(1.0)
    server.stop()
    assert 0.35 <= server.server_cpu_seconds < 1.5  # /proc counts in ticks of 10 ms
    assert 0 < server.startup_cpu_seconds < 1.0  # the process that started it: a Python start-up
    assert os.listdir(runs) == []
