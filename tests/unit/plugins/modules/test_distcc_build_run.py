"""distcc_build run for real: the module's main on a small C tree, with this host's make and gcc.

Each test runs the whole module (plan, lock, clean, configure, prepare, build, facts, result) as
Ansible would, with its arguments and its JSON result on stdout; the compiles are real.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time

import pytest
from ansible.module_utils import _internal
from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.testing import patch_module_args

from ansible_collections.distrant.distcc.plugins.module_utils._build_plan import _effective_cpus
from ansible_collections.distrant.distcc.plugins.module_utils._client_log import format_reasons
from ansible_collections.distrant.distcc.plugins.module_utils._tree import TreeState
from ansible_collections.distrant.distcc.plugins.modules import distcc_build as module

pytestmark = pytest.mark.skipif(not (shutil.which("make") and shutil.which("gcc") and shutil.which("timeout")),
                                reason="needs GNU make, gcc and coreutils' timeout")

MAKEFILE = """\
hello: main.o greet.o
\t$(CC) -o $@ main.o greet.o
%.o: %.c
\t$(CC) -c -o $@ $<
slow:
\tsleep 30
clean:
\trm -f hello *.o
"""
MAIN_C = '#include <stdio.h>\nconst char *greet(void);\nint main(void) { puts(greet()); return 0; }\n'
GREET_C = 'const char *greet(void) { return "hello from a distrant build"; }\n'


@pytest.fixture(autouse=True)
def on_a_managed_host(monkeypatch):
    """The module runs as on a managed host, where its warnings go into its result (once the controller's
    code is imported, by the action plugin's tests, ansible-core would display them instead)."""
    monkeypatch.setattr(_internal, "is_controller", False)


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "hello"
    root.mkdir()
    (root / "Makefile").write_text(MAKEFILE)
    (root / "main.c").write_text(MAIN_C)
    (root / "greet.c").write_text(GREET_C)
    return root


def build(capsys, check_mode=False, **args):
    """Run the module with these arguments; its result (what Ansible would read) and its exit code."""
    if check_mode:
        args["_ansible_check_mode"] = True
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exit_info:
            module.main()
    result = json.loads(capsys.readouterr().out)
    return result, exit_info.value.code


def warnings(result):
    """The texts of the result's warnings (ansible-core 2.19 gives each as a summary of its event)."""
    return [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]


def state(tree, name):
    return TreeState(str(tree)).path(name)


def read(path):
    with open(path) as handle:
        return handle.read()


def assert_unlocked(tree):
    """The lock file holds no holder's text and the lock can be taken (the build released it)."""
    assert read(state(tree, "lock")) == ""
    with TreeState(str(tree)).lock():
        assert read(state(tree, "lock")).startswith("pid %d, started " % os.getpid())


def test_a_local_build_compiles_the_tree_and_reports_it(tree, capsys):
    result, code = build(capsys, chdir=str(tree), distcc=False, artifact="hello")
    jobs = _effective_cpus()
    assert code == 0 and result["changed"] is True and not result.get("failed")
    # the program that counts the compiles is in front of the compiler (_compile_count), nothing else
    counter = result["cmd"][2].split()[0][len("CC="):]
    assert result["cmd"] == ["make", "-j%d" % jobs, "CC=%s gcc" % counter, "CXX=%s g++" % counter]
    assert os.path.dirname(counter) == TreeState(str(tree)).dir and os.access(counter, os.X_OK)
    assert result["prepare_cmd"] is None and result["configure_cmd"] is None
    assert subprocess.run([str(tree / "hello")], stdout=subprocess.PIPE, check=True).stdout == \
        b"hello from a distrant build\n"
    facts = result["ansible_facts"]["distcc_build"]
    measured = {k: facts.pop(k) for k in ("wall_seconds", "user_seconds", "sys_seconds", "host_cpu_seconds",
                                          "started_at")}
    assert facts == {
        "build_system": "make", "build_dir": str(tree), "configure_seconds": None, "prepare_seconds": 0.0,
        "prepare_targets": [], "jobs": jobs, "hosts": "", "transport": None, "backoff_period": 10,
        "backoff_at_start": [],
        "jobs_per_host": {"localhost": 2}, "remote_objects": 0, "remote_share": None,
        "local_reasons": {"local_build": 2}, "local_fallbacks": 0,
        "failed_remote": 0, "objects": 2, "pump": False, "remote_preprocessed": 0, "pump_fallbacks": 0,
        "pump_switched_off": False,
        "pump_blockers": {"count": 0, "first": [], "plain_from_start": False},
        "pump_not_covered": {"count": 0, "first": []}, "rc": 0, "artifact": str(tree / "hello"),
        "artifact_bytes": os.path.getsize(str(tree / "hello")), "kernel_version": None, "config": None,
        "distcc": False, "client_log": state(tree, "client_log"), "cpu_breakdown": None, "kbuild_lean": [],
        "host_compiles": None, "client": None, "make_log": state(tree, "make_log"), "cache_hits": 0,
        "ccache": None,
    }
    assert measured["wall_seconds"] > 0 and measured["user_seconds"] + measured["sys_seconds"] > 0
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", measured["started_at"])
    make_log = read(facts["make_log"])
    assert "gcc -c -o main.o main.c" in make_log and "gcc -o hello main.o greet.o" in make_log
    assert result["stdout_lines"] == make_log.splitlines()[-40:]
    # every compiler run is logged (the link too); the two compiles of a source file are the objects
    assert sorted(read(state(tree, "compile_log")).splitlines()) == [
        "gcc\x1f-c\x1f-o\x1fgreet.o\x1fgreet.c", "gcc\x1f-c\x1f-o\x1fmain.o\x1fmain.c",
        "gcc\x1f-o\x1fhello\x1fmain.o\x1fgreet.o"]
    progress = json.loads(read(state(tree, "progress")))
    assert progress.pop("elapsed") >= 0
    assert progress == {"phase": "build", "distcc": False, "objects": 2, "jobs_per_host": {"localhost": 2},
                        "local_fallbacks": 0, "local_reasons": {"local_build": 2}, "running": False}
    assert_unlocked(tree)


def test_a_local_build_whose_counting_program_cannot_be_built_runs_uncounted_and_says_why(tree, capsys, monkeypatch):
    from ansible_collections.distrant.distcc.plugins.module_utils import _build_features

    def cannot(program, compiler, env):
        raise _build_features.ProgramError("cannot build the program that counts the objects with %s (rc 1): no"
                                           % compiler)

    monkeypatch.setattr(_build_features, "build_count_program", cannot)
    monkeypatch.setattr(ansible_warnings, "_global_warnings", {})  # this test's warnings stay in this test
    result, code = build(capsys, chdir=str(tree), distcc=False, artifact="hello")
    facts = result["ansible_facts"]["distcc_build"]
    assert code == 0 and facts["rc"] == 0 and os.path.exists(str(tree / "hello"))
    assert facts["objects"] == 0 and facts["jobs_per_host"] == {}
    assert warnings(result) == ["the local build's objects were not counted (objects 0): cannot build the program that "
                                "counts the objects with gcc (rc 1): no; cannot build the program that counts the "
                                "objects with cc (rc 1): no"]


def test_check_mode_says_what_would_run_and_changes_nothing(tree, capsys):
    result, code = build(capsys, check_mode=True, chdir=str(tree), distcc=False, clean="clean", prepare=["greet.o"])
    jobs = _effective_cpus()
    assert code == 0 and result["changed"] is True
    counter = TreeState(str(tree)).dir + "/compile-count-"
    counter += result["cmd"][2].split(counter, 1)[1].split()[0]
    assert result["msg"] == ("would run make clean, then make -j{0} CC={2} gcc CXX={2} g++ greet.o, then make -j{0} "
                             "CC={2} gcc CXX={2} g++ in {1} with DISTCC_HOSTS='', the objects counted by {2} (built "
                             "first when missing)".format(jobs, tree, counter))
    assert sorted(os.listdir(str(tree))) == ["Makefile", "greet.c", "main.c"]


def test_the_prepare_targets_are_made_first_and_timed(tree, capsys):
    result, code = build(capsys, chdir=str(tree), distcc=False, prepare=["greet.o"])
    facts = result["ansible_facts"]["distcc_build"]
    assert code == 0 and result["prepare_cmd"] == result["cmd"] + ["greet.o"]
    assert facts["prepare_targets"] == ["greet.o"] and 0 < facts["prepare_seconds"] <= facts["wall_seconds"]
    make_log = read(facts["make_log"])
    # the prepare step's output comes first; its object is not compiled again by the build
    assert make_log.index("gcc -c -o greet.o greet.c") < make_log.index("gcc -c -o main.o main.c")
    assert make_log.count("greet.o greet.c") == 1


def test_a_failed_compile_fails_the_task_with_the_log_and_releases_the_tree(tree, capsys):
    (tree / "greet.c").write_text("const char *greet(void) { return nothing; }\n")
    result, code = build(capsys, chdir=str(tree), distcc=False)
    make_log = state(tree, "make_log")
    assert code == 1 and result["failed"] is True and result["rc"] == 2
    assert result["msg"] == ("make failed (rc 2) in %s; the tree is as make left it, see the last lines below and %s"
                             % (tree, make_log))
    assert any("'nothing' undeclared" in line for line in result["stdout_lines"])
    assert result["ansible_facts"]["distcc_build"]["rc"] == 2
    assert_unlocked(tree)


def test_a_failed_prepare_step_is_named_and_the_build_does_not_run(tree, capsys):
    (tree / "greet.c").write_text("const char *greet(void) { return nothing; }\n")
    result, code = build(capsys, chdir=str(tree), distcc=False, prepare=["greet.o"])
    assert code == 1 and result["msg"].startswith("make greet.o (the prepare step) failed (rc 2) in %s;" % tree)
    assert not (tree / "main.o").exists()
    assert_unlocked(tree)


def test_a_build_past_its_timeout_is_stopped(tree, capsys):
    start = time.monotonic()
    result, code = build(capsys, chdir=str(tree), distcc=False, target="slow", timeout=1)
    assert code == 1 and result["rc"] == 124 and time.monotonic() - start < 20
    assert result["msg"] == "the build did not finish within 1 s and was stopped; the tree is as make left it"
    assert_unlocked(tree)


def test_a_failure_inside_the_run_releases_the_tree(tree, capsys):
    # the Makefile has no distclean: the clean step fails, with the lock held
    result, code = build(capsys, chdir=str(tree), distcc=False, clean="distclean")
    assert code == 1 and result["msg"] == "make distclean failed (rc 2)"
    assert not os.path.exists(state(tree, "make_log"))
    assert_unlocked(tree)


def test_a_second_build_on_a_locked_tree_fails_and_changes_nothing(tree, capsys):
    os.makedirs(TreeState(str(tree)).dir)
    with open(state(tree, "progress"), "w") as handle:
        handle.write('{"objects": 7}')  # the running build's
    with TreeState(str(tree)).lock():
        holder = read(state(tree, "lock"))
        result, code = build(capsys, chdir=str(tree), distcc=False)
        assert code == 1 and result["failed"] is True and result["lock"] == state(tree, "lock")
        assert result["msg"] == ("another build is running on this tree (%s); wait for it to finish or stop it, "
                                 "then run again. Nothing was changed." % holder)
        assert re.match(r"^pid %d, started \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$" % os.getpid(), holder)
        # the running build's files and its holder text are as they were
        assert read(state(tree, "lock")) == holder and read(state(tree, "progress")) == '{"objects": 7}'
        assert sorted(os.listdir(TreeState(str(tree)).dir)) == ["build.lock", "progress.json"]
        assert not (tree / "main.o").exists()
    assert_unlocked(tree)


def test_the_listed_hosts_backoff_files_are_cleared_at_the_start(tree, capsys, tmp_path):
    # /usr/bin/env stands in for the distcc client: "CC=/usr/bin/env gcc" compiles here with the real gcc
    distcc_dir = tmp_path / "distcc"
    (distcc_dir / "lock").mkdir(parents=True)
    recent = distcc_dir / "lock" / "backoff_tcp_10.200.1.3_3632_0"
    old = distcc_dir / "lock" / "backoff_tcp_10.200.1.4_3632_0"
    other = distcc_dir / "lock" / "backoff_tcp_10.200.9.9_3632_0"
    for path in (recent, old, other):
        path.write_text("")
    os.utime(str(old), (time.time() - 60, time.time() - 60))
    result, code = build(capsys, chdir=str(tree), hosts="10.200.1.3/1 10.200.1.4/1", client="/usr/bin/env",
                         env={"DISTCC_DIR": str(distcc_dir)}, backoff_period=30)
    facts = result["ansible_facts"]["distcc_build"]
    assert code == 0 and result["cmd"] == ["make", "-j2", "CC=/usr/bin/env gcc", "CXX=/usr/bin/env g++"]
    assert facts["backoff_at_start"] == ["10.200.1.3:3632"] and facts["backoff_period"] == 30
    assert not recent.exists() and not old.exists() and other.exists()
    assert facts["distcc"] is True and facts["client"] == "/usr/bin/env"
    assert facts["hosts"] == "10.200.1.3/1 10.200.1.4/1"


@pytest.mark.skipif(not os.path.isfile("/usr/bin/distcc"), reason="needs the distcc client")
def test_a_distcc_build_on_localhost_accounts_for_every_object(tree, capsys, tmp_path):
    (tmp_path / "distcc").mkdir()  # distcc makes its lock and state directories in it, not it
    result, code = build(capsys, chdir=str(tree), hosts="localhost/2", client="/usr/bin/distcc",
                         env={"DISTCC_DIR": str(tmp_path / "distcc")})
    facts = result["ansible_facts"]["distcc_build"]
    assert code == 0 and result["cmd"] == ["make", "-j2", "CC=/usr/bin/distcc gcc", "CXX=/usr/bin/distcc g++"]
    assert facts["objects"] == 2 and facts["jobs_per_host"] == {"localhost": 2} and facts["remote_objects"] == 0
    assert facts["local_reasons"] == {"localhost_slot": 2} and facts["remote_share"] == 0.0
    assert "compile main.c on localhost completed ok" in read(state(tree, "client_log"))
    progress = json.loads(read(state(tree, "progress")))
    assert progress["objects"] == 2 and progress["jobs_per_host"] == {"localhost": 2} and progress["running"] is False


def test_cpu_breakdown_builds_its_program_and_accounts_for_the_compiles(tree, capsys):
    result, code = build(capsys, chdir=str(tree), distcc=False, cpu_breakdown=True)
    account, counter = result["cmd"][2].split()[:2]
    account = account[len("CC="):]
    assert code == 0 and result["cmd"][2:] == ["CC=%s %s gcc" % (account, counter), "CXX=%s %s g++" % (account, counter)]
    assert os.path.dirname(account) == TreeState(str(tree)).dir and os.access(account, os.X_OK)
    breakdown = result["ansible_facts"]["distcc_build"]["cpu_breakdown"]
    assert breakdown["client_processes"] == 3  # main.o, greet.o and the link
    assert os.path.getsize(state(tree, "cpu_log")) > 0


def test_cpu_breakdown_with_a_compiler_that_cannot_build_its_program_fails_first(tree, capsys):
    result, code = build(capsys, chdir=str(tree), distcc=False, cpu_breakdown=True, compiler="false")
    assert code == 1 and result["msg"].startswith("cpu_breakdown: ")
    assert result["msg"].endswith(". Nothing was changed or built; build without cpu_breakdown, or give a compiler "
                                  "that makes programs for the master")
    assert not os.path.exists(state(tree, "make_log")) and not (tree / "main.o").exists()
    assert_unlocked(tree)


@pytest.mark.skipif(not os.path.isfile("/usr/bin/distcc"), reason="needs the distcc client")
def test_a_worker_that_refuses_strands_the_compiles_and_its_backoff_is_cleared_next_time(tree, capsys, tmp_path):
    # nothing listens on 127.0.0.1:1: distcc's connection is refused, it compiles here and backs the host off
    distcc_dir = tmp_path / "distcc"
    distcc_dir.mkdir()
    args = dict(chdir=str(tree), hosts="127.0.0.1:1/1", client="/usr/bin/distcc", backoff_period=600,
                env={"DISTCC_DIR": str(distcc_dir)}, min_remote_share=0.5)
    result, code = build(capsys, **args)
    facts = result["ansible_facts"]["distcc_build"]
    reasons = facts["local_reasons"]
    assert code == 1 and result["remote_share_failed"] is True and facts["rc"] == 0
    assert facts["objects"] == 2 and facts["jobs_per_host"] == {"localhost": 2} and facts["remote_share"] == 0.0
    assert "connection_failed" in reasons and set(reasons) <= {"connection_failed", "backoff"}
    assert sum(reasons.values()) == 2 and facts["backoff_at_start"] == []
    on_master = format_reasons(reasons)
    assert result["msg"] == ("only 0 of 2 objects distcc could distribute (0.0%%) were compiled on the workers, less "
                             "than min_remote_share 0.5; on the master: %s. The build itself succeeded; see %s"
                             % (on_master, state(tree, "client_log")))
    assert warnings(result) == ["2 of 2 objects were compiled on the master although the host list names workers "
                                "only: %s (see %s)" % (on_master, state(tree, "client_log"))]
    assert os.listdir(str(distcc_dir / "lock")).count("backoff_tcp_127.0.0.1_1_0") == 1
    subprocess.run(["make", "-C", str(tree), "clean"], stdout=subprocess.DEVNULL, check=True)
    result, code = build(capsys, **args)
    assert result["ansible_facts"]["distcc_build"]["backoff_at_start"] == ["127.0.0.1:1"]
    assert_unlocked(tree)
