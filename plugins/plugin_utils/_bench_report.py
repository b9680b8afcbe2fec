# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reports of every bench (make bench, bench-team, bench-ccache, bench-backoff, bench-provision, bench-transport,
bench-configure),
written one way.

Each bench's raw measurements are assembled here from what its playbook collected (benchmark_raw,
team_raw), kept as <bench>-raw.json where a report can be recomputed from them, analysed
(_bench_analysis, _bench_team, backoff_rows, _bench_provision.summarize) and written as JSON and
Markdown (and the benchmark's SVG) into the report directory by write(). The action plugin
distrant.distcc.distcc_bench_report calls write() on the controller; a report is recomputed from
its raw file with
  python -m ansible_collections.distrant.distcc.plugins.plugin_utils._bench_report benchmark REPORT_DIR
"""

from __future__ import annotations

import json
import os
import sys
import time
import typing as t

from ansible_collections.distrant.distcc.plugins.module_utils._client_log import format_reasons
from ansible_collections.distrant.distcc.plugins.plugin_utils import _bench_analysis as analysis
from ansible_collections.distrant.distcc.plugins.plugin_utils import _bench_ccache as ccache
from ansible_collections.distrant.distcc.plugins.plugin_utils import _bench_configure as configure
from ansible_collections.distrant.distcc.plugins.plugin_utils import _bench_provision as provision
from ansible_collections.distrant.distcc.plugins.plugin_utils import _bench_render as render
from ansible_collections.distrant.distcc.plugins.plugin_utils import _bench_team as team


def benchmark_raw(plan, runs, master, workers, project=None):
    """benchmark-raw.json's content.

    ``plan``: what distcc_bench_plan returned (setups, target, config, project); ``runs``: one
    entry per build; ``master``: {name, cpu} (cpu: distcc_cpu_info's result); ``workers``:
    [{name, address, cpu}] in the inventory's order; ``project``: the measured project's name,
    version, build_system and target (kept only when the plan measured a project).
    """
    return {
        "runs": list(runs),
        "setups": plan["setups"],
        "target": plan["target"],
        "project": dict(project or {}) if plan.get("project") else None,
        "config": plan["config"],
        "master": {"name": master["name"], "cpu": master["cpu"]},
        "workers": [w["cpu"] for w in workers],
        "worker_names": [w["name"] for w in workers],
        "worker_addresses": [w["address"] for w in workers],
    }


def transport_raw(raws):
    """One benchmark raw from the rounds of make bench-transport (each a make bench run of one transport): every
    setup renamed <setup>-<transport> after the transport its builds report (distcc_build's fact), runs kept in the
    order they ran and renumbered per setup, the cluster of the first round. A round whose builds name no transport
    or more than one is refused (ValueError): its rows could not be told apart."""
    if not raws:
        raise ValueError("no benchmark round to merge")
    runs, setups, repeats = [], {}, {}
    for raw in raws:
        transports = {run.get("transport") for run in raw["runs"] if run.get("setup") != "local"}
        if len(transports) != 1 or None in transports:
            raise ValueError("a round of bench-transport must build over one transport, its builds report %s"
                             % sorted(str(name) for name in transports))
        transport = transports.pop()

        def renamed(name, transport=transport):
            return name if name == "local" else "%s-%s" % (name, transport)

        for setup in raw["setups"]:
            if setup["name"] == "local":
                setups.setdefault("local", setup)
            else:
                description = "%s; over %s" % (setup["description"], transport)
                name = renamed(setup["name"])
                setups.setdefault(name, dict(setup, name=name, description=description))
        for run in raw["runs"]:
            name = renamed(run["setup"])
            repeats[name] = repeats.get(name, 0) + 1
            runs.append(dict(run, setup=name, repeat=repeats[name]))
    return dict(raws[0], runs=runs, setups=list(setups.values()))


def _delta_seconds(delta):
    """Seconds of a command result's delta (H:MM:SS.ffffff)."""
    hours, minutes, seconds = str(delta).split(":")
    return round(int(hours) * 3600 + int(minutes) * 60 + float(seconds), 2)


def configure_raw(runs, master, project, configure_args, builds):
    """bench-configure-raw.json's content: ``runs`` as the playbook kept them (variant, repeat, the command's
    rc and delta, the master's CPU counter before and after), the master ({name, cpu}), the project, its
    configure arguments, and the build setups of its make bench report ([{name, wall_median_seconds}])."""
    kept = []
    for run in runs:
        before, after = run.get("cpu_before"), run.get("cpu_after")
        kept.append({"variant": run["variant"], "repeat": run["repeat"], "rc": run["rc"],
                     "seconds": _delta_seconds(run["delta"]),
                     "master_cpu_seconds": round(after - before, 2) if None not in (before, after) else None})
    return {"runs": kept, "master": {"name": master["name"], "cpu": master["cpu"]}, "project": dict(project or {}),
            "configure_args": list(configure_args or []),
            "builds": [{"name": b["name"], "wall_median_seconds": b.get("wall_median_seconds")} for b in builds or []]}


def machine():
    """The controller as `uname -srm` and `nproc` name it: where the lab ran."""
    uname = os.uname()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return "%s %s %s, %d cores" % (uname.sysname, uname.release, uname.machine, cores)


def team_raw(masters, runs, samples, host_lists, target, machine_name=None):
    """bench-team-raw.json's content: ``runs`` [{repeat, mode, master, start, hosts, build}] of every master,
    ``samples`` the workers' stats read while the masters built together, ``host_lists`` {master: {team, own}}."""
    return {
        "masters": list(masters),
        "runs": list(runs),
        "samples": list(samples or []),
        "host_lists": dict(host_lists),
        "target": target,
        "machine": machine_name if machine_name is not None else machine(),
    }


def ccache_raw(plan, runs, lab, machine_name=None, date=None):
    """bench-ccache.json's content: ``runs`` [{row, repeat, master, build, edited}] in the order they ran, ``lab``
    {provider: {machine: name}, docker_cpus: {machine: quota}}; the controller and the date (UTC) added."""
    return ccache.raw(runs, plan, lab, machine_name if machine_name is not None else machine(),
                      date if date is not None else time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))


BACKOFF_HEADER = (
    "| case | period | wall | on the workers | failed remote attempts | on the master (why) |",
    "|---|---|---|---|---|---|",
)


def backoff_rows(runs):
    """One row per backoff run ({case, period, build}): where its compiles ran and why some ran on the master."""
    return ["| %s | %d s | %.1f s | %d of %d | %d | %s |" % (
        run["case"], int(run["period"]), run["build"]["wall_seconds"], run["build"]["remote_objects"],
        run["build"]["objects"], run["build"]["failed_remote"],
        format_reasons(run["build"].get("local_reasons") or {}) or "none") for run in runs]


class Report(t.NamedTuple):
    """How one bench's report is made and where it goes (file names in the report directory)."""

    analyse: t.Callable  # raw -> report
    lines: t.Callable  # report -> (the Markdown file's lines, the lines shown at the end of the run)
    markdown: str
    raw: str | None = None  # the raw measurements, kept to recompute the report
    json: str | None = None
    svg: str | None = None


def _benchmark_lines(report):
    table = render.markdown(report, report["setups"], report["model"], report["model_check"],
                            [w["name"] for w in report["cluster"]["workers"]], report["cluster"]["master"]["name"])
    return table["all"], table["setups"]


def _same(lines):
    return lines, lines


REPORTS = {
    "benchmark": Report(analysis.analyse, _benchmark_lines, "benchmark.md", "benchmark-raw.json", "benchmark.json",
                        "benchmark.svg"),
    "team": Report(team.analyse, lambda report: _same(team.markdown(report)), "bench-team.md",
                   "bench-team-raw.json", "bench-team.json"),
    "ccache": Report(ccache.analyse, lambda report: _same(ccache.markdown(report)), "bench-ccache.md",
                     "bench-ccache.json"),
    "backoff": Report(lambda runs: list(BACKOFF_HEADER) + backoff_rows(runs), _same, "backoff.md"),
    "configure": Report(configure.analyse, lambda report: _same(configure.markdown(report)), "bench-configure.md",
                        "bench-configure-raw.json", "bench-configure.json"),
    "provision": Report(provision.summarize, lambda summary: _same(provision.markdown(summary)), "provision.md",
                        json="provision.json"),
}


def _write_json(path, data, **kwargs):
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, **kwargs)
        handle.write("\n")


def write(bench, report_dir, raw):
    """Write a bench's report from its raw measurements; return the lines to show (a table)."""
    kind = REPORTS[bench]
    os.makedirs(report_dir, exist_ok=True)
    if kind.raw:
        _write_json(os.path.join(report_dir, kind.raw), raw, indent=4, sort_keys=True, separators=(",", ": "))
    report = kind.analyse(raw)
    if kind.json:
        _write_json(os.path.join(report_dir, kind.json), report, indent=2)
    lines, shown = kind.lines(report)
    with open(os.path.join(report_dir, kind.markdown), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    if kind.svg:
        render.write_svg(os.path.join(report_dir, kind.svg), report["setups"], report["model"], report["model_check"])
    return shown


def rewrite(bench, report_dir):
    """Recompute a report from the raw measurements kept in its directory; return the lines to show."""
    kind = REPORTS[bench]
    if not kind.raw:
        raise ValueError("the %s bench keeps no raw measurements to recompute its report from" % bench)
    with open(os.path.join(report_dir, kind.raw), encoding="utf-8") as handle:
        raw = json.load(handle)
    return write(bench, report_dir, raw)


def merge_transport(report_dir, round_dirs):
    """make bench-transport's report: the rounds' benchmark-raw.json merged (transport_raw) into report_dir's
    benchmark report; return the lines to show."""
    raws = []
    for directory in round_dirs:
        with open(os.path.join(directory, REPORTS["benchmark"].raw), encoding="utf-8") as handle:
            raws.append(json.load(handle))
    return write("benchmark", report_dir, transport_raw(raws))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) >= 3 and argv[0] == "transport":
        print("\n".join(merge_transport(argv[1], argv[2:])))
        return 0
    if len(argv) != 2 or argv[0] not in REPORTS or not REPORTS[argv[0]].raw:
        sys.stderr.write("usage: _bench_report.py %s REPORT_DIR\n"
                         "       _bench_report.py transport REPORT_DIR ROUND_DIR...\n"
                         % "|".join(name for name, kind in REPORTS.items() if kind.raw))
        return 2
    print("\n".join(rewrite(argv[0], argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
