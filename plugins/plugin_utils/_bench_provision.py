# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make bench-provision`: how long a re-run of site.yml takes on a converged lab.

Runs playbooks/site.yml with the build off N times (DISTRANT_BENCH_PROVISION_RUNS, default 5),
then once in check mode, through the lab's inventory, and prints, per run: the wall time, the
changed/failed counts of every host, and whether the output had a red line (`fatal:` or
`FAILED!`). Writes reports/provision.md and reports/provision.json. It is a benchmark, not a
test: it fails only when a run fails, changes something or prints a red line.
lab/lab.sh runs main() from the repository's root, the collection on the Python path.
"""

from __future__ import annotations

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
RED = re.compile(r"^(?:fatal: |.*FAILED!).*$", re.M)  # the whole line
ANSI = re.compile(r"\x1b\[[0-9;]*m")
REPORT_DIR = "reports"


def recap(output):
    """PLAY RECAP rows of an ansible-playbook output: {host: {ok, changed, ...}}."""
    return {
        m.group("host"): {k: int(v) for k, v in m.groupdict().items() if k != "host"}
        for m in RECAP.finditer(ANSI.sub("", output))
    }


def red_lines(output):
    """Lines a user reads as an error."""
    return [m.group(0) for m in RED.finditer(ANSI.sub("", output))]


def measured(mode, wall, rc, output, log_path):
    """One run's entry of provision.json from its ansible-playbook output."""
    hosts = recap(output)
    return {
        "mode": mode,
        "wall_seconds": wall,
        "rc": rc,
        "hosts": hosts,
        "changed": sum(h["changed"] for h in hosts.values()),
        "failed": sum(h["failed"] + h["unreachable"] for h in hosts.values()),
        "tasks": sum(h["ok"] + h["changed"] + h["skipped"] + h["failed"] for h in hosts.values()),
        "red_lines": red_lines(output),
        "log": log_path,
    }


def run(extra, log_path):
    """Run site.yml with the build off (and these extra arguments) through the lab's inventory."""
    cmd = ["ansible-playbook", "-i", "inventories/vagrant.yml", "playbooks/site.yml",
           "-e", "distcc_site_build=false"] + extra
    start = time.monotonic()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    wall = round(time.monotonic() - start, 2)
    with open(log_path, "w", encoding="utf-8") as log:
        log.write(proc.stdout)
    return measured("check" if "--check" in extra else "run", wall, proc.returncode, proc.stdout, log_path)


def summarize(runs):
    """provision.json's content: the runs, their hosts, the median and spread of the plain runs, check mode's time."""
    plain = [r for r in runs if r["mode"] == "run"]
    walls = [r["wall_seconds"] for r in plain]
    check = [r for r in runs if r["mode"] == "check"]
    return {
        "runs": runs,
        "hosts": sorted(plain[0]["hosts"]) if plain else [],
        "median_seconds": statistics.median(walls) if walls else None,
        "spread_seconds": round(max(walls) - min(walls), 2) if walls else None,
        "check_seconds": check[-1]["wall_seconds"] if check else None,
    }


def markdown(summary):
    """provision.md's lines."""
    hosts = summary["hosts"]
    plain = [r for r in summary["runs"] if r["mode"] == "run"]
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
    for i, r in enumerate(summary["runs"]):
        name = "check" if r["mode"] == "check" else str(i + 1)
        lines.append(f"| {name} | {r['wall_seconds']} | {r['changed']} | {r['failed']} | {r['tasks']} "
                     f"| {len(r['red_lines'])} |")
    return lines


def not_clean(runs):
    """The runs that failed, changed something or printed a red line."""
    return [r for r in runs if r["rc"] != 0 or r["changed"] or r["failed"] or r["red_lines"]]


def main(environ=None):
    # imported here: _bench_report imports this module for its summary
    from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_plan import BenchError, whole_number
    from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_report import write

    try:
        runs_wanted = whole_number("BENCH_PROVISION_RUNS", {}, os.environ if environ is None else environ, 5,
                                   low=1, high=100)
    except BenchError as error:
        sys.exit(str(error))
    os.makedirs(REPORT_DIR, exist_ok=True)
    runs = []
    for i in range(runs_wanted):
        runs.append(run([], f"{REPORT_DIR}/provision-run-{i + 1}.log"))
        print(f"run {i + 1}: {runs[-1]['wall_seconds']} s, changed={runs[-1]['changed']}", flush=True)
    runs.append(run(["--check"], f"{REPORT_DIR}/provision-check.log"))
    print(f"check mode: {runs[-1]['wall_seconds']} s, changed={runs[-1]['changed']}", flush=True)
    print("\n".join(write("provision", REPORT_DIR, runs)))
    bad = not_clean(runs)
    for r in bad:
        sys.stderr.write(f"{r['mode']} run not clean (rc {r['rc']}, changed {r['changed']}, failed "
                         f"{r['failed']}, red lines {r['red_lines'][:3]}): see {r['log']}\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
