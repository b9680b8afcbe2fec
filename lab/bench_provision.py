"""`make bench-provision`: how long a re-run of site.yml takes on a converged lab.

Runs playbooks/site.yml with the build off N times (DISTRANT_BENCH_PROVISION_RUNS, default 5),
then once in check mode, through the lab's inventory, and prints, per run: the wall time, the
changed/failed counts of every host, and whether the output had a red line (`fatal:` or
`FAILED!`). Writes reports/provision.md and reports/provision.json. It is a benchmark, not a
test: it fails only when a run fails, changes something or prints a red line.
"""

import json
import os
import re
import statistics
import subprocess
import sys
import time

RECAP = re.compile(
    r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
    r"\s+failed=(?P<failed>\d+)\s+skipped=(?P<skipped>\d+)",
    re.M,
)
RED = re.compile(r"^(fatal: |.*FAILED!)", re.M)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def recap(output):
    """PLAY RECAP rows of an ansible-playbook output: {host: {ok, changed, ...}}."""
    return {
        m.group("host"): {k: int(v) for k, v in m.groupdict().items() if k != "host"}
        for m in RECAP.finditer(ANSI.sub("", output))
    }


def red_lines(output):
    """Lines a user reads as an error."""
    return [m.group(0) for m in RED.finditer(ANSI.sub("", output))]


def run(extra, log_path):
    cmd = ["ansible-playbook", "-i", "inventories/vagrant.yml", "playbooks/site.yml",
           "-e", "distcc_site_build=false"] + extra
    start = time.monotonic()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    wall = round(time.monotonic() - start, 2)
    with open(log_path, "w", encoding="utf-8") as log:
        log.write(proc.stdout)
    hosts = recap(proc.stdout)
    return {
        "mode": "check" if "--check" in extra else "run",
        "wall_seconds": wall,
        "rc": proc.returncode,
        "hosts": hosts,
        "changed": sum(h["changed"] for h in hosts.values()),
        "failed": sum(h["failed"] + h["unreachable"] for h in hosts.values()),
        "tasks": sum(h["ok"] + h["changed"] + h["skipped"] + h["failed"] for h in hosts.values()),
        "red_lines": red_lines(proc.stdout),
        "log": log_path,
    }


def main():
    runs_wanted = int(os.environ.get("DISTRANT_BENCH_PROVISION_RUNS", "5"))
    if not 1 <= runs_wanted <= 100:
        sys.exit(f"DISTRANT_BENCH_PROVISION_RUNS must be 1..100, got {runs_wanted}")
    os.makedirs("reports", exist_ok=True)
    runs = []
    for i in range(runs_wanted):
        runs.append(run([], f"reports/provision-run-{i + 1}.log"))
        print(f"run {i + 1}: {runs[-1]['wall_seconds']} s, changed={runs[-1]['changed']}", flush=True)
    runs.append(run(["--check"], "reports/provision-check.log"))
    print(f"check mode: {runs[-1]['wall_seconds']} s, changed={runs[-1]['changed']}", flush=True)

    plain = [r for r in runs if r["mode"] == "run"]
    walls = [r["wall_seconds"] for r in plain]
    hosts = sorted(plain[0]["hosts"])
    summary = {
        "runs": runs,
        "hosts": hosts,
        "median_seconds": statistics.median(walls),
        "spread_seconds": round(max(walls) - min(walls), 2),
        "check_seconds": runs[-1]["wall_seconds"],
    }
    with open("reports/provision.json", "w", encoding="utf-8") as out:
        json.dump(summary, out, indent=2)
        out.write("\n")
    lines = [
        "# site.yml re-run on the converged lab (build off)",
        "",
        f"{len(hosts)} hosts ({', '.join(hosts)}); median of {len(plain)} runs "
        f"**{summary['median_seconds']} s** (spread {summary['spread_seconds']} s); "
        f"check mode {summary['check_seconds']} s.",
        "",
        "| run | wall s | changed | failed | tasks | red lines |",
        "|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(runs):
        name = "check" if r["mode"] == "check" else str(i + 1)
        lines.append(f"| {name} | {r['wall_seconds']} | {r['changed']} | {r['failed']} | {r['tasks']} "
                     f"| {len(r['red_lines'])} |")
    with open("reports/provision.md", "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    print("\n".join(lines))

    bad = [r for r in runs if r["rc"] != 0 or r["changed"] or r["failed"] or r["red_lines"]]
    for r in bad:
        sys.stderr.write(f"{r['mode']} run not clean (rc {r['rc']}, changed {r['changed']}, failed "
                         f"{r['failed']}, red lines {r['red_lines'][:3]}): see {r['log']}\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
