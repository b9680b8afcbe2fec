# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of distrant.distcc.distcc_warn: a warning through Ansible's own channel.

Runs on the controller only (no connection, no Python started on the host) and returns the
message as a task warning, so it is printed as ``[WARNING]``, listed with the run's other
warnings and silenced by the user's warning settings (``ACTION_WARNINGS``), unlike a
``debug`` message that merely starts with "[WARNING]". (ansible-core 2.19 documents
``ACTION_WARNINGS`` but no longer applies it to action results, so this plugin does.)
"""

from __future__ import annotations

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(("msg",))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        msg = self._task.args.get("msg")
        if isinstance(msg, list):
            msg = " ".join(str(m) for m in msg)
        if not isinstance(msg, str) or not msg.strip():
            raise AnsibleActionFail(f"distcc_warn needs msg, a non-empty string (got {msg!r})")
        msg = " ".join(msg.split())
        result.update(changed=False, msg=msg)
        if C.config.get_config_value("ACTION_WARNINGS"):
            result["warnings"] = [msg]
        return result
