"""Turn reports/benchmark-raw.json into benchmark.json, benchmark.md and benchmark.svg.

Speedup is the local setup's median wall time over each setup's; the ideal speedup is the
CPU capacity of the hosts a setup uses over the master's (real CPU counts, cgroup quotas
included); efficiency is their ratio. CPU spent per host comes from each host's cgroup
(or /proc/stat) counter read before and after every build (for the master by the build
module around the timed job itself, so that the reset or make clean before it is left out).

The scaling model: a build costs the master M CPU-seconds (make, the distcc client, and
the preprocessor, or in pump mode the include server) and the workers W CPU-seconds, both
measured with the workers only (plain: the setup `plain`; pump: a pump setup without
localhost, `auto` on the 1+4 lab). With a master of capacity m CPUs and k workers of w CPUs,
the build cannot be faster than max(M/m, W/(k*w)); what the measured build took beyond that
bound (the serial part: configuration, header generation, linking, the ramp-up and tail of
make) is kept as a constant. The master becomes the bottleneck from k = W*m/(M*w) workers.
Usage: bench_report.py REPORT_DIR
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys

MODEL_WORKERS = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]


def median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 1) if values else None


def cpu_spent(run, host, master=None):
    if host == master and run.get("host_cpu_seconds") is not None:
        return run["host_cpu_seconds"]  # read by the module around the timed job itself
    before, after = run.get("cpu_before", {}).get(host), run.get("cpu_after", {}).get(host)
    return after - before if before is not None and after is not None else None


STRANDED = ("backoff", "connection_failed", "remote_failed", "discrepancy")


def stranded(run):
    """Objects a run compiled on the master for another reason than a localhost slot or distcc's own rules."""
    return sum(n for reason, n in (run.get("local_reasons") or {}).items() if reason in STRANDED)


def summarize(setup, all_runs, hosts):
    """One setup's numbers from its runs; runs the module refused (min_remote_share) are counted apart."""
    runs = [r for r in all_runs if not r.get("refused")] or all_runs
    refused = [r for r in all_runs if r.get("refused")]
    walls = sorted(r["wall_seconds"] for r in runs)
    per_host = {}
    reasons = {}
    for run in runs:
        for host, count in run["jobs_per_host"].items():
            per_host.setdefault(host, []).append(count)
        for reason, count in (run.get("local_reasons") or {}).items():
            reasons[reason] = reasons.get(reason, 0) + count
    return {
        "name": setup["name"],
        "description": setup["description"],
        "scaling": "workers" in setup,  # a pump-<k>w row, run to check the model
        "runs": len(runs),
        "refused_runs": len(refused),
        "all_refused": not [r for r in all_runs if not r.get("refused")],
        "refused_messages": [r["refused"] for r in refused],
        "wall_seconds": walls,
        "wall_median_seconds": round(statistics.median(walls), 1),
        "wall_spread_seconds": round(walls[-1] - walls[0], 1),
        "prepare_median_seconds": median(r.get("prepare_seconds") for r in runs),
        "jobs": runs[0]["jobs"],
        "hosts": runs[0]["hosts"],
        "jobs_per_host": {h: int(statistics.median(c)) for h, c in sorted(per_host.items())},
        "remote_objects": int(statistics.median(r.get("remote_objects", 0) for r in runs)),
        "local_reasons": dict(sorted(reasons.items())),  # summed over the runs counted
        "stranded_objects": sum(stranded(r) for r in runs),
        "local_fallbacks": sum(r["local_fallbacks"] for r in runs),
        "failed_remote": sum(r.get("failed_remote", 0) for r in runs),
        "pump": any(r.get("pump") for r in runs),
        "remote_preprocessed": int(statistics.median(r.get("remote_preprocessed", 0) for r in runs)),
        "pump_fallbacks": sum(r.get("pump_fallbacks", 0) for r in runs),
        "pump_switched_off": sum(1 for r in runs if r.get("pump_switched_off")),
        "objects": max(r["objects"] for r in runs),  # 0 for a local build: no distcc client log
        "cpu_seconds_median": {h: median(cpu_spent(r, h, hosts[0]) for r in runs) for h in hosts},
        "all_ok": all(r["rc"] == 0 for r in runs),
    }


def used_workers(hosts, addresses):
    """Indexes of the lab's workers that a host list (as the build used it) names."""
    names = {entry.split("/", 1)[0].split(",", 1)[0].split(":", 1)[0] for entry in hosts.split()}
    return [i for i, address in enumerate(addresses) if address in names]


def model(local, measured, master_cpus, worker_cpus, workers_measured):
    """Predicted wall time and speedup for 1..64 workers from one workers-only setup."""
    master_cost = measured["cpu_master"]
    worker_cost = measured["cpu_workers"]
    if not master_cost or not worker_cost:
        return None

    def bound(k):
        return max(master_cost / master_cpus, worker_cost / (k * worker_cpus))

    # What the build took beyond the CPU bound: the serial part. Negative only when the CPU
    # counters saw more than the build (e.g. raw data recorded before the module measured the
    # master itself); kept as it is so that the model reproduces its calibration point.
    serial = measured["wall"] - bound(workers_measured)
    points = []
    for k in sorted(set(MODEL_WORKERS + list(range(1, 9)))):
        wall = serial + bound(k)
        points.append({"workers": k, "wall_seconds": round(wall, 1), "speedup": round(local / wall, 2),
                       "ideal_speedup": round((master_cpus + k * worker_cpus) / master_cpus, 2)})
    return {
        "master_cpu_seconds": round(master_cost, 1),
        "worker_cpu_seconds": round(worker_cost, 1),
        "serial_seconds": round(serial, 1),
        "master_bound_from_workers": round(worker_cost * master_cpus / (master_cost * worker_cpus), 1),
        "max_speedup": round(local / (serial + master_cost / master_cpus), 2),
        "points": points,
    }


def main(report_dir):
    with open(os.path.join(report_dir, "benchmark-raw.json")) as handle:
        raw = json.load(handle)
    master = raw["master"]["name"]
    master_cpus = float(raw["master"]["cpu"]["effective_cpus"])
    worker_cpus = [float(w["effective_cpus"]) for w in raw["workers"]]
    names = raw["worker_names"]
    addresses = raw.get("worker_addresses", [])
    hosts = [master] + names
    cluster_ideal = (master_cpus + sum(worker_cpus)) / master_cpus
    setups = []
    for setup in raw["setups"]:
        runs = [r for r in raw["runs"] if r["setup"] == setup["name"]]
        if not runs:
            continue
        summary = summarize(setup, runs, hosts)
        used = used_workers(summary["hosts"], addresses) if setup["distcc"] else list(range(len(names)))
        summary["workers_used"] = len(used)
        summary["ideal_speedup"] = round((master_cpus + sum(worker_cpus[i] for i in used)) / master_cpus, 2)
        setups.append(summary)
    base = next((s["wall_median_seconds"] for s in setups if s["name"] == "local"), None)
    for setup in setups:
        # A setup whose every run was refused has no distributed time to show.
        counted = base and not setup["all_refused"]
        setup["speedup"] = round(base / setup["wall_median_seconds"], 2) if counted else None
        setup["efficiency"] = round(setup["speedup"] / setup["ideal_speedup"], 2) if counted else None

    def calibration(pump):
        """The mode's workers-only setup (no localhost, every worker): plain, and auto on a 1+4 lab."""
        setup = next((s for s in setups if s["hosts"] and s["pump"] == pump and not s["scaling"]
                      and "localhost" not in s["hosts"] and not s["all_refused"]), None)
        if not setup:
            return None, None
        cpu = setup["cpu_seconds_median"]
        workers = [cpu.get(n) for n in names]
        return ({"name": setup["name"], "wall": setup["wall_median_seconds"], "cpu_master": cpu.get(master),
                 "cpu_workers": sum(w for w in workers if w) if any(workers) else None}, setup["workers_used"])

    models = {}
    mean_worker = statistics.mean(worker_cpus) if worker_cpus else 0
    for mode, pump in (("plain", False), ("pump", True)):
        point, k0 = calibration(pump)
        if base and point and k0:
            models[mode] = model(base, point, master_cpus, mean_worker, k0)
            models[mode]["calibrated_on"] = "%s (%d worker%s)" % (point["name"], k0, "s" if k0 > 1 else "")
    checks = []
    if "pump" in models and models["pump"]:
        predicted = {p["workers"]: p for p in models["pump"]["points"]}
        for setup in setups:
            if setup["scaling"] and setup["workers_used"] in predicted:
                k = setup["workers_used"]
                checks.append({"workers": k, "measured_seconds": setup["wall_median_seconds"],
                               "predicted_seconds": predicted[k]["wall_seconds"],
                               "error": round(predicted[k]["wall_seconds"] / setup["wall_median_seconds"] - 1, 3)})
    first = raw["runs"][0]
    report = {
        "kernel_version": first["kernel_version"],
        "config": first["config"],
        "target": raw.get("target", "all"),
        "objects": max(r["objects"] for r in raw["runs"]),
        "cluster": {"master": {"name": master, "cpus": master_cpus},
                    "workers": [{"name": n, "cpus": c} for n, c in zip(names, worker_cpus)]},
        "ideal_speedup": round(cluster_ideal, 2),
        "setups": setups,
        "model": models,
        "model_check": checks,
    }
    with open(os.path.join(report_dir, "benchmark.json"), "w") as handle:
        json.dump(report, handle, indent=2)
    table = markdown(report, setups, models, checks, names, master)
    with open(os.path.join(report_dir, "benchmark.md"), "w") as handle:
        handle.write("\n".join(table["all"]) + "\n")
    write_svg(os.path.join(report_dir, "benchmark.svg"), setups, models, checks)
    print("\n".join(table["setups"]))


def markdown(report, setups, models, checks, names, master):
    cluster = report["cluster"]
    lines = [
        "# distcc benchmark",
        "",
        "linux %s, %s, %d objects. Master %s: %.2f CPU; workers: %s (CPU = what the host "
        "can use, cgroup quota included). Ideal speedup of the whole cluster %.2fx."
        % (report["kernel_version"],
           "the whole job: each run from an unpacked tree with a fresh `make %s` (untimed), Kbuild's preparation "
           "and the full build timed" % report["config"] if report["target"] == "all"
           else "`%s`, make target(s) `%s` after make clean" % (report["config"], report["target"]),
           report["objects"], master,
           cluster["master"]["cpus"], ", ".join("%s %.2f CPU" % (w["name"], w["cpus"]) for w in cluster["workers"]),
           report["ideal_speedup"]),
        "",
    ]
    header = ["| setup | runs | wall median | spread | speedup | ideal | efficiency | -j | prepare | CPU-s master "
              "| CPU-s workers | jobs per host | on the workers | on the master (why, all runs) | pump (remote cpp / fallbacks) |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    rows = []
    for s in setups:
        cpu = s["cpu_seconds_median"]
        workers = [cpu.get(n) for n in names]
        name = s["name"]
        if s["stranded_objects"]:
            name += " (**stranded**: %d objects on the master)" % s["stranded_objects"]
        if s["refused_runs"]:
            name += " (%s refused: compiled on the master)" % ("all runs" if s["all_refused"] else "%d run(s)" % s["refused_runs"])
        rows.append("| %s | %d | %.1f s | %.1f s | %sx | %sx | %s | %d | %s | %s | %s | %s | %s | %s | %s |" % (
            name, s["runs"], s["wall_median_seconds"], s["wall_spread_seconds"],
            s["speedup"] if s["speedup"] is not None else "-", s["ideal_speedup"],
            s["efficiency"] if s["efficiency"] is not None else "-", s["jobs"],
            "%.1f s" % s["prepare_median_seconds"] if s["prepare_median_seconds"] is not None else "-", cpu.get(master),
            round(sum(w for w in workers if w), 1) if any(workers) else "?",
            " ".join("%s=%d" % item for item in s["jobs_per_host"].items()) or "-",
            "%d of %d" % (s["remote_objects"], s["objects"]) if s["hosts"] else "-",
            ", ".join("%s %d" % item for item in s["local_reasons"].items()) or ("none" if s["hosts"] else "all"),
            ("%d / %d%s" % (s["remote_preprocessed"], s["pump_fallbacks"],
                            ", switched off in %d run(s)" % s["pump_switched_off"] if s["pump_switched_off"] else ""))
            if s["pump"] else "-"))
    lines += header + rows
    lines += ["", "Setups:"] + ["- `%s`: %s (`%s`)" % (s["name"], s["description"], s["hosts"] or "local") for s in setups]
    if models:
        lines += ["", "## Scaling model", "",
                  "Calibrated on the workers-only setups of this run: the master's CPU-seconds M and the workers' W "
                  "per build, and the serial time S the measured build took beyond max(M/m, W/(k w)). Predicted wall "
                  "= S + max(M/m, W/(k w)) for k workers of w CPUs and a master of m CPUs.", "",
                  "| mode | calibrated on | M | W | S | master-bound from | max speedup | "
                  + " | ".join("k=%d" % k for k in MODEL_WORKERS) + " |",
                  "|---|---|---|---|---|---|---|" + "---|" * len(MODEL_WORKERS)]
        for mode, m in models.items():
            if not m:
                continue
            points = {p["workers"]: p for p in m["points"]}
            lines.append("| %s | %s | %.1f | %.1f | %.1f | %.1f workers | %.2fx | %s |" % (
                mode, m["calibrated_on"], m["master_cpu_seconds"], m["worker_cpu_seconds"], m["serial_seconds"],
                m["master_bound_from_workers"], m["max_speedup"],
                " | ".join("%.2fx" % points[k]["speedup"] for k in MODEL_WORKERS)))
        lines.append("| ideal | | | | | | | " + " | ".join(
            "%.2fx" % p["ideal_speedup"] for p in next(m for m in models.values() if m)["points"]
            if p["workers"] in MODEL_WORKERS) + " |")
    if checks:
        lines += ["", "Model against measured (pump mode, workers only):", "",
                  "| workers | measured | predicted | error |", "|---|---|---|---|"]
        lines += ["| %d | %.1f s | %.1f s | %+.0f%% |"
                  % (c["workers"], c["measured_seconds"], c["predicted_seconds"], 100 * c["error"]) for c in checks]
    return {"all": lines, "setups": lines[2:3] + header + rows}


def write_svg(path, setups, models, checks):
    width, row, left = 820, 30, 120
    bars_height = 50 + row * len(setups)
    chart_top, chart_height = bars_height + 40, 260 if models else 0
    height = chart_top + chart_height + 50
    longest = max(s["wall_median_seconds"] for s in setups) or 1
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="13">'
           % (width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="10" y="22" font-size="15" font-weight="bold">Kernel build: wall time per setup (bar), '
           'speedup against the local build and against its ideal</text>']
    for i, s in enumerate(setups):
        y = 40 + i * row
        bar_width = (width - left - 260) * s["wall_median_seconds"] / longest
        out.append('<text x="10" y="%d">%s</text>' % (y + 15, s["name"]))
        out.append('<rect x="%d" y="%d" width="%.1f" height="20" fill="%s"/>'
                   % (left, y, bar_width, "#d0884a" if s["name"] in ("local", "seed") else "#4a7bd0"))
        out.append('<text x="%.1f" y="%d">%.0f s, %sx of ideal %sx (%s)</text>'
                   % (left + bar_width + 6, y + 15, s["wall_median_seconds"], s["speedup"], s["ideal_speedup"],
                      "%d%%" % (100 * s["efficiency"]) if s["efficiency"] is not None else "?"))
    if models:
        x0, y0, plot_w, plot_h = left, chart_top + chart_height - 20, width - left - 140, chart_height - 40
        points = next(m for m in models.values() if m)["points"]
        top = max(max(p["speedup"] for m in models.values() if m for p in m["points"]) * 1.2, 2)
        ideal_cap = top

        def xy(k, speedup):
            return (x0 + plot_w * math.log(k, 64), y0 - plot_h * min(speedup, ideal_cap) / top)

        out.append('<text x="10" y="%d" font-size="15" font-weight="bold">Model: speedup for 1..64 workers '
                   '(log scale), dots = measured</text>' % (chart_top - 8))
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (x0, y0, x0 + plot_w, y0))
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (x0, y0, x0, y0 - plot_h))
        for k in (1, 2, 4, 8, 16, 32, 64):
            x, dummy = xy(k, 0)
            out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (x, y0 + 15, k))
        for value in range(0, int(top) + 1, max(1, int(top) // 5)):
            dummy, y = xy(1, value)
            out.append('<text x="%d" y="%.1f" text-anchor="end">%dx</text>' % (x0 - 5, y + 4, value))
        series = [("ideal", [(p["workers"], p["ideal_speedup"]) for p in points], "#999999")]
        colors = {"plain": "#d0884a", "pump": "#4a7bd0"}
        for mode, m in models.items():
            if m:
                series.append((mode, [(p["workers"], p["speedup"]) for p in m["points"]], colors.get(mode, "black")))
        for i, (label, data, color) in enumerate(series):
            line = " ".join("%.1f,%.1f" % xy(k, v) for k, v in data)
            out.append('<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>' % (line, color))
            legend = label if label == "ideal" else label + " (model)"
            out.append('<text x="%d" y="%d" fill="%s">%s</text>'
                       % (x0 + plot_w + 10, y0 - plot_h + 16 * i + 10, color, legend))
        base = next((s["wall_median_seconds"] for s in setups if s["name"] == "local"), None)
        for c in checks:
            if base:
                x, y = xy(c["workers"], base / c["measured_seconds"])
                out.append('<circle cx="%.1f" cy="%.1f" r="4" fill="#4a7bd0"/>' % (x, y))
    out.append("</svg>")
    with open(path, "w") as handle:
        handle.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
