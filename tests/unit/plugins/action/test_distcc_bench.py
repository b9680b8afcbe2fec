"""distcc_bench_plan and distcc_bench_report in a real ansible-playbook run on localhost: the knobs from the
environment and from extra vars, a bad knob's message, and the reports written from a recorded run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import _ROOT

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "plugin_utils", "fixtures")
PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  vars_files: [parts.json]
  tasks:
    - name: Plan the benchmark
      distrant.distcc.distcc_bench_plan:
        repeats: "{{ distcc_bench_repeats | default(omit) }}"
        setups: "{{ distcc_bench_setups | default(omit) }}"
        master_cpus: 0.4
        workers: [{address: 10.200.1.3, cpus: 1.6}, {address: 10.200.1.4, cpus: 1.6}]
        hosts_file: "localhost/1 10.200.1.3/4,cpp,lzo 10.200.1.4/4,cpp,lzo"
      register: plan
    - name: Show it
      ansible.builtin.debug:
        msg: "PLAN {{ plan | to_json }}"
    - name: A bad knob
      distrant.distcc.distcc_bench_plan:
        bench: backoff
        backoff_periods: "0,ten"
        hosts_file: "10.200.1.3/4,cpp,lzo"
      ignore_errors: true
      register: bad
    - name: Show its message
      ansible.builtin.debug:
        msg: "BAD {{ bad.msg }}"
    - name: The benchmark's report from a recorded run
      distrant.distcc.distcc_bench_report:
        bench: benchmark
        dest: "{{ playbook_dir }}/reports"
        plan: "{{ recorded_plan }}"
        runs: "{{ runs }}"
        master: "{{ master }}"
        workers: "{{ workers }}"
      register: report
    - name: The backoff report
      distrant.distcc.distcc_bench_report:
        bench: backoff
        dest: "{{ playbook_dir }}/reports"
        runs: [{case: gone, period: 10, build: {wall_seconds: 70, remote_objects: 200, objects: 210, failed_remote: 3,
                                                local_reasons: {connection_failed: 10}}}]
      register: backoff
    - name: Show the files
      ansible.builtin.debug:
        msg: "FILES {{ (report.files + backoff.files) | join(',') }} {{ backoff.lines[-1] }}"
"""


def test_the_plan_and_the_reports(tmp_path):
    with open(os.path.join(FIXTURES, "benchmark-raw-3-workers.json")) as handle:
        raw = json.load(handle)
    parts = {
        "recorded_plan": {"setups": raw["setups"], "target": raw["target"], "config": raw["config"], "project": {}},
        "runs": raw["runs"], "master": raw["master"],
        "workers": [{"name": n, "address": a, "cpu": c}
                    for n, a, c in zip(raw["worker_names"], raw["worker_addresses"], raw["workers"])],
    }
    (tmp_path / "parts.json").write_text(json.dumps(parts))
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=_ROOT, ANSIBLE_NOCOLOR="1", ANSIBLE_HOME=str(tmp_path / "home"),
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_FORCE_COLOR="0",
               DISTRANT_BENCH_REPEATS="2", DISTRANT_BENCH_SETUPS="local,auto,pump-2w", DISTRANT_BENCH_SCALING="")
    env.pop("DISTRANT_BENCH_BACKOFF_PERIODS", None)
    bindir = os.path.dirname(sys.executable)
    proc = subprocess.run([os.path.join(bindir, "ansible-playbook"), "-i", "localhost,", "-c", "local",
                           "-e", "distcc_bench_setups=local,pump-2w", str(tmp_path / "play.yml")],
                          env=env, capture_output=True, text=True, check=False, cwd=tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    plan = json.loads(proc.stdout.split('"PLAN ', 1)[1].split('"\n', 1)[0].encode().decode("unicode_escape"))
    assert plan["repeats"] == 2  # the environment
    assert [s["name"] for s in plan["setups"]] == ["local", "pump-2w"]  # the extra var over the environment
    assert plan["fresh_setups"] == ["local", "pump-2w"] and plan["changed"] is False
    assert "BAD distcc_bench_backoff_periods must be a comma list of seconds >= 0 (e.g. 0,10,60), got '0,ten'" in out
    assert ("FILES benchmark-raw.json,benchmark.json,benchmark.md,benchmark.svg,backoff.md "
            "| gone | 10 s | 70.0 s | 200 of 210 | 3 | connection_failed 10 |") in out
    with open(tmp_path / "reports" / "benchmark-raw.json") as handle:
        assert json.load(handle) == dict(raw, project=None)
    assert "| pump-2w |" in (tmp_path / "reports" / "benchmark.md").read_text()
