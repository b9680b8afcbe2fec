# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The analysis of make bench-team: bench-team.json and bench-team.md from bench-team-raw.json.

The team benchmark (playbooks/bench_team.yml) runs, for every repeat, the same whole job on
every master at once ("together"), then on each master alone ("alone"), on the same lab. Here:
- each master's wall time and throughput (objects per second) together and alone, and where
  its compiles ran (objects on the workers, and any stranded on the master: backoff,
  connection_failed, remote_failed, discrepancy);
- Jain's fairness index over the masters' throughputs together, (sum x)^2 / (n * sum x^2):
  1 when every master gets the same, 1/n when one gets everything;
- the farm's throughput together (every master's objects over the span from the first start
  to the last end) against one master's alone;
- each master alone on the shared farm against the same build on a farm that only it uses:
  the host list it would have there (one master, the inventory's order) is built too when it
  differs from the team's; when it is the same list, the alone run is that build;
- the most compiles distccd ran at once on each worker while the masters built together,
  read from its stats page, against its --jobs.
_bench_report.py writes the files.
"""

from __future__ import annotations

import statistics

from ansible_collections.distrant.distcc.plugins.module_utils._client_log import stranded as _stranded

FAIRNESS_TARGET = 0.95
PENALTY_TARGET = 1.10


def jain(values):
    """Jain's fairness index of non-negative values; None for none or all zero."""
    values = [float(v) for v in values]
    if not values or not any(values):
        return None
    return sum(values) ** 2 / (len(values) * sum(v * v for v in values))


def throughput(build):
    return build["objects"] / build["wall_seconds"] if build["wall_seconds"] else 0.0


def stranded(build):
    """The compiles of a build stranded on the master, by reason (the reasons with none left out)."""
    return {reason: n for reason, n in _stranded(build.get("local_reasons") or {}).items() if n}


def _median(values):
    return round(statistics.median(values), 2) if values else None


def analyse(raw):
    masters = raw["masters"]
    runs = raw["runs"]
    repeats = sorted({run["repeat"] for run in runs})
    per_master = {}
    for name in masters:
        mine = [run for run in runs if run["master"] == name]
        together = [run["build"] for run in mine if run["mode"] == "together"]
        alone = [run["build"] for run in mine if run["mode"] == "alone"]
        own = [run["build"] for run in mine if run["mode"] == "own"] or alone
        per_master[name] = {
            "wall_together": _median([b["wall_seconds"] for b in together]),
            "wall_alone": _median([b["wall_seconds"] for b in alone]),
            "wall_own_farm": _median([b["wall_seconds"] for b in own]),
            "own_farm_measured_apart": any(run["mode"] == "own" for run in mine),
            "throughput_together": _median([throughput(b) for b in together]),
            "throughput_alone": _median([throughput(b) for b in alone]),
            "objects": _median([b["objects"] for b in together + alone]),
            "remote_objects_together": [b["remote_objects"] for b in together],
            "remote_objects_alone": [b["remote_objects"] for b in alone],
            "stranded": [stranded(b) for b in together + alone if stranded(b)],
            "host_list_team": raw.get("host_lists", {}).get(name, {}).get("team"),
            "host_list_own_farm": raw.get("host_lists", {}).get(name, {}).get("own"),
        }
        alone_wall, own_wall = per_master[name]["wall_alone"], per_master[name]["wall_own_farm"]
        per_master[name]["alone_over_own_farm"] = round(alone_wall / own_wall, 3) if alone_wall and own_wall else None
        per_master[name]["slowdown_together"] = (
            round(per_master[name]["wall_together"] / alone_wall, 3) if alone_wall and per_master[name]["wall_together"]
            else None)
    fairness, farm = [], []
    for repeat in repeats:
        together = [run for run in runs if run["repeat"] == repeat and run["mode"] == "together"]
        if len(together) != len(masters):
            continue
        fairness.append(jain([throughput(run["build"]) for run in together]))
        span = max(run["start"] + run["build"]["wall_seconds"] for run in together) - min(run["start"] for run in together)
        farm.append(sum(run["build"]["objects"] for run in together) / span if span > 0 else 0.0)
    fairness = [f for f in fairness if f is not None]
    alone_rates = [m["throughput_alone"] for m in per_master.values() if m["throughput_alone"]]
    jobs_seen = {}
    for sample in raw.get("samples", []):
        for endpoint, seen in sample["workers"].items():
            entry = jobs_seen.setdefault(endpoint, {"jobs": seen.get("jobs"), "max_in_flight": 0, "samples": 0})
            entry["max_in_flight"] = max(entry["max_in_flight"], seen.get("max_in_flight", 0))
            entry["samples"] += seen.get("samples", 0)
    penalties = [m["alone_over_own_farm"] for m in per_master.values() if m["alone_over_own_farm"]]
    return {
        "masters": per_master,
        "repeats": len(repeats),
        "fairness": {"jain_per_repeat": [round(f, 4) for f in fairness],
                     "jain": round(min(fairness), 4) if fairness else None, "target": FAIRNESS_TARGET},
        "farm_throughput_together": _median(farm),
        "master_throughput_alone": _median(alone_rates),
        "farm_gain": round(statistics.median(farm) / statistics.median(alone_rates), 3) if farm and alone_rates else None,
        "alone_penalty": {"worst": max(penalties) if penalties else None, "target": PENALTY_TARGET},
        "workers": jobs_seen,
        "oversubscribed": sorted(e for e, s in jobs_seen.items() if s["jobs"] is not None and s["max_in_flight"] > s["jobs"]),
        "stranded": {name: m["stranded"] for name, m in per_master.items() if m["stranded"]},
        "machine": raw.get("machine"),
    }


def markdown(report):
    fair = report["fairness"]
    lines = [
        "| master | together: wall | alone: wall | own farm: wall | alone / own farm | objects/s together "
        "| objects/s alone | on the workers (together; alone) | stranded |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in sorted(report["masters"].items()):
        lines.append("| %s | %s s | %s s | %s s%s | %s | %s | %s | %s; %s | %s |" % (
            name, m["wall_together"], m["wall_alone"], m["wall_own_farm"],
            "" if m["own_farm_measured_apart"] else " (same host list: the alone run)",
            m["alone_over_own_farm"], _round(m["throughput_together"]), _round(m["throughput_alone"]),
            "/".join(map(str, m["remote_objects_together"])), "/".join(map(str, m["remote_objects_alone"])),
            m["stranded"] or "none"))
    lines += [
        "",
        "Jain's fairness index over the masters' throughputs together: %s (per repeat: %s; target >= %s)."
        % (fair["jain"], ", ".join(map(str, fair["jain_per_repeat"])) or "none", fair["target"]),
        "The farm's throughput together: %s objects/s, against %s for one master alone (x%s)."
        % (_round(report["farm_throughput_together"]), _round(report["master_throughput_alone"]), report["farm_gain"]),
        "A master alone on the shared farm against a farm of its own: worst %s (target <= %s)."
        % (report["alone_penalty"]["worst"], report["alone_penalty"]["target"]),
    ]
    for endpoint, seen in sorted(report["workers"].items()):
        lines.append("Worker %s: at most %s compiles at once while the masters built together (--jobs %s, %d readings "
                     "of its stats page)." % (endpoint, seen["max_in_flight"], seen["jobs"], seen["samples"]))
    if report["machine"]:
        lines.append("Machine: %s." % report["machine"])
    return lines


def _round(value):
    return round(value, 3) if isinstance(value, float) else value
