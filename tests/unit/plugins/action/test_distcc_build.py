"""The action plugin's polling of distcc_build, with the host's side simulated."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from ansible.plugins.action import ActionBase

from ansible_collections.distrant.distcc.plugins.action import distcc_build as action

STARTED = {"started": 1, "finished": 0, "ansible_job_id": "j1.42",
           # the async wrapper names its job file; with HOME=/tmp/elsewhere it is not under ~user
           "results_file": "/tmp/elsewhere/.ansible_async/j1.42"}


class Host:
    """Answers the plugin's shell round trips from a script of job-file states."""

    def __init__(self, jobs, progress=None):
        self.jobs = list(jobs)
        self.progress = progress
        self.commands = []
        self.status_calls = []

    def low_level(self, command, sudoable=True):
        self.commands.append(command)
        job = self.jobs.pop(0) if len(self.jobs) > 1 else self.jobs[0]
        job_text = action.MISSING if job is None else json.dumps(job)
        return {"stdout": "%s\n%s\n%s" % (job_text, action.MARK, json.dumps(self.progress) if self.progress else "")}


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

    def status(jid, async_dir, task_vars, mode="status"):
        host.status_calls.append((jid, async_dir, mode))
        return {"changed": True, "finished": 1, "ansible_job_id": jid, "ansible_facts": {"distcc_build": {"rc": 0}}}

    monkeypatch.setattr(ActionBase, "run", lambda self, tmp=None, task_vars=None: {})
    monkeypatch.setattr(action.time, "sleep", lambda seconds: None)
    plugin._execute_module = execute_module
    plugin._status = status
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
