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
"""

from __future__ import annotations

import json
import shlex
import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

display = Display()

PROGRESS_INTERVAL = 10
MARK = "--distrant-progress--"
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

    def _peek(self, jid, async_dir, chdir):
        """(running, progress) from one shell round trip: the async job file, the progress file."""
        command = "cat %s 2>/dev/null; echo; echo %s; cat %s 2>/dev/null" % (
            shlex.quote("%s/%s" % (async_dir.rstrip("/"), jid)), MARK,
            shlex.quote(chdir.rstrip("/") + "/.distrant/progress.json"))
        res = self._low_level_execute_command(command, sudoable=True)
        job_text, dummy, progress_text = res.get("stdout", "").partition(MARK)
        try:
            job = json.loads(job_text)
        except ValueError:
            job = None  # not there yet, or being rewritten: still running
        running = job is None or (isinstance(job, dict) and job.get("started") and not job.get("finished"))
        try:
            progress = json.loads(progress_text)
        except ValueError:
            progress = None
        return bool(running), progress if isinstance(progress, dict) else None

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = self._task.args
        if self._task.async_val or self._play_context.check_mode or not args.get("chdir"):
            wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
            result.update(self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result

        timeout = int(args.get("timeout") or 3600)
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
        async_dir = self._remote_expand_user(self.get_shell_option("async_dir", default="~/.ansible_async"))
        host = task_vars.get("inventory_hostname", "?")
        chdir = args["chdir"]
        last = None
        deadline = time.monotonic() + timeout + 180
        while True:
            time.sleep(PROGRESS_INTERVAL if last is not None else 3)
            running, progress = self._peek(jid, async_dir, chdir)
            if not running:
                status = self._status(jid, async_dir, task_vars)
                if status.get("finished") or status.get("failed") and not status.get("started"):
                    break
            if time.monotonic() > deadline:
                status = {"failed": True, "msg": "lost track of the build (job %s) after %d s" % (jid, timeout + 180)}
                break
            if progress:
                per_host = ", ".join("%s %d" % item for item in sorted(progress.get("jobs_per_host", {}).items()))
                line = "%s: %5.0f s, %s%d objects compiled (%s)" % (
                    host, progress.get("elapsed", 0), "preparing, " if progress.get("phase") == "prepare" else "",
                    progress.get("objects", 0), per_host or "none yet")
                stranded = {reason: n for reason, n in (progress.get("local_reasons") or {}).items()
                            if reason not in ("localhost_slot", "not_distributable")}
                if stranded:
                    line += ", on the master: " + ", ".join("%s %d" % item for item in sorted(stranded.items()))
                if line != last:
                    display.display("  [distcc_build] " + line, color="cyan")
                    last = line
            else:
                last = last or ""
        self._status(jid, async_dir, task_vars, mode="cleanup")
        for key in ASYNC_KEYS:
            status.pop(key, None)
        result.update(status)
        return result
