# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The analysis of make bench-ccache: bench-ccache.md from bench-ccache.json.

The ccache benchmark (playbooks/bench_ccache.yml) builds the whole job of the kernel on the first
master of a lab with a cache host (DISTRANT_MASTERS=2 DISTRANT_CACHE=worker-1), as site.yml does,
in these rows:
- cold: a fresh tree without ccache, and cold-ccache: a fresh tree with ccache and both caches
  (the master's and the farm's) emptied, interleaved for the repeats: their medians' ratio is
  what ccache costs a build that finds nothing (target <= 1.10);
- warm-clean: make clean, then ccache again (every object a hit);
- edit-source: a comment appended to one .c file, built with ccache (a miss for it); and
  edit-source-no-ccache, the same edit without ccache on a tree built without it (Kbuild
  rebuilds everything when CC changes, so it follows a cold build, never a ccache one);
- edit-header: a comment appended to a header many objects include, built with ccache: every
  object Kbuild rebuilds is a miss (depend mode hashes the header's content);
- other-master: the second master, a fresh tree and an empty cache of its own, from the farm's
  cache only (targets: >= 95% of the objects hits, and a wall time at least 3x shorter than cold).
Each build's facts are kept in bench-ccache.json (the subset below); _bench_report.py writes the
files, and recomputes the report from that file.
"""

from __future__ import annotations

import statistics

ROWS = (
    ("cold", "cold, no ccache"),
    ("cold-ccache", "cold, ccache, empty cache"),
    ("warm-clean", "warm after make clean"),
    ("edit-source", "one .c edited"),
    ("edit-source-no-ccache", "one .c edited, no ccache"),
    ("edit-header", "one header edited"),
    ("other-master", "other master, fresh tree, shared cache"),
)
OVERHEAD_TARGET = 1.10
SPEEDUP_TARGET = 3.0
HIT_RATE_TARGET = 0.95

# distcc_build's facts kept for each build (ansible_facts.distcc_build; ccache's counters below)
FACTS = ("wall_seconds", "prepare_seconds", "objects", "cache_hits", "remote_objects", "jobs_per_host",
         "local_reasons", "host_cpu_seconds", "user_seconds", "sys_seconds", "jobs", "hosts", "started_at",
         "kernel_version", "config", "rc")
CCACHE_FACTS = ("hits", "direct_hits", "preprocessed_hits", "misses", "uncacheable", "errors", "error_reasons",
                "remote_storage", "dir", "cache_size_kib", "cache_files")


def build_subset(build):
    """What bench-ccache.json keeps of a build's facts (its ccache counters null without ccache)."""
    kept = {key: build.get(key) for key in FACTS}
    counters = build.get("ccache")
    kept["ccache"] = {key: counters.get(key) for key in CCACHE_FACTS} if counters else None
    return kept


def lab_machines(lab):
    """{machine: {provider, docker_cpus}} from what the playbook passes: {provider: {machine: name},
    docker_cpus: {machine: quota}} (the inventory's vagrant_provider and distrant_lab_docker_cpus)."""
    lab = lab or {}
    names = sorted(set(lab.get("provider") or {}) | set(lab.get("docker_cpus") or {}))
    return {name: {"provider": (lab.get("provider") or {}).get(name),
                   "docker_cpus": (lab.get("docker_cpus") or {}).get(name)} for name in names}


def raw(runs, plan, lab, machine, date):
    """bench-ccache.json's content.

    ``runs``: [{row, repeat, master, build}] in the order they ran (``build``: distcc_build's facts,
    ``edited``: the file a row edited); ``plan``: what distcc_bench_plan returned (bench=ccache);
    ``lab``: {provider: {machine: name}, docker_cpus: {machine: quota}}; ``machine``: the controller
    (uname -srm, nproc);
    ``date``: when the report was written (UTC).
    """
    return {
        "runs": [dict(run, build=build_subset(run["build"])) for run in runs],
        "repeats": plan.get("repeats"),
        "source": plan.get("source"),
        "header": plan.get("header"),
        "remote_storage": plan.get("remote_storage"),
        "lab": lab_machines(lab),
        "machine": machine,
        "date": date,
    }


def _median(values, digits=2):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), digits) if values else None


def _ratio(numerator, denominator, digits=3):
    return round(numerator / denominator, digits) if numerator is not None and denominator else None


def misses(build):
    """ccache's misses of a build (null without ccache)."""
    return (build.get("ccache") or {}).get("misses")


def hit_rate(build):
    """The share of the build's objects ccache served (null without ccache or without objects)."""
    if not build.get("ccache") or not build.get("objects"):
        return None
    return round((build.get("cache_hits") or 0) / build["objects"], 4)


def remote(build):
    """The farm's cache's counters of a build: {hits, misses, errors, timeouts}, null without it."""
    storage = (build.get("ccache") or {}).get("remote_storage")
    if not storage:
        return None
    return {key: storage.get(key) for key in ("hits", "misses", "errors", "timeouts")}


def summarize(name, label, runs):
    """One row of the report from its builds: medians where it was built more than once."""
    builds = [run["build"] for run in runs]
    last = builds[-1]
    return {
        "row": name,
        "label": label,
        "masters": sorted({run["master"] for run in runs}),
        "builds": len(builds),
        "edited": runs[-1].get("edited"),
        "wall_seconds": _median([b["wall_seconds"] for b in builds]),
        "wall_each": [b["wall_seconds"] for b in builds],
        "objects": _median([b.get("objects") for b in builds]),
        "cache_hits": _median([b.get("cache_hits") for b in builds]) if last.get("ccache") else None,
        "misses": _median([misses(b) for b in builds]),
        "hit_rate": _median([hit_rate(b) for b in builds], 4),
        "remote_storage": remote(last),
        "jobs_per_host": last.get("jobs_per_host") or {},
        "master_cpu_seconds": _median([b.get("host_cpu_seconds") for b in builds]),
        "make_cpu_seconds": _median([(b.get("user_seconds") or 0) + (b.get("sys_seconds") or 0) for b in builds]),
    }


def analyse(data):
    runs = data["runs"]
    rows = {}
    for name, label in ROWS:
        mine = [run for run in runs if run["row"] == name]
        if mine:
            rows[name] = summarize(name, label, mine)
    cold, cold_ccache, other = rows.get("cold", {}), rows.get("cold-ccache", {}), rows.get("other-master", {})
    overhead = _ratio(cold_ccache.get("wall_seconds"), cold.get("wall_seconds"))
    speedup = _ratio(cold.get("wall_seconds"), other.get("wall_seconds"), 2)
    other_rate = other.get("hit_rate")
    return {
        "rows": [rows[name] for name, dummy in ROWS if name in rows],
        "repeats": data.get("repeats"),
        "source": data.get("source"),
        "header": data.get("header"),
        "remote_storage": data.get("remote_storage"),
        "overhead": {"wall": overhead, "target": OVERHEAD_TARGET,
                     "met": overhead is not None and overhead <= OVERHEAD_TARGET,
                     "master_cpu": _ratio(cold_ccache.get("master_cpu_seconds"), cold.get("master_cpu_seconds"))},
        "speedup_other_master": {"wall": speedup, "target": SPEEDUP_TARGET,
                                 "met": speedup is not None and speedup >= SPEEDUP_TARGET},
        "hit_rate_other_master": {"rate": other_rate, "target": HIT_RATE_TARGET,
                                  "met": other_rate is not None and other_rate >= HIT_RATE_TARGET},
        "lab": data.get("lab") or {},
        "machine": data.get("machine"),
        "date": data.get("date"),
    }


def _cell(value, suffix=""):
    return "-" if value is None else "%s%s" % (_round(value), suffix)


def _round(value):
    if isinstance(value, float):
        return int(value) if value.is_integer() else round(value, 2)
    return value


def _where(jobs_per_host):
    """The hosts that compiled, then the objects served from the cache (distcc_build's cache_hits bucket)."""
    hosts = sorted((host, n) for host, n in jobs_per_host.items() if n and host != "cache_hits")
    if jobs_per_host.get("cache_hits"):
        hosts.append(("cache hits", jobs_per_host["cache_hits"]))
    return ", ".join("%s %s" % pair for pair in hosts) or "-"


def _storage(counters):
    if not counters:
        return "-"
    return "%s/%s/%s" % (counters.get("hits"), counters.get("misses"), counters.get("errors"))


def _met(check):
    return "met" if check["met"] else "NOT met"


def _lab_line(lab):
    """The lab's machines: their provider, and their CPU quota under docker."""
    parts = []
    for name, info in sorted(lab.items()):
        quota = " %s CPU" % info["docker_cpus"] if info.get("provider") == "docker" and info.get("docker_cpus") else ""
        parts.append("%s (%s%s)" % (name, info.get("provider") or "unknown provider", quota))
    return ", ".join(parts)


def markdown(report):
    lines = [
        "| row | master | wall | objects | cache hits | misses | hit rate | farm's cache hits/misses/errors "
        "| where compiles ran | master CPU |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["rows"]:
        label = row["label"]
        if row["edited"]:
            label += " (%s)" % row["edited"]
        wall = _cell(row["wall_seconds"], " s")
        if row["builds"] > 1:
            wall += " (median of %s)" % ", ".join(str(_round(w)) for w in row["wall_each"])
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            label, ", ".join(row["masters"]), wall, _cell(row["objects"]), _cell(row["cache_hits"]),
            _cell(row["misses"]), _cell(None if row["hit_rate"] is None else round(100 * row["hit_rate"], 1), "%"),
            _storage(row["remote_storage"]), _where(row["jobs_per_host"]), _cell(row["master_cpu_seconds"], " s")))
    overhead, speedup, rate = report["overhead"], report["speedup_other_master"], report["hit_rate_other_master"]
    lines += [
        "",
        "ccache's cost on a cold build (cold, ccache, empty cache / cold, no ccache; medians): x%s wall (target <= "
        "%s: %s), x%s of the master's CPU." % (_cell(overhead["wall"]), overhead["target"], _met(overhead),
                                               _cell(overhead["master_cpu"])),
        "The other master from the farm's cache (cold, no ccache / other master): x%s faster (target >= %s: %s), "
        "%s of its objects were hits (target >= %s%%: %s)." % (
            _cell(speedup["wall"]), _round(speedup["target"]), _met(speedup),
            _cell(None if rate["rate"] is None else round(100 * rate["rate"], 1), "%"),
            _round(100 * rate["target"]), _met(rate)),
    ]
    edits = [row for row in report["rows"] if row["row"] == "edit-header"]
    if edits:
        lines.append("The header edited: %s; Kbuild rebuilt %s objects, %s of them ccache misses."
                     % (edits[0]["edited"] or report["header"], _cell(edits[0]["objects"]), _cell(edits[0]["misses"])))
    lines.append("Repeats of the cold rows: %s (interleaved). The farm's cache: %s. The master's CPU: its whole counter "
                 "while it built (host_cpu_seconds)." % (report["repeats"], report["remote_storage"] or "none"))
    if report["lab"]:
        lines.append("Lab: %s." % _lab_line(report["lab"]))
    if report["machine"]:
        lines.append("Machine: %s." % report["machine"])
    if report["date"]:
        lines.append("Date: %s." % report["date"])
    return lines
