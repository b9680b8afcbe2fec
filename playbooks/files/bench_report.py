"""Turn reports/benchmark-raw.json into benchmark.json, benchmark.md and benchmark.svg.

Speedup is the local setup's median wall time over each setup's; the ideal speedup is the
CPU capacity of the hosts a setup uses over the master's (real CPU counts, cgroup quotas
included); efficiency is their ratio. CPU spent per host comes from each host's cgroup
(or /proc/stat) counter read before and after every build (for the master by the build
module around the timed job itself, so that the reset or make clean before it is left out).

The scaling model (bench_analysis.model): a build is its prepare phase P (on the master alone)
and then one compile per object, make -j of them in flight (the host list's slots per worker
times the workers). Each compile costs the master c_m CPU-seconds (make, Kbuild, the distcc
client, the include server) and a worker c_w, both measured with the workers only (plain: the
setup `plain`; pump: a pump setup without localhost, `auto`). With a master of m CPUs and k
workers of w CPUs, mean value analysis of that closed network (processor-sharing hosts, a
fitted latency per compile) gives the throughput; the model reproduces its calibration setup
and is checked against the pump-<k>w rows. The master becomes the bottleneck from
k = c_w*m/(c_m*w) workers; below that, too few compiles in flight can leave the workers idle.
Usage: bench_report.py REPORT_DIR
"""

from __future__ import annotations

import json
import os
import sys

from bench_analysis import analyse
from bench_render import markdown, write_svg


def main(report_dir):
    with open(os.path.join(report_dir, "benchmark-raw.json")) as handle:
        raw = json.load(handle)
    report = analyse(raw)
    with open(os.path.join(report_dir, "benchmark.json"), "w") as handle:
        json.dump(report, handle, indent=2)
    table = markdown(report, report["setups"], report["model"], report["model_check"],
                     [w["name"] for w in report["cluster"]["workers"]], report["cluster"]["master"]["name"])
    with open(os.path.join(report_dir, "benchmark.md"), "w") as handle:
        handle.write("\n".join(table["all"]) + "\n")
    write_svg(os.path.join(report_dir, "benchmark.svg"), report["setups"], report["model"], report["model_check"])
    print("\n".join(table["setups"]))


if __name__ == "__main__":
    main(sys.argv[1])
