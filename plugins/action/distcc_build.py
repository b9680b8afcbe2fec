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
"""

from __future__ import annotations

import json
import posixpath
import shlex
import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.distrant.distcc.plugins.module_utils._tree import TreeState
from ansible_collections.distrant.distcc.plugins.module_utils._client_log import format_reasons, stranded

display = Display()

PROGRESS_INTERVAL = 10
FIRST_POLLS = (1, 1, 2, 3, 5)  # seconds before each of the first polls, then PROGRESS_INTERVAL
MISSING_JOB_POLLS = 5  # polls in a row without a job file before the task fails
MARK = "--distrant-progress--"
MISSING = "--distrant-no-job-file--"
ASYNC_KEYS = ("ansible_job_id", "started", "finished", "results_file", "_ansible_suppress_tmpdir_delete")


class ActionModule(ActionBase):
    """Run distcc_build, printing progress while it runs."""

    _supports_check_mode = True
    _supports_async = True

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
        res = self._low_level_execute_command(command, sudoable=True)
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

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = self._task.args
        try:
            timeout = int(args.get("timeout") or 3600)
        except (TypeError, ValueError):
            timeout = None  # the module's argument spec says what is wrong with it
        if self._task.async_val or self._play_context.check_mode or not args.get("chdir") or timeout is None:
            wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
            result.update(self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
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
        last = ""
        missing = 0
        polls = 0
        deadline = time.monotonic() + timeout + 180
        while True:
            time.sleep(FIRST_POLLS[polls] if polls < len(FIRST_POLLS) else PROGRESS_INTERVAL)
            polls += 1
            job, progress = self._peek(job_file, chdir)
            if job == MISSING:
                missing += 1
                if missing >= MISSING_JOB_POLLS:
                    status = {"failed": True, "msg": "the build's job file %s does not exist (looked %d times in %d s): "
                              "the job did not start or its directory was removed; see the host's async directory %s"
                              % (job_file, missing, sum(FIRST_POLLS[:polls]), async_dir)}
                    break
                continue
            missing = 0
            # The job file holds {"started": 1, "finished": 0} while the module runs, then its result.
            if isinstance(job, dict) and (job.get("finished") or not job.get("started")):
                status = self._status(jid, async_dir, task_vars)
                break
            if time.monotonic() > deadline:
                status = {"failed": True, "msg": "lost track of the build (job %s) after %d s" % (jid, timeout + 180)}
                break
            if progress:
                line = self._line(host, progress)
                if line != last:
                    display.display("  [distcc_build] " + line, color="cyan")
                    last = line
        self._status(jid, async_dir, task_vars, mode="cleanup")
        for key in ASYNC_KEYS:
            status.pop(key, None)
        result.update(status)
        return result
