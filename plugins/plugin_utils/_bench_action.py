# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the benchmarks' actions (distcc_bench_plan, distcc_bench_report) share: they run on the
controller, their options are checked against their argument spec, and a BenchError fails the task
with its message."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_plan import BenchError


class BenchAction(ActionBase):
    """Subclasses give ARGUMENT_SPEC (and REQUIRED_IF) and bench(args), which returns the task's result."""

    TRANSFERS_FILES = False
    _requires_connection = False
    ARGUMENT_SPEC: dict = {}
    REQUIRED_IF: list = []

    def bench(self, args):
        raise NotImplementedError

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC, required_if=self.REQUIRED_IF)
        try:
            result.update(self.bench(args))
        except BenchError as error:
            raise AnsibleActionFail(str(error)) from None
        return result
