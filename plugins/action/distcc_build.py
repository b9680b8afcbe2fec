# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of distrant.distcc.distcc_build: shows the build moving.

A kernel build takes minutes. This plugin starts the module asynchronously on the host,
then, every few seconds until it finishes, reads the progress file the module keeps
(``<chdir>/.distrant/progress.json``) and prints objects compiled so far, per host.
With ``async``/``poll`` set on the task, or in check mode, it simply runs the module.
"""

from __future__ import annotations

import base64
import json
import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

display = Display()

PROGRESS_INTERVAL = 10
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

    def _progress(self, chdir, task_vars):
        res = self._execute_module(
            module_name="ansible.legacy.slurp",
            module_args={"src": chdir.rstrip("/") + "/.distrant/progress.json"},
            task_vars=task_vars,
        )
        if res.get("failed") or "content" not in res:
            return None
        try:
            return json.loads(base64.b64decode(res["content"]).decode("utf-8"))
        except ValueError:
            return None

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
            status = self._status(jid, async_dir, task_vars)
            if status.get("finished") or status.get("failed") and not status.get("started"):
                break
            if time.monotonic() > deadline:
                status = {"failed": True, "msg": "lost track of the build (job %s) after %d s" % (jid, timeout + 180)}
                break
            progress = self._progress(chdir, task_vars)
            if progress:
                per_host = ", ".join("%s %d" % item for item in sorted(progress.get("jobs_per_host", {}).items()))
                line = "%s: %5.0f s, %d objects compiled (%s)" % (
                    host, progress.get("elapsed", 0), progress.get("objects", 0), per_host or "none yet")
                if progress.get("local_fallbacks"):
                    line += ", %d local fallbacks" % progress["local_fallbacks"]
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
