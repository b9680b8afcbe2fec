# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of distrant.distcc.distcc_bench_report: a bench's report, written on the controller.

Assembles the raw measurements of the bench from what the playbook collected, and writes
them and the report (plugin_utils/_bench_report.py) into O(dest) on the controller.
"""

from __future__ import annotations

from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_action import BenchAction
from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_plan import BenchError
from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_report import (
    REPORTS,
    benchmark_raw,
    ccache_raw,
    configure_raw,
    team_raw,
    write,
)

ARGUMENT_SPEC = {
    "bench": {"type": "str", "required": True, "choices": ["benchmark", "team", "backoff", "ccache", "configure"]},
    "dest": {"type": "path", "required": True},
    "runs": {"type": "list", "elements": "dict", "required": True},
    "plan": {"type": "dict", "default": {}},
    "master": {"type": "dict"},
    "workers": {"type": "list", "elements": "dict", "default": []},
    "project": {"type": "dict"},
    "masters": {"type": "list", "elements": "str", "default": []},
    "samples": {"type": "list", "elements": "dict", "default": []},
    "host_lists": {"type": "dict", "default": {}},
    "lab": {"type": "dict", "default": {}},
    "configure_args": {"type": "list", "elements": "str", "default": []},
    "builds": {"type": "list", "elements": "dict", "default": []},
}


class ActionModule(BenchAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    REQUIRED_IF = [("bench", "benchmark", ("plan", "master")), ("bench", "team", ("plan", "masters")),
                   ("bench", "ccache", ("plan",)), ("bench", "configure", ("master", "project"))]
    _supports_check_mode = False

    def bench(self, args):
        bench = args["bench"]
        try:
            if bench == "benchmark":
                raw = benchmark_raw(args["plan"], args["runs"], args["master"], args["workers"], args["project"])
            elif bench == "team":
                raw = team_raw(args["masters"], args["runs"], args["samples"], args["host_lists"],
                               args["plan"].get("target", "all"))
            elif bench == "ccache":
                raw = ccache_raw(args["plan"], args["runs"], args["lab"])
            elif bench == "configure":
                raw = configure_raw(args["runs"], args["master"], args["project"], args["configure_args"],
                                    args["builds"])
            else:
                raw = args["runs"]
            lines = write(bench, args["dest"], raw)
        except (KeyError, TypeError, ValueError, OSError) as error:
            raise BenchError("could not write the %s report into %s: %s: %s"
                             % (bench, args["dest"], type(error).__name__, error)) from None
        kind = REPORTS[bench]
        return {"changed": True, "lines": lines, "dest": args["dest"],
                "files": [name for name in (kind.raw, kind.json, kind.markdown, kind.svg) if name]}
