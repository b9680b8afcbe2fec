# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of distrant.distcc.distcc_build: shows the build moving.

A kernel build takes minutes. This plugin starts the module asynchronously on the host,
then, every few seconds until it finishes, reads the progress file the module keeps
(``<chdir>/.distrant/progress.json``) and prints objects compiled so far, per host.
The master is the bottleneck of a distcc build, so the polling starts no Python there:
one ``cat`` of the async job file and the progress file per poll (async_status and slurp
cost a Python interpreter each, about a tenth of a small master's CPU at this interval).
With ``async``/``poll`` set on the task, or in check mode, it simply runs the module.

The job file is the one the async wrapper names when it starts (``results_file``), so a
``$HOME`` that differs from the user's passwd home (CI containers, ``become`` set-ups) cannot
send the polling to another directory; a job file that does not appear fails the task within
seconds, naming the path. The first polls come quickly (a short build is reported within
about a second of its end), then every PROGRESS_INTERVAL seconds.

A busy master is exactly when a build is polled, and a poll may get no answer (sudo slow to
answer: "Timeout (12s) waiting for privilege escalation prompt", an SSH hiccup, a master that
swaps). Such a poll is retried after 2, 4, 8, then every PROGRESS_INTERVAL seconds, each retry
printed with how long the master has been silent and why; the build goes on meanwhile and its
result is collected when the master answers again. A master silent for longer than the
option ``unreachable_timeout`` (or past the build's own timeout) ends the task as unreachable,
as Ansible ends any task whose host it cannot reach, with where the build's job file, progress
file and logs are on the host: the build may still be running there. The result's
``unanswered_polls`` lists each time the master was silent: since when (the controller's
clock), for how long, how many polls, the last reason.
"""

from __future__ import annotations

import json
import math
import posixpath
import shlex
import time
from dataclasses import dataclass

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.distrant.distcc.plugins.module_utils._tree import TreeState
from ansible_collections.distrant.distcc.plugins.module_utils._client_log import format_reasons, stranded

display = Display()

PROGRESS_INTERVAL = 10
FIRST_POLLS = (1, 1, 2, 3, 5)  # seconds before each of the first polls, then PROGRESS_INTERVAL
MISSING_JOB_POLLS = 5  # polls in a row without a job file before the task fails
GRACE = 180  # seconds past the build's timeout (the module's own end) before the polling gives up on it
UNREACHABLE_TIMEOUT = 300  # the module's option unreachable_timeout: seconds a silent master is polled again
FIRST_RETRY = 2  # seconds before the first retry of a poll without answer, doubled up to PROGRESS_INTERVAL
MARK = "--distrant-progress--"
MISSING = "--distrant-no-job-file--"
ASYNC_KEYS = ("ansible_job_id", "started", "finished", "results_file", "_ansible_suppress_tmpdir_delete")


class Clock:
    """The time the polling waits and measures by (the unit tests run their own)."""

    monotonic = staticmethod(time.monotonic)
    sleep = staticmethod(time.sleep)

    @staticmethod
    def wall():
        return time.strftime("%H:%M:%S")


class NoAnswer(Exception):
    """A poll the master did not answer: the connection or privilege escalation failed."""


@dataclass
class Silence:
    """The master not answering the polls: since when, how many polls in a row, the last reason."""

    since: float  # Clock.monotonic() when the first poll without answer was sent
    since_wall: str  # the same moment on the controller's clock, HH:MM:SS
    polls: int = 0
    reason: str = ""
    ended: float = 0.0  # Clock.monotonic() when the last poll came back

    def seconds(self):
        """How long the master has been silent, from the first poll it did not answer to the last one's end."""
        return self.ended - self.since

    def retry_in(self):
        """Seconds before the next poll: 2, 4, 8 ... up to PROGRESS_INTERVAL."""
        return min(PROGRESS_INTERVAL, FIRST_RETRY * 2 ** (self.polls - 1))

    def retrying(self, host, wait):
        return "%s did not answer for %d s (since %s): %s; retrying in %d s" % (
            host, self.seconds(), self.since_wall, self.reason, math.ceil(wait))

    def record(self):
        """What the task's result keeps of this silence (key unanswered_polls)."""
        return {"since": self.since_wall, "seconds": round(self.seconds()), "polls": self.polls, "reason": self.reason}

    def over(self, host):
        return "%s answers again after %d s without answer (since %s, %d poll%s)" % (
            host, self.seconds(), self.since_wall, self.polls, "" if self.polls == 1 else "s")


def _first_line(text, limit=300):
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    line = lines[0].rstrip(" :") if lines else "no message"
    return line if len(line) <= limit else line[:limit - 3] + "..."


class ActionModule(ActionBase):
    """Run distcc_build, printing progress while it runs."""

    _supports_check_mode = True
    _supports_async = True
    clock = Clock()

    @staticmethod
    def _ask(call, *args, **kwargs):
        """call(*args, **kwargs), a round trip to the master; NoAnswer when the connection or become failed.

        Every AnsibleError of a poll counts (AnsibleConnectionFailure, and the AnsibleError that
        paramiko raises for a become timeout): the same round trip answered before, so its failure
        is the master's or the connection's state, not the task's input.
        """
        try:
            res = call(*args, **kwargs)
        except AnsibleError as exc:
            raise NoAnswer(_first_line(getattr(exc, "message", None) or exc)) from exc
        if res.get("unreachable"):
            raise NoAnswer(_first_line(res.get("msg") or "unreachable"))
        return res

    def _status(self, jid, async_dir, task_vars, mode="status"):
        return self._execute_module(
            module_name="ansible.legacy.async_status",
            module_args={"jid": jid, "mode": mode, "_async_dir": async_dir},
            task_vars=task_vars,
        )

    @staticmethod
    def _shell_path(path):
        """Quote a path for the remote shell, leaving a leading ~ or ~user to the shell to expand."""
        if path.startswith("~"):
            head, sep, rest = path.partition("/")
            return head + sep + shlex.quote(rest) if rest else head
        return shlex.quote(path)

    def _peek(self, job_file, chdir):
        """(job, progress) from one shell round trip: the async job file, the progress file (None if absent)."""
        command = "cat %s 2>/dev/null || echo %s; echo; echo %s; cat %s 2>/dev/null" % (
            shlex.quote(job_file), MISSING, MARK, self._shell_path(chdir.rstrip("/") + "/" + TreeState.relative("progress")))
        res = self._ask(self._low_level_execute_command, command, sudoable=True)
        if MARK not in res.get("stdout", ""):  # the shell did not run it: become or the login failed
            raise NoAnswer("the poll did not run (rc %s): %s" % (res.get("rc"), _first_line(
                res.get("stderr") or res.get("msg") or res.get("stdout") or "")))
        job_text, dummy, progress_text = res.get("stdout", "").partition(MARK)
        if job_text.strip() == MISSING:
            job = MISSING
        else:
            try:
                job = json.loads(job_text)
            except ValueError:
                job = None  # being rewritten: still running
        try:
            progress = json.loads(progress_text)
        except ValueError:
            progress = None
        return job, progress if isinstance(progress, dict) else None

    @staticmethod
    def _line(host, progress):
        per_host = format_reasons(progress.get("jobs_per_host", {}))
        elapsed = progress.get("elapsed", 0)
        if progress.get("distcc") is False:
            return "%s: %5.0f s, %sbuilding locally (no distcc)" % (
                host, elapsed, "preparing, " if progress.get("phase") == "prepare" else "")
        line = "%s: %5.0f s, %s%d objects compiled (%s)" % (
            host, elapsed, "preparing, " if progress.get("phase") == "prepare" else "",
            progress.get("objects", 0), per_host or "none yet")
        on_master = stranded(progress.get("local_reasons") or {})
        if on_master:
            line += ", on the master: " + format_reasons(on_master)
        return line

    @staticmethod
    def _limits(args):
        """(timeout, unreachable_timeout) of the task's arguments, None when one is no number."""
        try:
            return (int(args.get("timeout") or 3600),
                    int(UNREACHABLE_TIMEOUT if args.get("unreachable_timeout") is None else args["unreachable_timeout"]))
        except (TypeError, ValueError):
            return None  # the module's argument spec says what is wrong with it

    @staticmethod
    def _gone(host, silence, why, job_file, jid, chdir):
        """The task's message when the master stays silent: the build may go on, and where to look for it."""
        tree = chdir.rstrip("/") + "/"
        return ("%s did not answer for %d s (since %s, %d poll%s): %s. Given up after %s; the build may still be running "
                "on %s: the job file %s (job %s) gets its result and facts when it ends, %s its progress, %s make's "
                "output and %s distcc's log" % (
                    host, silence.seconds(), silence.since_wall, silence.polls, "" if silence.polls == 1 else "s",
                    silence.reason, why, host,
                    job_file, jid, tree + TreeState.relative("progress"), tree + TreeState.relative("make_log"),
                    tree + TreeState.relative("client_log")))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = self._task.args
        limits = self._limits(args)
        if self._task.async_val or self._play_context.check_mode or not args.get("chdir") or limits is None:
            wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
            result.update(self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result
        timeout, unreachable_timeout = limits
        if unreachable_timeout < 0:
            result.update(failed=True, msg="unreachable_timeout must be 0 (give up at the first poll without answer) "
                                           "or more seconds, got %d" % unreachable_timeout)
            return result

        # Start the module in the background; the executor must not treat the task itself
        # as async (it would wait for a job id in the final result), so restore async_val.
        self._task.async_val = timeout + 120
        try:
            started = self._execute_module(task_vars=task_vars, wrap_async=True)
        finally:
            self._task.async_val = 0
        if started.get("failed") or "ansible_job_id" not in started:
            result.update(started)
            return result
        jid = started["ansible_job_id"]
        job_file = started.get("results_file") or "%s/%s" % (
            self._remote_expand_user(self.get_shell_option("async_dir", default="~/.ansible_async")).rstrip("/"), jid)
        async_dir = posixpath.dirname(job_file)
        host = task_vars.get("inventory_hostname", "?")
        chdir = args["chdir"]
        clock = self.clock
        last = ""
        missing = 0
        polls = 0
        silence = None
        silences = []
        deadline = clock.monotonic() + timeout + GRACE
        wait = FIRST_POLLS[0]
        while True:
            clock.sleep(wait)
            polls += 1
            wait = FIRST_POLLS[polls] if polls < len(FIRST_POLLS) else PROGRESS_INTERVAL
            asked, asked_wall = clock.monotonic(), clock.wall()
            try:
                job, progress = self._peek(job_file, chdir)
                # The job file holds {"started": 1, "finished": 0} while the module runs, then its result.
                finished = isinstance(job, dict) and bool(job.get("finished") or not job.get("started"))
                status = self._ask(self._status, jid, async_dir, task_vars) if finished else None
            except NoAnswer as exc:
                silence = silence or Silence(asked, asked_wall)
                silence.polls += 1
                silence.reason = str(exc)
                silence.ended = clock.monotonic()
                bound = min(silence.since + unreachable_timeout, deadline)
                if silence.ended >= bound:
                    why = ("unreachable_timeout (%d s)" % unreachable_timeout if bound < deadline
                           else "the build's timeout (%d s, and %d s more)" % (timeout, GRACE))
                    result.update(unreachable=True, changed=True, msg=self._gone(host, silence, why, job_file, jid, chdir),
                                  unanswered_polls=silences + [silence.record()])
                    return result
                wait = min(silence.retry_in(), bound - silence.ended)
                display.display("  [distcc_build] " + silence.retrying(host, wait), color="yellow")
                continue
            if silence:
                silence.ended = clock.monotonic()
                display.display("  [distcc_build] " + silence.over(host), color="cyan")
                silences.append(silence.record())
                silence = None
                last = ""
            if job == MISSING:
                missing += 1
                if missing >= MISSING_JOB_POLLS:
                    status = {"failed": True, "msg": "the build's job file %s does not exist (looked %d times in %d s): "
                              "the job did not start or its directory was removed; see the host's async directory %s"
                              % (job_file, missing, sum(FIRST_POLLS[:polls]), async_dir)}
                    break
                continue
            missing = 0
            if finished:
                break
            if clock.monotonic() > deadline:
                status = {"failed": True, "msg": "lost track of the build (job %s) after %d s" % (jid, timeout + GRACE)}
                break
            if progress:
                line = self._line(host, progress)
                if line != last:
                    display.display("  [distcc_build] " + line, color="cyan")
                    last = line
        try:
            self._ask(self._status, jid, async_dir, task_vars, mode="cleanup")
            kept = None
        except NoAnswer as exc:
            kept = "the build's job file %s stays on %s: its removal got no answer (%s)" % (job_file, host, exc)
        for key in ASYNC_KEYS:
            status.pop(key, None)
        result.update(status)
        result["unanswered_polls"] = silences
        if kept:
            result["warnings"] = list(result.get("warnings") or []) + [kept]
        return result
