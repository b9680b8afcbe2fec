# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make bench-configure`: an autotools project's configure step, and what shortens it on a farm.

The configure step of an autotools project is part of the job a user runs (GNU coreutils: about
as long as its build on the lab's master), and `make bench` times it apart, once. Here it is
timed from a distcleaned tree in each of VARIANTS, rounds interleaved, and put beside the build
medians of the same project's `make bench` report (its benchmark.json), so the whole job,
configure included, is a measured sum per setup.
"""

from __future__ import annotations

import statistics

# In the order a round runs them: the last leaves the tree configured as make bench configures it.
VARIANTS = {
    "cache": "./configure -C with the config.cache of an earlier configure of this tree on this master "
             "(autoconf's cache of test results; a farm keeps one per project and system)",
    "ccache": "CC='ccache <compiler>' with a warm ccache of its own: configure's compile tests served from the "
              "cache (links and test programs still run)",
    "distcc": "CC='distcc <compiler>' with the farm's workers in plain mode: configure's compile tests on the "
              "workers (links and test programs stay on the master)",
    "plain": "./configure as a user runs it first, the compiler local (what distcc_build does)",
}
BASELINE = "plain"


def _median(values):
    return round(statistics.median(values), 2) if values else None


def analyse(raw):
    """bench-configure.json from the raw runs: per variant, medians and the ratio to plain; the whole job per setup."""
    runs = [r for r in raw["runs"] if r.get("rc", 0) == 0]
    failed = [r for r in raw["runs"] if r.get("rc", 0) != 0]
    variants = []
    for name in [v for v in VARIANTS if any(r["variant"] == v for r in raw["runs"])]:
        mine = [r for r in runs if r["variant"] == name]
        walls = [r["seconds"] for r in mine]
        variants.append({
            "name": name,
            "description": VARIANTS[name],
            "runs": len(mine),
            "failed_runs": sum(1 for r in failed if r["variant"] == name),
            "seconds": walls,
            "wall_median_seconds": _median(walls),
            "spread_seconds": round(max(walls) - min(walls), 2) if walls else None,
            "master_cpu_median_seconds": _median([r["master_cpu_seconds"] for r in mine
                                                  if r.get("master_cpu_seconds") is not None]),
        })
    base = next((v["wall_median_seconds"] for v in variants if v["name"] == BASELINE), None)
    for variant in variants:
        wall = variant["wall_median_seconds"]
        variant["faster_than_plain"] = round(base / wall, 2) if base and wall else None
    timed = [v for v in variants if v["wall_median_seconds"] is not None]
    best = min(timed, key=lambda v: v["wall_median_seconds"]) if timed else None
    return {
        "project": raw.get("project"),
        "master": raw.get("master"),
        "configure_args": raw.get("configure_args", []),
        "variants": variants,
        "best": best["name"] if best else None,
        "whole_job": whole_job(raw.get("builds", []), base, best["wall_median_seconds"] if best else None),
    }


def whole_job(builds, plain_configure, best_configure):
    """Per build setup of make bench (its median): the whole job with plain configure, and with the fastest
    variant; the speedups against local's whole job with plain configure (what a user starts from)."""
    if plain_configure is None:
        return []
    local = next((b["wall_median_seconds"] for b in builds if b["name"] == "local"), None)
    reference = local + plain_configure if local is not None else None
    rows = []
    for build in builds:
        median = build.get("wall_median_seconds")
        if median is None:
            continue
        whole, fastest = median + plain_configure, median + best_configure
        rows.append({
            "setup": build["name"],
            "build_seconds": median,
            "build_speedup": round(local / median, 2) if local else None,
            "whole_seconds": round(whole, 1),
            "whole_speedup": round(reference / whole, 2) if reference else None,
            "whole_fastest_configure_seconds": round(fastest, 1),
            "whole_fastest_configure_speedup": round(reference / fastest, 2) if reference else None,
        })
    return rows


def _seconds(value):
    return "-" if value is None else "%.1f s" % value


def _ratio(value):
    return "-" if value is None else "%.2fx" % value


def markdown(report):
    """The report's Markdown lines."""
    project = report.get("project") or {}
    master = report.get("master") or {}
    lines = ["# Configure on the farm: %s %s" % (project.get("name", "?"), project.get("version", "")), "",
             "Master %s (%s CPUs); configure arguments: %s. Each run from a distcleaned tree, rounds interleaved."
             % (master.get("name", "?"), (master.get("cpu") or {}).get("effective_cpus", "?"),
                " ".join(report.get("configure_args") or []) or "none"), "",
             "| configure | wall median (spread) | runs | master CPU-s | faster than plain |",
             "|---|---|---|---|---|"]
    for variant in report["variants"]:
        lines.append("| `%s` | %s (%s) | %d%s | %s | %s |" % (
            variant["name"], _seconds(variant["wall_median_seconds"]), _seconds(variant["spread_seconds"]),
            variant["runs"], " (%d failed)" % variant["failed_runs"] if variant["failed_runs"] else "",
            _seconds(variant["master_cpu_median_seconds"]), _ratio(variant["faster_than_plain"])))
    lines += [""] + ["- `%s`: %s" % (v["name"], v["description"]) for v in report["variants"]]
    if report["whole_job"]:
        lines += ["", "The whole job (configure + build, the build medians of this project's make bench report), "
                      "speedups against local's whole job with plain configure:", "",
                  "| build setup | build | build speedup | whole job, plain configure | speedup | "
                  "whole job, `%s` configure | speedup |" % report["best"],
                  "|---|---|---|---|---|---|---|"]
        for row in report["whole_job"]:
            lines.append("| `%s` | %s | %s | %s | %s | %s | %s |" % (
                row["setup"], _seconds(row["build_seconds"]), _ratio(row["build_speedup"]),
                _seconds(row["whole_seconds"]), _ratio(row["whole_speedup"]),
                _seconds(row["whole_fastest_configure_seconds"]), _ratio(row["whole_fastest_configure_speedup"])))
    else:
        lines += ["", "No build medians: run make bench with the same DISTRANT_BENCH_PROJECT first for the whole job."]
    return lines
