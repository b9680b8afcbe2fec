# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rendering half of the benchmark report: the Markdown tables and the SVG chart of bench_analysis's report."""

from __future__ import annotations

import math
import textwrap
import xml.etree.ElementTree as ET

from ansible_collections.distrant.distcc.plugins.module_utils._client_log import format_reasons
from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_analysis import MASTER_SATURATED, MODEL_WORKERS


def _what(report):
    """What was built and how each run started."""
    project = report.get("project")
    if project:
        configure = report.get("configure_seconds_median")
        return "%s %s (%s%s): each run after a clean of its build directory, the build timed%s" % (
            project["name"], project["version"], project["build_system"],
            ", target `%s`" % project["target"] if project.get("target") else "",
            " (its configure step apart, median %.2f s)" % configure if configure is not None else "")
    if report["target"] == "all":
        return ("linux %s, the whole job: each run from an unpacked tree with a fresh `make %s` (untimed), Kbuild's "
                "preparation and the full build timed" % (report["kernel_version"], report["config"]))
    return "linux %s, `%s`, make target(s) `%s` after make clean" % (
        report["kernel_version"], report["config"], report["target"])


def _section(title, text, columns):
    """A report section's first lines: its title, what it measures, and its table's head."""
    return ["", "## " + title, "", text, "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]


def _part_cell(b, part, whole):
    """One part of a host's CPU per object, "12.3 ms (45%)": its share of the host's (b[whole + '_seconds'])."""
    ms, seconds = b.get(part + "_per_object_ms"), b.get(part + "_seconds")
    if ms is None:
        return "-"
    total = b.get(whole + "_seconds")
    share = " (%.0f%%)" % (100.0 * seconds / total) if total and seconds is not None else ""
    return "%.1f ms%s" % (ms, share)


def _breakdown_table(setups):
    """Where the master's CPU went, per object, in the setups run with cpu_breakdown."""
    measured = [s for s in setups if s.get("cpu_breakdown")]
    if not measured:
        return []
    lines = _section(
        "Where the master's CPU goes",
        "Milliseconds of master CPU per object (median of the runs), measured with distcc_build's "
        "cpu_breakdown: the distcc client of each compile (with whatever it ran on the master) recorded exactly "
        "per process; make with everything else the build ran (Kbuild's shells and tools, linking) from the "
        "build's own process accounting; the include server read from its process; other = the master's CPU "
        "counter minus all of those (interrupts, the build module, sshd). Accounting is what measuring cost; "
        "the wall time of these rows carries it.",
        ["setup", "objects", "master", "make and Kbuild", "distcc client", "include server", "accounting", "other"])

    def cell(b, part):
        return _part_cell(b, part, "master")

    for s in measured:
        b = s["cpu_breakdown"]
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            s["name"], int(b["objects"]) if b.get("objects") else "-",
            "%.1f ms (%.1f CPU-s)" % (b["master_per_object_ms"], b["master_seconds"])
            if b.get("master_per_object_ms") is not None else "-",
            cell(b, "make"), cell(b, "client"), cell(b, "include_server"), cell(b, "accounting"), cell(b, "other")))
    return lines


def _worker_breakdown_table(setups, master):
    """Where the workers' CPU went, per object, in the setups run with the compiler accounting on the workers;
    beside it what local spent per object on the master, make and Kbuild included."""
    measured = [s for s in setups if s.get("worker_breakdown")]
    if not measured:
        return []
    lines = _section(
        "Where the workers' CPU goes",
        "Milliseconds of worker CPU per object compiled there (median of the runs): the compilers distccd ran "
        "(gcc with cc1 and as) recorded exactly per process by an accounting program first on distccd's PATH; "
        "accounting = that program's own (what measuring cost, in these rows' wall time too); distccd and the "
        "rest = the worker's CPU counter minus both: distccd accepting, receiving and writing each compile's "
        "files, lzo, cleaning up, and whatever else ran there.",
        ["setup", "worker", "objects", "worker", "compiler (gcc, cc1, as)", "distccd and the rest", "accounting"])

    def cell(b, part):
        return _part_cell(b, part, "worker")

    for s in measured:
        for worker, b in s["worker_breakdown"].items():
            lines.append("| %s | %s | %d | %.1f ms (%.1f CPU-s) | %s | %s | %s |" % (
                s["name"], worker, int(b["objects"]), b["worker_per_object_ms"], b["worker_seconds"],
                cell(b, "compiler"), cell(b, "distccd"), cell(b, "accounting")))
    local = next((s for s in setups if s["name"] == "local"), None)
    spent = (local or {}).get("cpu_seconds_median", {}).get(master)
    if spent and local.get("objects"):
        lines += ["", "`local` spent %.1f ms of master CPU per object (%.1f CPU-s for %d objects), make and Kbuild "
                      "included." % (1000.0 * spent / local["objects"], spent, local["objects"])]
    return lines


def markdown(report, setups, models, checks, names, master):
    cluster = report["cluster"]
    lines = [
        "# distcc benchmark",
        "",
        "%s, %d objects. Master %s: %.2f CPU; workers: %s (CPU = what the host "
        "can use, cgroup quota included). Ideal speedup of the whole cluster %.2fx."
        % (_what(report),
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
        rows.append("| %s | %d | %.1f s | %.1f s | %s | %sx | %s | %d | %s | %s | %s | %s | %s | %s | %s |" % (
            name, s["runs"], s["wall_median_seconds"], s["wall_spread_seconds"],
            "%sx" % s["speedup"] if s["speedup"] is not None else "-", s["ideal_speedup"],
            s["efficiency"] if s["efficiency"] is not None else "-", s["jobs"],
            "%.1f s" % s["prepare_median_seconds"] if s["prepare_median_seconds"] is not None else "-", cpu.get(master),
            round(sum(w for w in workers if w), 1) if any(workers) else "?",
            " ".join("%s=%d" % item for item in s["jobs_per_host"].items()) or "-",
            "%d of %d" % (s["remote_objects"], s["objects"]) if s["hosts"] else "-",
            format_reasons(s["local_reasons"]) or ("none" if s["hosts"] else "all"),
            ("%d / %d%s" % (s["remote_preprocessed"], s["pump_fallbacks"],
                            ", switched off in %d run(s)" % s["pump_switched_off"] if s["pump_switched_off"] else ""))
            if s["pump"] else "-"))
    lines += header + rows
    lines += ["", "Setups:"] + ["- `%s`: %s (`%s`)" % (s["name"], s["description"], s["hosts"] or "local") for s in setups]
    lines += _breakdown_table(setups)
    lines += _worker_breakdown_table(setups, master)
    if models:
        lines += ["", "## Scaling model", "",
                  "Calibrated on the workers-only setup of this run: the master's CPU per object c_m (make, Kbuild, "
                  "the client, the include server; the prepare phase P apart), a worker's c_w, the compiles in flight "
                  "(slots per worker) and the latency Z per compile that reproduces the measured wall time. Mean value "
                  "analysis of the master and k workers as processor-sharing queues gives the wall time for k workers.",
                  "",
                  "| mode | calibrated on | P | c_m | c_w | slots | Z | master-bound from | max speedup | "
                  + " | ".join("k=%d" % k for k in MODEL_WORKERS) + " |",
                  "|---|---|---|---|---|---|---|---|---|" + "---|" * len(MODEL_WORKERS)]
        for mode, m in models.items():
            if not m:
                continue
            points = {p["workers"]: p for p in m["points"]}
            # without a local build in the run, the model gives wall times, not speedups
            lines.append("| %s | %s | %.1f s | %.1f ms | %.1f ms | %d | %.0f ms | %.1f workers | %s | %s |" % (
                mode, m["calibrated_on"], m["prepare_seconds"], m["master_ms_per_object"], m["worker_ms_per_object"],
                m["slots_per_worker"], m["latency_ms_per_object"], m["master_bound_from_workers"],
                "%.2fx" % m["max_speedup"] if m["max_speedup"] else "-",
                " | ".join("%.2fx" % points[k]["speedup"] if points[k]["speedup"] else "%.0f s" % points[k]["wall_seconds"]
                           for k in MODEL_WORKERS)))
        lines.append("| ideal | | | | | | | | | " + " | ".join(
            "%.2fx" % p["ideal_speedup"] for p in next(m for m in models.values() if m)["points"]
            if p["workers"] in MODEL_WORKERS) + " |")
    lines += _workers_table(models.get("pump"), checks)
    if checks:
        lines += ["", "Model against measured (pump mode, workers only):", "",
                  "| workers | setup | measured | predicted | error | measured, faster than 1 worker |",
                  "|---|---|---|---|---|---|"]
        lines += ["| %d | %s | %.1f s | %.1f s | %+.0f%% | %s |"
                  % (c["workers"], c["setup"] + (" (calibration)" if c["calibration"] else ""),
                     c["measured_seconds"], c["predicted_seconds"], 100 * c["error"],
                     "%.2fx" % c["over_one_worker"] if c.get("over_one_worker") else "-") for c in checks]
    return {"all": lines, "setups": lines[2:3] + header + rows}


def _workers_table(pump, checks):
    """How many workers for this master: the pump model's wall time (and speedup) for 1..8, 12 and 16
    workers, how busy the master and the workers are in each, and the rows this run measured."""
    if not pump:
        return []
    measured = {}
    for c in checks:
        measured.setdefault(c["workers"], c)
    saturated = pump.get("master_saturated_from_workers")
    limit = ("With %d worker%s the model keeps the master %d%% busy or more: from there more workers buy little "
             "until its cost per object falls." % (saturated, "s" if saturated > 1 else "", 100 * MASTER_SATURATED)
             if saturated else "Up to %d workers the model never keeps the master %d%% busy: the workers are the "
             "limit." % (max(p["workers"] for p in pump["points"]), 100 * MASTER_SATURATED))
    lines = ["", "## How many workers for this master", "",
             "The pump model above, for this master and workers of this size; measured = a row of this run "
             "(`auto` or `pump-<k>w`). %s Workers less than fully busy wait for the master's part of each compile "
             "(or for their slots to fill): more compiles in flight would feed them." % limit, "",
             "| workers | model: wall | model: speedup | master busy | workers busy | measured |",
             "|---|---|---|---|---|---|"]
    for p in pump["points"]:
        if p["workers"] not in (1, 2, 3, 4, 5, 6, 8, 12, 16):
            continue
        c = measured.get(p["workers"])
        lines.append("| %d | %.0f s | %s | %.0f%% | %.0f%% | %s |" % (
            p["workers"], p["wall_seconds"], "%.2fx" % p["speedup"] if p["speedup"] else "-",
            100 * p["master_busy"], 100 * p["workers_busy"],
            "**%.1f s** (%s)" % (c["measured_seconds"], c["setup"]) if c else ""))
    return lines


# A text's width is estimated at this share of its font size per character (a generous average for the
# sans-serif fonts a viewer picks; bold a tenth wider): the picture is made wide enough for all of its text.
CHAR_WIDTH = 0.6
MARGIN = 10


def text_width(text, size, bold=False):
    """The estimated width in pixels of a text at a font size."""
    return CHAR_WIDTH * size * len(text) * (1.1 if bold else 1.0)


def _wrap(text, size, room):
    """A text cut into lines of at most ``room`` pixels at this font size (at word boundaries)."""
    return textwrap.wrap(text, max(1, int(room // (CHAR_WIDTH * size))))


def _fit(out, width):
    """The SVG lines with the picture's width raised until every text element fits, margin included."""
    root = ET.fromstring("\n".join(out + ["</svg>"]))
    ns = "{http://www.w3.org/2000/svg}"
    needed = width
    for element in root.iter(ns + "text"):
        size = float(element.get("font-size") or root.get("font-size"))
        extent = text_width(element.text or "", size, element.get("font-weight") == "bold")
        x = float(element.get("x"))
        anchor = element.get("text-anchor", "start")
        right = x + (0 if anchor == "end" else extent / 2 if anchor == "middle" else extent)
        needed = max(needed, int(math.ceil(right)) + MARGIN)
    out[0] = out[0].replace('width="%d"' % width, 'width="%d"' % needed, 1)
    return out


def write_svg(path, setups, models, checks):
    width, row, left = 820, 30, 120
    bars_height = 50 + row * len(setups)
    base = next((s["wall_median_seconds"] for s in setups if s["name"] == "local"), None)
    scaling = models and base  # speedups need the local build
    chart_top, chart_height = bars_height + 40, 260 if scaling else 0
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
        out.append('<text x="%.1f" y="%d">%.0f s%s</text>'
                   % (left + bar_width + 6, y + 15, s["wall_median_seconds"],
                      ", %sx of ideal %sx (%d%%)" % (s["speedup"], s["ideal_speedup"], 100 * s["efficiency"])
                      if s["speedup"] is not None else ""))
    if scaling:
        out += _scaling_chart(setups, models, base, left, chart_top, chart_height, width)
    out = _fit(out, width)
    out.append("</svg>")
    with open(path, "w") as handle:
        handle.write("\n".join(out) + "\n")


def _scaling_chart(setups, models, base, left, chart_top, chart_height, width):
    """Speedup against workers, both on log scales, so that the ideal line (which grows with
    every worker) stays on the chart beside the model's curves (which flatten where the master
    becomes the limit). Dots are measured setups (workers only or with localhost), at the number
    of workers each used; a dashed line marks where each mode's model says the master saturates."""
    x0, y0, plot_w, plot_h = left, chart_top + chart_height - 20, width - left - 170, chart_height - 40
    colors = {"plain": "#d0884a", "pump": "#4a7bd0"}
    points = next(m for m in models.values() if m)["points"]
    measured = [s for s in setups if s["hosts"] and s.get("speedup") and s.get("workers_used")]
    values = [p["ideal_speedup"] for p in points] + [p["speedup"] for m in models.values() if m
                                                     for p in m["points"]]
    values += [s["speedup"] for s in measured]
    top = 2 ** math.ceil(math.log2(max(values + [2])))
    bottom = 2 ** math.floor(math.log2(min(values + [1])))
    k_max = max(p["workers"] for p in points)

    def xy(k, speedup):
        return (x0 + plot_w * math.log(k, k_max),
                y0 - plot_h * math.log(speedup / bottom) / math.log(top / bottom))

    out = ['<text x="10" y="%d" font-size="15" font-weight="bold">Speedup against workers (both log scales): '
           'lines = model, dots = measured</text>' % (chart_top - 8),
           '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (x0, y0, x0 + plot_w, y0),
           '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (x0, y0, x0, y0 - plot_h)]
    k = 1
    while k <= k_max:
        x, _y = xy(k, bottom)
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (x, y0 + 15, k))
        k *= 2
    value = bottom
    while value <= top:
        _x, y = xy(1, value)
        out.append('<text x="%d" y="%.1f" text-anchor="end">%gx</text>' % (x0 - 5, y + 4, value))
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eeeeee"/>' % (x0, y, x0 + plot_w, y))
        value *= 2
    series = [("ideal", [(p["workers"], p["ideal_speedup"]) for p in points], "#999999")]
    for mode, m in models.items():
        if m:
            series.append((mode + " (model)", [(p["workers"], p["speedup"]) for p in m["points"]],
                           colors.get(mode, "black")))
    for i, (label, data, color) in enumerate(series):
        line = " ".join("%.1f,%.1f" % xy(k, v) for k, v in data)
        out.append('<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>' % (line, color))
        label_y = y0 - plot_h + 16 * i + 10
        out.append('<text x="%d" y="%d" fill="%s">%s</text>' % (x0 + plot_w + 10, label_y, color, label))
    for mode, m in models.items():
        limit = m and m.get("master_bound_from_workers")
        if limit and limit <= k_max:
            x, _y = xy(max(limit, 1), bottom)
            out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-dasharray="4 3" '
                       'class="master-limit"/>' % (x, y0, x, y0 - plot_h, colors.get(mode, "black")))
            out.append('<text x="%.1f" y="%d" fill="%s" font-size="11">master limit (%s): %g workers</text>'
                       % (x + 3, y0 - plot_h + 12 + 14 * list(models).index(mode), colors.get(mode, "black"),
                          mode, limit))
    for s in measured:
        x, y = xy(s["workers_used"], s["speedup"])
        color = colors["pump" if s.get("pump") else "plain"]
        out.append('<circle cx="%.1f" cy="%.1f" r="4" fill="%s" class="measured"><title>%s: %sx measured, '
                   '%d worker%s</title></circle>' % (x, y, color, s["name"], s["speedup"], s["workers_used"],
                                                     "" if s["workers_used"] == 1 else "s"))
    if base and measured:  # in the legend's column, on as many lines as it takes
        note = _wrap("measured against the local build (%.0f s)" % base, 11, width - (x0 + plot_w + 10) - MARGIN)
        for i, line in enumerate(note):
            out.append('<text x="%d" y="%d" font-size="11">%s</text>'
                       % (x0 + plot_w + 10, y0 - plot_h + 16 * len(series) + 10 + 13 * i, line))
    return out
