# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The analysis of make bench: runs summarised per setup, the scaling model and its checks.

_bench_report.py hands it benchmark-raw.json and writes what analyse() returns; _bench_render.py
draws it (Markdown, SVG).

Speedup is the local setup's median wall time over each setup's; the ideal speedup is the
CPU capacity of the hosts a setup uses over the master's (real CPU counts, cgroup quotas
included); efficiency is their ratio. CPU spent per host comes from each host's cgroup
(or /proc/stat) counter read before and after every build (for the master by the build
module around the timed job itself, so that the reset or make clean before it is left out).

The scaling model (model()): a build is its prepare phase P (on the master alone)
and then one compile per object, make -j of them in flight (the host list's slots per worker
times the workers). Each compile costs the master c_m CPU-seconds (make, Kbuild, the distcc
client, the include server) and a worker c_w, both measured with the workers only (plain: the
setup `plain`; pump: a pump setup without localhost, `auto`). With a master of m CPUs and k
workers of w CPUs, mean value analysis of that closed network (processor-sharing hosts, a
fitted latency per compile) gives the throughput; the model reproduces its calibration setup
and is checked against the pump-<k>w rows. The master becomes the bottleneck from
k = c_w*m/(c_m*w) workers; below that, too few compiles in flight can leave the workers idle.
"""

from __future__ import annotations

import statistics

from ansible_collections.distrant.distcc.plugins.module_utils._client_log import stranded as _stranded
from ansible_collections.distrant.distcc.plugins.module_utils._cpu_account import parse_account_log

MODEL_WORKERS = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]
# How busy the model must keep the master for it to count as the limit of the build
MASTER_SATURATED = 0.95


def median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 1) if values else None


def cpu_spent(run, host, master=None):
    if host == master and run.get("host_cpu_seconds") is not None:
        return run["host_cpu_seconds"]  # read by the module around the timed job itself
    before, after = run.get("cpu_before", {}).get(host), run.get("cpu_after", {}).get(host)
    return after - before if before is not None and after is not None else None


def stranded(run):
    """Objects a run compiled on the master for another reason than a localhost slot or distcc's own rules."""
    return sum(_stranded(run.get("local_reasons") or {}).values())


BREAKDOWN_PARTS = ("master", "make", "client", "include_server", "accounting", "other")


def breakdown_median(runs):
    """The median of each part of the master's CPU breakdown (distcc_build's cpu_breakdown) over the runs."""
    found = [r["cpu_breakdown"] for r in runs if r.get("cpu_breakdown")]
    if not found:
        return None
    out = {}
    for key in ["objects", "client_processes"] + [
            "%s_%s" % (part, unit) for part in BREAKDOWN_PARTS for unit in ("seconds", "per_object_ms")]:
        values = [b[key] for b in found if b.get(key) is not None]
        out[key] = round(statistics.median(values), 2) if values else None
    return out


WORKER_PARTS = ("worker", "compiler", "distccd", "accounting")


def worker_breakdown(runs, names, addresses):
    """Where each worker's CPU went in the runs measured with the compiler accounting on it (make bench's
    breakdown setups on a tcp farm), median of the runs: ``{worker: {objects, compiles, <part>_seconds,
    <part>_per_object_ms}}``, or None. worker = its CPU counter around the build; compiler = what the compilers
    distccd ran used, gcc with cc1 and as (recorded exactly per process by the accounting program on distccd's
    PATH); accounting = that program's own; distccd = the rest: distccd itself (accepting, receiving and writing
    the headers, lzo, cleaning up), and whatever else ran on the worker."""
    found = {}
    for run in runs:
        for name, log in (run.get("worker_account") or {}).items():
            address = addresses[names.index(name)] if name in names and len(addresses) == len(names) else name
            objects = (run.get("jobs_per_host") or {}).get(address)
            total = cpu_spent(run, name)
            compiles, compiler, accounting = parse_account_log(log)
            if not objects or total is None or not compiles:
                continue
            found.setdefault(name, []).append({
                "objects": objects, "compiles": compiles, "worker_seconds": total, "compiler_seconds": compiler,
                "accounting_seconds": accounting, "distccd_seconds": total - compiler - accounting})
    out = {}
    for name, measured in sorted(found.items()):
        row = {key: round(statistics.median(m[key] for m in measured), 2) for key in measured[0]}
        for part in WORKER_PARTS:
            row[part + "_per_object_ms"] = round(statistics.median(
                1000.0 * m[part + "_seconds"] / m["objects"] for m in measured), 1)
        out[name] = row
    return out or None


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
        "cpu_breakdown": breakdown_median(runs),  # a setup run with cpu_breakdown (its time carries the cost)
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
        "objects": max(r["objects"] for r in runs),  # a local build's from its compile log
        "cpu_seconds_median": {h: median(cpu_spent(r, h, hosts[0]) for r in runs) for h in hosts},
        "all_ok": all(r["rc"] == 0 for r in runs),
    }


def used_workers(hosts, addresses):
    """Indexes of the lab's workers that a host list (as the build used it) names: ADDRESS[:PORT][/LIMIT][,OPTIONS]
    over tcp, [USER]@ADDRESS[/LIMIT][:COMMAND][,OPTIONS] over ssh."""
    names = {entry.split("@", 1)[-1].split("/", 1)[0].split(",", 1)[0].split(":", 1)[0] for entry in hosts.split()}
    return [i for i, address in enumerate(addresses) if address in names]


def throughput(customers, queues, delay):
    """Objects per second of a closed network (exact mean value analysis): ``customers`` compiles in flight,
    each visiting processor-sharing stations with these demands (seconds per object) and a pure delay."""
    lengths = [0.0] * len(queues)
    rate = 0.0
    for n in range(1, customers + 1):
        times = [demand * (1 + length) for demand, length in zip(queues, lengths)]
        rate = n / (delay + sum(times))
        lengths = [rate * t for t in times]
    return rate


def model(local, measured, master_cpus, worker_cpus, workers_measured):
    """Predicted wall time and speedup for 1..64 workers from one workers-only setup (no speedup without local).

    The build is the prepare phase (serial, on the master) and then ``objects`` compiles, ``slots`` per worker in
    flight (make -j). Each compile costs the master c_m CPU-seconds (make, Kbuild, the client, the include server)
    and a worker c_w; a host of C CPUs is a processor-sharing queue of demand c/C, and a single-threaded process
    cannot use more than one CPU (the rest of c, c (1 - 1/C), is a delay: Seidmann's approximation). The latency
    Z (seconds per compile spent on no CPU: connections, distcc's lock polling) is fitted so that the model
    reproduces the calibration setup; mean value analysis gives the throughput for k workers.
    """
    objects = measured["objects"]
    prepare = measured["prepare"] or 0.0
    if not measured["cpu_master"] or not measured["cpu_workers"] or not objects:
        return None
    # the prepare phase keeps the master busy on its own: Kbuild's preparation is mostly one process at a time,
    # so it uses one CPU of a bigger master (all of a smaller one)
    c_m = max(measured["cpu_master"] - prepare * min(master_cpus, 1.0), 0.01 * measured["cpu_master"]) / objects
    c_w = measured["cpu_workers"] / objects
    slots = max(1, int(round(int(measured["jobs"]) / float(workers_measured))))
    fixed = c_m * max(0.0, 1 - 1 / master_cpus) + c_w * max(0.0, 1 - 1 / worker_cpus)

    def rate(k, latency):
        return throughput(k * slots, [c_m / master_cpus] + [c_w / (k * worker_cpus)] * k, latency + fixed)

    def wall(k, latency):
        return prepare + objects / rate(k, latency)

    target = measured["wall"]
    latency = 0.0
    if wall(workers_measured, 0.0) < target:
        high = 1.0
        while wall(workers_measured, high) < target and high < 1e4:
            high *= 2
        for _step in range(50):
            middle = (latency + high) / 2
            latency, high = (middle, high) if wall(workers_measured, middle) < target else (latency, middle)
    # a calibration faster than the model at zero latency (CPU counters that saw more than the build) is
    # reproduced by a constant (negative) offset
    offset = target - wall(workers_measured, latency)
    points = []
    for k in sorted(set(MODEL_WORKERS + list(range(1, 9)))):
        x = rate(k, latency)
        seconds = prepare + objects / x + offset
        points.append({"workers": k, "wall_seconds": round(seconds, 1),
                       "speedup": round(local / seconds, 2) if local else None,
                       "ideal_speedup": round((master_cpus + k * worker_cpus) / master_cpus, 2),
                       "master_busy": round(min(1.0, x * c_m / master_cpus), 2),
                       "workers_busy": round(min(1.0, x * c_w / (k * worker_cpus)), 2)})
    floor = max(prepare + objects * c_m / master_cpus + offset, 0.1)
    # the first number of workers with which the model keeps the master (nearly) always busy
    saturated = next((p["workers"] for p in points if p["master_busy"] >= MASTER_SATURATED), None)
    return {
        "master_cpu_seconds": round(measured["cpu_master"], 1),
        "worker_cpu_seconds": round(measured["cpu_workers"], 1),
        "objects": objects,
        "prepare_seconds": round(prepare, 1),
        "master_ms_per_object": round(1000 * c_m, 1),
        "worker_ms_per_object": round(1000 * c_w, 1),
        "slots_per_worker": slots,
        "latency_ms_per_object": round(1000 * latency, 1),
        "offset_seconds": round(offset, 1),
        "master_bound_from_workers": round(c_w * master_cpus / (c_m * worker_cpus), 1),
        "master_saturated_from_workers": saturated,
        "max_speedup": round(local / floor, 2) if local else None,
        "points": points,
    }


def setups_of(raw, master_cpus, worker_cpus):
    """Each setup's summary, with the workers it used, its ideal speedup, its speedup and efficiency over local."""
    names = raw["worker_names"]
    addresses = raw.get("worker_addresses", [])
    hosts = [raw["master"]["name"]] + names
    setups = []
    for setup in raw["setups"]:
        runs = [r for r in raw["runs"] if r["setup"] == setup["name"]]
        if not runs:
            continue
        summary = summarize(setup, runs, hosts)
        summary["worker_breakdown"] = worker_breakdown([r for r in runs if not r.get("refused")], names, addresses)
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
    return setups, base


def calibration(setups, pump, master, names):
    """The mode's workers-only setup (no localhost, every worker): plain, and auto (the collection's policy,
    before any other pump-mode setup such as auto-2x) on a 1+4 lab."""
    candidates = [s for s in setups if s["hosts"] and s["pump"] == pump and not s["scaling"]
                  and not s["cpu_breakdown"] and "localhost" not in s["hosts"] and not s["all_refused"]]
    setup = next((s for s in candidates if s["name"] == "auto"), candidates[0] if candidates else None)
    if not setup:
        return None, None
    cpu = setup["cpu_seconds_median"]
    workers = [cpu.get(n) for n in names]
    return ({"name": setup["name"], "wall": setup["wall_median_seconds"], "cpu_master": cpu.get(master),
             "cpu_workers": sum(w for w in workers if w) if any(workers) else None, "objects": setup["objects"],
             "prepare": setup["prepare_median_seconds"], "jobs": setup["jobs"]}, setup["workers_used"])


def model_checks(pump_model, setups):
    """The pump model's prediction beside each measured scaling row (pump-<k>w)."""
    if not pump_model:
        return []
    predicted = {p["workers"]: p for p in pump_model["points"]}
    # the scaling rows, and the calibration setup itself (all the workers): the model reproduces it
    rows = [s for s in setups if (s["scaling"] or s["name"] == pump_model.get("calibration_setup"))
            and s["workers_used"] in predicted and not s["all_refused"]]
    rows.sort(key=lambda s: (s["workers_used"], not s["scaling"]))
    one = next((s["wall_median_seconds"] for s in rows if s["workers_used"] == 1), None)
    return [{"workers": s["workers_used"], "setup": s["name"], "calibration": not s["scaling"],
             "measured_seconds": s["wall_median_seconds"],
             "predicted_seconds": predicted[s["workers_used"]]["wall_seconds"],
             "error": round(predicted[s["workers_used"]]["wall_seconds"] / s["wall_median_seconds"] - 1, 3),
             # measured: how much faster than the first worker alone, on the same master
             "over_one_worker": round(one / s["wall_median_seconds"], 2) if one else None}
            for s in rows]


def _median_of(runs, key):
    """The median of a fact over the runs that have it (None when none has)."""
    values = [r[key] for r in runs if r.get(key) is not None]
    return round(statistics.median(values), 2) if values else None


def analyse(raw):
    """benchmark.json's content from benchmark-raw.json's: the setups, the cluster, the model and its checks."""
    master = raw["master"]["name"]
    master_cpus = float(raw["master"]["cpu"]["effective_cpus"])
    worker_cpus = [float(w["effective_cpus"]) for w in raw["workers"]]
    names = raw["worker_names"]
    setups, base = setups_of(raw, master_cpus, worker_cpus)
    models = {}
    mean_worker = statistics.mean(worker_cpus) if worker_cpus else 0
    for mode, pump in (("plain", False), ("pump", True)):
        point, k0 = calibration(setups, pump, master, names)
        found = model(base, point, master_cpus, mean_worker, k0) if point and k0 else None
        if found:  # no model without the CPU counters or the objects of its setup
            models[mode] = found
            models[mode]["calibrated_on"] = "%s (%d worker%s)" % (point["name"], k0, "s" if k0 > 1 else "")
            models[mode]["calibration_setup"] = point["name"]
    first = raw["runs"][0]
    return {
        "kernel_version": first["kernel_version"],
        "config": first["config"],
        "target": raw.get("target", "all"),
        "project": raw.get("project"),
        "configure_seconds_median": _median_of(raw["runs"], "configure_seconds"),
        # the job's objects as distcc counts them (a local build counts its own the same way)
        "objects": max([r["objects"] for r in raw["runs"] if r.get("hosts")] or [r["objects"] for r in raw["runs"]]),
        "cluster": {"master": {"name": master, "cpus": master_cpus},
                    "workers": [{"name": n, "cpus": c} for n, c in zip(names, worker_cpus)]},
        "ideal_speedup": round((master_cpus + sum(worker_cpus)) / master_cpus, 2),
        "setups": setups,
        "model": models,
        "model_check": model_checks(models.get("pump"), setups),
    }
