# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of distrant.distcc.distcc_bench_plan: what a bench runs, decided on the controller.

Reads the bench's knobs from the task's options, else from the controller's environment
(DISTRANT_BENCH_*), and returns the plan that plugin_utils/_bench_plan.py computes from them
and from the hosts' facts the playbook passes. Nothing runs on the host.
"""

from __future__ import annotations

import os

from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_action import BenchAction
from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_plan import (
    Cluster,
    backoff_plan,
    benchmark_knobs,
    benchmark_plan,
    ccache_plan,
    configure_plan,
    team_plan,
)

KNOBS = ("repeats", "target", "config", "min_remote_share", "setups", "scaling", "project", "backoff_periods")
ARGUMENT_SPEC = {
    "bench": {"type": "str", "default": "benchmark", "choices": ["benchmark", "team", "backoff", "ccache", "configure"]},
    "repeats": {"type": "raw"},
    "target": {"type": "raw"},
    "config": {"type": "raw"},
    "min_remote_share": {"type": "raw"},
    "setups": {"type": "raw"},
    "scaling": {"type": "raw"},
    "project": {"type": "raw"},
    "backoff_periods": {"type": "raw"},
    "master_cpus": {"type": "float"},
    "workers": {"type": "list", "elements": "dict", "default": []},
    "masters": {"type": "list", "elements": "str", "default": []},
    "hosts_file": {"type": "str", "default": ""},
    "client": {"type": "str", "default": "distcc"},
    "kbuild_lean": {"type": "bool", "default": True},
    "kernel_config": {"type": "str", "default": "tinyconfig"},
    "network": {"type": "str", "default": "10.200.1.0/24"},
    "caches": {"type": "list", "elements": "str", "default": []},
    "remote_storage": {"type": "dict", "default": {}},
}


class ActionModule(BenchAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    REQUIRED_IF = [("bench", "benchmark", ("master_cpus",))]
    _supports_check_mode = True

    def bench(self, args):
        knobs = {name: args[name] for name in KNOBS if args[name] is not None}
        if args["bench"] == "benchmark":
            cluster = Cluster(master_cpus=args["master_cpus"], workers=tuple(args["workers"]),
                              hosts_file=args["hosts_file"], client=args["client"], kbuild_lean=args["kbuild_lean"])
            plan = benchmark_plan(benchmark_knobs(knobs, os.environ), cluster)
        elif args["bench"] == "team":
            plan = team_plan(knobs, os.environ, args["masters"], args["workers"], args["hosts_file"],
                             args["kernel_config"])
        elif args["bench"] == "ccache":
            plan = ccache_plan(knobs, os.environ, args["masters"], args["caches"], args["remote_storage"],
                               args["kernel_config"])
        elif args["bench"] == "configure":
            plan = configure_plan(knobs, os.environ)
        else:
            plan = backoff_plan(knobs, os.environ, args["hosts_file"], args["network"])
        return dict(plan, changed=False)
