"""The action plugin's polling of distcc_build, with the host's side simulated."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest
from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.distrant.distcc.plugins.action import distcc_build as action
from ansible_collections.distrant.distcc.plugins.modules.distcc_build import ARGUMENT_SPEC

STARTED = {"started": 1, "finished": 0, "ansible_job_id": "j1.42",
           # the async wrapper names its job file; with HOME=/tmp/elsewhere it is not under ~user
           "results_file": "/tmp/elsewhere/.ansible_async/j1.42"}


class Clock:
    """The plugin's clock, run by its sleeps: a 2-hour build is polled in a blink."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def wall(self):
        seconds = 7 * 3600 + 12 * 60 + int(self.now)  # the build started at 07:12:00
        return "%02d:%02d:%02d" % (seconds // 3600, seconds // 60 % 60, seconds % 60)


class Silent:
    """A poll the master does not answer: what the connection raises or returns, after how long."""

    def __init__(self, answer, seconds=0):
        self.answer = answer
        self.seconds = seconds


BECOME_TIMEOUT = Silent(AnsibleConnectionFailure("Timeout (12s) waiting for privilege escalation prompt: "), 12)
SSH_DOWN = Silent(AnsibleConnectionFailure(
    "Failed to connect to the host via ssh: ssh: connect to host 10.200.6.2 port 22: Connection timed out"), 10)
PARAMIKO_BECOME = Silent(AnsibleError("ssh timed out waiting for privilege escalation.\n"))
UNREACHABLE = Silent({"unreachable": True, "msg": "Data could not be sent to remote host \"10.200.6.2\"."})
SUDO_REFUSED = Silent({"rc": 1, "stdout": "", "stderr": "sudo: a password is required\n"})


class Host:
    """Answers the plugin's shell round trips from a script of job-file states (or Silent polls)."""

    def __init__(self, jobs, progress=None, clock=None, status_answers=()):
        self.jobs = list(jobs)
        self.progress = progress
        self.clock = clock
        self.status_answers = list(status_answers)
        self.commands = []
        self.status_calls = []

    def answer(self, script):
        item = script.pop(0) if len(script) > 1 else script[0]
        if not isinstance(item, Silent):
            return item
        if self.clock:
            self.clock.now += item.seconds
        if isinstance(item.answer, Exception):
            raise item.answer
        return item.answer

    def low_level(self, command, sudoable=True):
        self.commands.append(command)
        job = self.answer(self.jobs)
        if isinstance(job, dict) and ("unreachable" in job or "rc" in job):
            return job
        job_text = action.MISSING if job is None else json.dumps(job)
        return {"stdout": "%s\n%s\n%s" % (job_text, action.MARK, json.dumps(self.progress) if self.progress else "")}

    def status(self, jid, async_dir, task_vars, mode="status"):
        self.status_calls.append((jid, async_dir, mode))
        if self.status_answers:
            return self.answer(self.status_answers)
        return {"changed": True, "finished": 1, "ansible_job_id": jid, "ansible_facts": {"distcc_build": {"rc": 0}}}


def make_plugin(monkeypatch, host, args, started=None):
    plugin = object.__new__(action.ActionModule)
    plugin._task = SimpleNamespace(args=args, async_val=0)
    plugin._play_context = SimpleNamespace(check_mode=False)
    plugin._connection = SimpleNamespace(has_native_async=False, _shell=SimpleNamespace(tmpdir=None))
    calls = []

    def execute_module(task_vars=None, wrap_async=False, **kwargs):
        calls.append(wrap_async)
        if not wrap_async:
            return {"failed": True, "msg": "argument 'timeout' is of type str and we were unable to convert to int"}
        return dict(started or STARTED)

    monkeypatch.setattr(ActionBase, "run", lambda self, tmp=None, task_vars=None: {})
    plugin.clock = host.clock or Clock()
    plugin._execute_module = execute_module
    plugin._status = host.status
    plugin._low_level_execute_command = host.low_level
    plugin._remove_tmp_path = lambda path: None
    plugin.get_shell_option = lambda name, default=None: default
    plugin._remote_expand_user = lambda path, sudoable=True: path.replace("~", "/home/distcc-build")
    return plugin, calls


def test_finished_build_is_read_where_the_wrapper_wrote_it(monkeypatch):
    host = Host([STARTED, STARTED, {"changed": True, "ansible_facts": {}}])
    plugin, dummy = make_plugin(monkeypatch, host, {"chdir": "/srv/tree"})
    result = plugin.run(task_vars={"inventory_hostname": "master"})
    assert result["ansible_facts"] == {"distcc_build": {"rc": 0}}
    assert host.commands[0].startswith("cat /tmp/elsewhere/.ansible_async/j1.42 ")
    assert host.status_calls == [("j1.42", "/tmp/elsewhere/.ansible_async", "status"),
                                 ("j1.42", "/tmp/elsewhere/.ansible_async", "cleanup")]
    assert len(host.commands) == 3  # reported at the first poll after the end


def test_missing_job_file_fails_within_seconds_naming_it(monkeypatch):
    host = Host([None])
    plugin, dummy = make_plugin(monkeypatch, host, {"chdir": "/srv/tree"})
    result = plugin.run(task_vars={})
    assert result["failed"]
    assert "the build's job file /tmp/elsewhere/.ansible_async/j1.42 does not exist" in result["msg"]
    assert len(host.commands) == action.MISSING_JOB_POLLS
    assert sum(action.FIRST_POLLS[:action.MISSING_JOB_POLLS]) <= 15


@pytest.mark.parametrize("chdir, expected", [("~/src/linux", "~/src/linux/.distrant/progress.json"),
                                             ("~build/my tree", "~build/'my tree/.distrant/progress.json'"),
                                             ("/srv/my tree", "'/srv/my tree/.distrant/progress.json'")])
def test_progress_path_leaves_the_tilde_to_the_shell(monkeypatch, chdir, expected):
    host = Host([STARTED, {"changed": True}])
    plugin, dummy = make_plugin(monkeypatch, host, {"chdir": chdir})
    plugin.run(task_vars={})
    assert host.commands[0].endswith("cat %s 2>/dev/null" % expected)


def test_timeout_that_is_no_number_goes_to_the_argument_spec(monkeypatch):
    host = Host([STARTED])
    plugin, calls = make_plugin(monkeypatch, host, {"chdir": "/srv/tree", "timeout": "soon"})
    result = plugin.run(task_vars={})
    assert calls == [False]  # the module ran once, synchronously: its argument spec answered
    assert "argument 'timeout' is of type str" in result["msg"]
    assert host.commands == []


@pytest.mark.parametrize(
    "progress, line",
    [
        ({"elapsed": 12, "phase": "prepare", "objects": 0, "jobs_per_host": {}},
         "master:    12 s, preparing, 0 objects compiled (none yet)"),
        ({"elapsed": 40, "phase": "build", "objects": 30, "jobs_per_host": {"10.0.0.3": 20, "localhost": 10},
          "local_reasons": {"backoff": 8, "connection_failed": 1, "localhost_slot": 1}},
         "master:    40 s, 30 objects compiled (10.0.0.3 20, localhost 10), on the master: backoff 8, connection_failed 1"),
        ({"elapsed": 5, "phase": "build", "distcc": False, "objects": 0},
         "master:     5 s, building locally (no distcc)"),
    ],
)
def test_progress_line(progress, line):
    assert action.ActionModule._line("master", progress) == line


class Screen:
    """The lines the plugin prints."""

    def __init__(self):
        self.lines = []

    def display(self, msg, color=None):
        self.lines.append(msg.replace("  [distcc_build] ", "", 1))


PROGRESS = {"elapsed": 40, "phase": "build", "objects": 30, "jobs_per_host": {"10.200.6.3": 30}}
PROGRESS_LINE = "master:    40 s, 30 objects compiled (10.200.6.3 30)"
FINISHED = {"changed": True, "finished": 1}


@pytest.mark.parametrize("silent, reason, seconds", [
    (BECOME_TIMEOUT, "Timeout (12s) waiting for privilege escalation prompt", (12, 26, 42, 50)),
    (SSH_DOWN, "Failed to connect to the host via ssh: ssh: connect to host 10.200.6.2 port 22: Connection timed out",
     (10, 22, 36, 44)),
    (PARAMIKO_BECOME, "ssh timed out waiting for privilege escalation.", (0, 2, 6, 14)),
    (UNREACHABLE, 'Data could not be sent to remote host "10.200.6.2".', (0, 2, 6, 14)),
    (SUDO_REFUSED, "the poll did not run (rc 1): sudo: a password is required", (0, 2, 6, 14)),
])
def test_polls_without_answer_are_retried_and_the_build_collected(monkeypatch, silent, reason, seconds):
    clock, screen = Clock(), Screen()
    monkeypatch.setattr(action, "display", screen)
    host = Host([STARTED, silent, silent, silent, STARTED, FINISHED], progress=PROGRESS, clock=clock)
    plugin, dummy = make_plugin(monkeypatch, host, {"chdir": "/srv/tree"})
    result = plugin.run(task_vars={"inventory_hostname": "master"})
    assert result["ansible_facts"] == {"distcc_build": {"rc": 0}}
    assert not result.get("unreachable") and not result.get("failed")
    assert screen.lines == [
        PROGRESS_LINE,
        "master did not answer for %d s (since 07:12:02): %s; retrying in 2 s" % (seconds[0], reason),
        "master did not answer for %d s (since 07:12:02): %s; retrying in 4 s" % (seconds[1], reason),
        "master did not answer for %d s (since 07:12:02): %s; retrying in 8 s" % (seconds[2], reason),
        "master answers again after %d s without answer (since 07:12:02, 3 polls)" % seconds[3],
        PROGRESS_LINE,
    ]
    assert clock.sleeps == [1, 1, 2, 4, 8, 10]
    assert [mode for dummy, dummy, mode in host.status_calls] == ["status", "cleanup"]
    assert result["unanswered_polls"] == [{"since": "07:12:02", "seconds": seconds[3], "polls": 3, "reason": reason}]


def test_result_collected_when_async_status_gets_no_answer_at_first(monkeypatch):
    screen = Screen()
    monkeypatch.setattr(action, "display", screen)
    host = Host([STARTED, FINISHED], status_answers=[UNREACHABLE, {"finished": 1, "ansible_facts": {"distcc_build": {"rc": 0}}}])
    plugin, dummy = make_plugin(monkeypatch, host, {"chdir": "/srv/tree"})
    result = plugin.run(task_vars={"inventory_hostname": "master"})
    assert result["ansible_facts"] == {"distcc_build": {"rc": 0}}
    assert [mode for dummy, dummy, mode in host.status_calls] == ["status", "status", "cleanup"]
    assert screen.lines == [
        'master did not answer for 0 s (since 07:12:02): Data could not be sent to remote host "10.200.6.2".; retrying in 2 s',
        "master answers again after 2 s without answer (since 07:12:02, 1 poll)",
    ]


def test_job_file_left_behind_is_a_warning_not_a_lost_build(monkeypatch):
    host = Host([STARTED, FINISHED], status_answers=[{"finished": 1, "ansible_facts": {"distcc_build": {"rc": 0}}}, SSH_DOWN])
    plugin, dummy = make_plugin(monkeypatch, host, {"chdir": "/srv/tree"})
    result = plugin.run(task_vars={"inventory_hostname": "master"})
    assert result["ansible_facts"] == {"distcc_build": {"rc": 0}}
    assert result["warnings"] == [
        "the build's job file /tmp/elsewhere/.ansible_async/j1.42 stays on master: its removal got no answer "
        "(Failed to connect to the host via ssh: ssh: connect to host 10.200.6.2 port 22: Connection timed out)"]


GONE = ("master did not answer for %d s (since 07:12:02, %s): Timeout (12s) waiting for privilege escalation "
        "prompt. Given up after %s; the build may still be running on master: the job file "
        "/tmp/elsewhere/.ansible_async/j1.42 (job j1.42) gets its result and facts when it ends, "
        "/srv/tree/.distrant/progress.json its progress, /srv/tree/.distrant/make.log make's output and "
        "/srv/tree/.distrant/client.log distcc's log")


@pytest.mark.parametrize("args, message, ended", [
    # polls of 12 s each sent at 2, 16, 32, 52 s (retries after 2, 4, 8 s), then every 10 s after the last one's end
    # until one ends past the bound (2 s + unreachable_timeout); the last one is sent before the bound
    ({}, GONE % (304, "15 polls", "unreachable_timeout (300 s)"), 306),
    ({"unreachable_timeout": 60}, GONE % (62, "4 polls", "unreachable_timeout (60 s)"), 64),
    ({"unreachable_timeout": 0}, GONE % (12, "1 poll", "unreachable_timeout (0 s)"), 14),
    # the build's own timeout comes first: 10 + 180 s after the start
    ({"timeout": 10}, GONE % (194, "10 polls", "the build's timeout (10 s, and 180 s more)"), 196),
])
def test_master_that_never_answers_again_ends_the_task_after_the_bound(monkeypatch, args, message, ended):
    clock = Clock()
    host = Host([STARTED, BECOME_TIMEOUT], clock=clock)
    plugin, dummy = make_plugin(monkeypatch, host, dict(args, chdir="/srv/tree"))
    result = plugin.run(task_vars={"inventory_hostname": "master"})
    polls = result.pop("unanswered_polls")
    assert result == {"unreachable": True, "changed": True, "msg": message}
    assert polls == [{"since": "07:12:02", "seconds": ended - 2, "polls": int(re.search(r"(\d+) polls?\)", message).group(1)),
                      "reason": "Timeout (12s) waiting for privilege escalation prompt"}]
    assert clock.now == ended
    assert host.status_calls == []  # the job file is left for the build's result
    assert max(clock.sleeps) <= action.PROGRESS_INTERVAL


def test_negative_unreachable_timeout_starts_nothing(monkeypatch):
    host = Host([STARTED])
    plugin, calls = make_plugin(monkeypatch, host, {"chdir": "/srv/tree", "unreachable_timeout": -1})
    result = plugin.run(task_vars={})
    assert result == {"failed": True, "msg": "unreachable_timeout must be 0 (give up at the first poll without answer) "
                                             "or more seconds, got -1"}
    assert calls == [] and host.commands == []


def test_unreachable_timeout_default_is_the_modules():
    assert ARGUMENT_SPEC["unreachable_timeout"] == {"type": "int", "default": action.UNREACHABLE_TIMEOUT}
