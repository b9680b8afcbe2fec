"""Turn reports/benchmark-raw.json into benchmark.json, benchmark.md and benchmark.svg.

Speedup is the local setup's median wall time over each setup's; the ideal speedup is the
cluster's CPU capacity over the master's (real CPU counts, cgroup quotas included);
efficiency is their ratio. Usage: bench_report.py REPORT_DIR
"""

from __future__ import annotations

import json
import os
import statistics
import sys


def main(report_dir):
    with open(os.path.join(report_dir, "benchmark-raw.json")) as handle:
        raw = json.load(handle)
    master_cpus = float(raw["master"]["cpu"]["effective_cpus"])
    worker_cpus = [float(w["effective_cpus"]) for w in raw["workers"]]
    ideal = (master_cpus + sum(worker_cpus)) / master_cpus
    setups = []
    for setup in raw["setups"]:
        runs = [r for r in raw["runs"] if r["setup"] == setup["name"]]
        if not runs:
            continue
        walls = sorted(r["wall_seconds"] for r in runs)
        per_host = {}
        for run in runs:
            for host, count in run["jobs_per_host"].items():
                per_host.setdefault(host, []).append(count)
        setups.append({
            "name": setup["name"],
            "description": setup["description"],
            "runs": len(runs),
            "wall_seconds": walls,
            "wall_median_seconds": round(statistics.median(walls), 1),
            "wall_spread_seconds": round(walls[-1] - walls[0], 1),
            "jobs": runs[0]["jobs"],
            "hosts": runs[0]["hosts"],
            "jobs_per_host": {h: int(statistics.median(c)) for h, c in sorted(per_host.items())},
            "local_fallbacks": sum(r["local_fallbacks"] for r in runs),
            "objects": max(r["objects"] for r in runs),  # 0 for a local build: no distcc client log
            "master_cpu_seconds_median": round(statistics.median(r["user_seconds"] + r["sys_seconds"] for r in runs), 1),
            "all_ok": all(r["rc"] == 0 for r in runs),
        })
    base = next((s["wall_median_seconds"] for s in setups if s["name"] == "local"), None)
    for setup in setups:
        setup["speedup"] = round(base / setup["wall_median_seconds"], 2) if base else None
        setup["ideal_speedup"] = round(ideal, 2)
        setup["efficiency"] = round(setup["speedup"] / ideal, 2) if base else None
    first = raw["runs"][0]
    report = {
        "kernel_version": first["kernel_version"],
        "config": first["config"],
        "objects": max(r["objects"] for r in raw["runs"]),
        "cluster": {"master": {"name": raw["master"]["name"], "cpus": master_cpus},
                    "workers": [{"name": n, "cpus": c} for n, c in zip(raw["worker_names"], worker_cpus)]},
        "ideal_speedup": round(ideal, 2),
        "setups": setups,
    }
    with open(os.path.join(report_dir, "benchmark.json"), "w") as handle:
        json.dump(report, handle, indent=2)
    lines = [
        "# distcc benchmark",
        "",
        "linux %s, %s, %d objects. Master %s: %.2f CPU; workers: %s. Ideal speedup %.2fx."
        % (report["kernel_version"], report["config"], report["objects"], raw["master"]["name"], master_cpus,
           ", ".join("%s %.2f CPU" % (w["name"], w["cpus"]) for w in report["cluster"]["workers"]), ideal),
        "",
        "| setup | runs | wall median | spread | speedup | efficiency | -j | master CPU-s | jobs per host | fallbacks |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in setups:
        lines.append("| %s | %d | %.1f s | %.1f s | %sx | %s | %d | %.1f | %s | %d |" % (
            s["name"], s["runs"], s["wall_median_seconds"], s["wall_spread_seconds"], s["speedup"], s["efficiency"],
            s["jobs"], s["master_cpu_seconds_median"],
            " ".join("%s=%d" % item for item in s["jobs_per_host"].items()), s["local_fallbacks"]))
    lines += ["", "Setups:"] + ["- `%s`: %s (`%s`)" % (s["name"], s["description"], s["hosts"] or "local") for s in setups]
    with open(os.path.join(report_dir, "benchmark.md"), "w") as handle:
        handle.write("\n".join(lines) + "\n")
    write_svg(os.path.join(report_dir, "benchmark.svg"), setups, ideal)
    print("\n".join(lines[4:4 + 2 + len(setups)]))


def write_svg(path, setups, ideal):
    width, row, left = 760, 34, 110
    height = 60 + row * len(setups) + 40
    longest = max(s["wall_median_seconds"] for s in setups) or 1
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="13">'
           % (width, height),
           '<text x="10" y="22" font-size="15" font-weight="bold">Kernel build: wall time (bar) and speedup vs. ideal %.2fx</text>'
           % ideal]
    for i, s in enumerate(setups):
        y = 45 + i * row
        bar_width = (width - left - 200) * s["wall_median_seconds"] / longest
        out.append('<text x="10" y="%d">%s</text>' % (y + 16, s["name"]))
        out.append('<rect x="%d" y="%d" width="%.1f" height="22" fill="#4a7bd0"/>' % (left, y, bar_width))
        out.append('<text x="%.1f" y="%d">%.0f s, %sx (%s of ideal)</text>'
                   % (left + bar_width + 6, y + 16, s["wall_median_seconds"], s["speedup"],
                      "%d%%" % (100 * s["efficiency"]) if s["efficiency"] is not None else "?"))
    out.append("</svg>")
    with open(path, "w") as handle:
        handle.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
