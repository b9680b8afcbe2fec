#!/usr/bin/python
# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: distcc_bench_report
short_description: Write the report of one of the collection's benchmarks
version_added: 0.1.0
description:
  - Assembles the raw measurements of a benchmark from what its playbook collected, and writes
    them and the report into O(dest) on the controller; used by the collection's own benchmark
    playbooks (C(make bench), C(make bench-team), C(make bench-backoff), C(make bench-ccache),
    C(make bench-configure)).
  - O(bench=benchmark) writes C(benchmark-raw.json), C(benchmark.json), C(benchmark.md) and
    C(benchmark.svg); O(bench=team) C(bench-team-raw.json), C(bench-team.json) and
    C(bench-team.md); O(bench=backoff) C(backoff.md); O(bench=ccache) C(bench-ccache.json) and
    C(bench-ccache.md); O(bench=configure) C(bench-configure-raw.json), C(bench-configure.json) and
    C(bench-configure.md).
  - Runs on the controller; nothing is started on the host.
options:
  bench:
    description: Which benchmark's report to write.
    type: str
    choices: [benchmark, team, backoff, ccache, configure]
    required: true
  dest:
    description: The report directory on the controller (created when missing).
    type: path
    required: true
  runs:
    description:
      - The measurements, one per build. O(bench=benchmark) C({setup, repeat, refused, cpu_before,
        cpu_after}) with C(distcc_build)'s facts; O(bench=team) C({repeat, mode, master, start, hosts,
        build}); O(bench=backoff) C({case, period, build}); O(bench=configure) one per configure run,
        C({variant, repeat, rc, delta, cpu_before, cpu_after}) (C(rc) and C(delta) of the command's result, the
        master's CPU counter around it).
    type: list
    elements: dict
    required: true
  plan:
    description: What M(distrant.distcc.distcc_bench_plan) returned (O(bench=benchmark) and O(bench=team)).
    type: dict
    default: {}
  master:
    description: The master, C({name, cpu}) (C(cpu) being M(distrant.distcc.distcc_cpu_info)'s result; O(bench=benchmark)
      and O(bench=configure)).
    type: dict
  workers:
    description: The workers in the inventory's order, C({name, address, cpu}) each (O(bench=benchmark)).
    type: list
    elements: dict
    default: []
  project:
    description: The measured project's C(name), C(version), C(build_system) and C(target) (O(bench=benchmark) and
      O(bench=configure)).
    type: dict
  masters:
    description: The team's masters (O(bench=team)).
    type: list
    elements: str
    default: []
  samples:
    description: The workers' stats read while the masters built together (O(bench=team)).
    type: list
    elements: dict
    default: []
  host_lists:
    description: "Each master's host lists, C({master: {team, own}}) (O(bench=team))."
    type: dict
    default: {}
  lab:
    description: "What the lab's inventory says of its machines, C({provider: {host: name}, docker_cpus: {host: quota}})
      (O(bench=ccache)), for the report's machine line."
    type: dict
    default: {}
  configure_args:
    description: The project's configure arguments, for the report (O(bench=configure)).
    type: list
    elements: str
    default: []
  builds:
    description:
      - The build setups of the same project's C(make bench) report, C({name, wall_median_seconds}) each
        (O(bench=configure)); the whole job, configure included, is their median plus configure's.
    type: list
    elements: dict
    default: []
extends_documentation_fragment:
  - distrant.distcc.controller
attributes:
  check_mode:
    support: none
    description: Skipped in check mode (a benchmark measures real builds).
  diff_mode:
    support: none
    description: Writes files the run makes anew; no diff.
seealso:
  - module: distrant.distcc.distcc_bench_plan
author:
  - distrant.distcc contributors (@distrant)
"""

EXAMPLES = r"""
- name: Write the backoff report
  distrant.distcc.distcc_bench_report:
    bench: backoff
    dest: "{{ playbook_dir | dirname }}/reports"
    runs: "{{ backoff_runs }}"
  register: backoff_report

- name: Show the table
  ansible.builtin.debug:
    msg: "{{ backoff_report.lines }}"
"""

RETURN = r"""
lines:
  description: The table to show at the end of the run (the report's main table).
  returned: success
  type: list
  elements: str
  sample: ["| case | period | wall | on the workers | failed remote attempts | on the master (why) |"]
dest:
  description: The report directory.
  returned: success
  type: str
  sample: /home/user/distrant/reports
files:
  description: The files written into O(dest).
  returned: success
  type: list
  elements: str
  sample: [backoff.md]
"""
