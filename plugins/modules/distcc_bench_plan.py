#!/usr/bin/python
# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: distcc_bench_plan
short_description: Decide what one of the collection's benchmarks runs
version_added: 0.1.0
description:
  - Reads a benchmark's knobs and returns what its playbook runs; used by the collection's own
    benchmark playbooks (C(make bench), C(make bench-team), C(make bench-backoff)).
  - A knob is taken from its option when set (the playbook passes its extra var, for example
    C(-e distcc_bench_repeats=5) as O(repeats)), else from the controller's environment
    (C(DISTRANT_BENCH_REPEATS)), else its default. A bad value fails the task with a message
    naming the variable, what it must be and what it got.
  - O(bench=benchmark) returns the setups of C(make bench) from its catalog (local, seed, auto,
    auto-full, auto-prepared, breakdown, breakdown-full, plain, pump-localhost and the pump-<k>w
    scaling rows), with the host lists and C(make -j) the collection's host list policy gives
    the master and workers passed in.
  - O(bench=team) returns the team benchmark's rounds and this master's host lists (the team's,
    and the one it would have on a farm of its own).
  - O(bench=backoff) returns the backoff periods and cases to measure.
  - O(bench=ccache) returns the warm-rebuild benchmark's rounds (cold without ccache against
    cold through ccache with every cache empty, then the warm rows) for the masters and the
    farm's cache host given.
  - O(bench=configure) returns the rounds and the configure variants of C(make bench-configure)
    (C(plain), C(-C) with a warm C(config.cache), a warm ccache, distcc) for the project of O(project),
    which it needs.
  - Runs on the controller; nothing is started on the host. Never changes anything.
options:
  bench:
    description: Which benchmark to plan.
    type: str
    choices: [benchmark, team, backoff, ccache, configure]
    default: benchmark
  repeats:
    description:
      - Builds per setup (O(bench=benchmark), default 3) or rounds (O(bench=team), default 1;
        O(bench=configure), default 2);
        a whole number of at least 1. Environment C(DISTRANT_BENCH_REPEATS).
    type: raw
  target:
    description:
      - What is built; C(all) (the default) is the whole job from a fresh config, anything else
        the make targets of a prepared tree (C(make clean) between builds).
        Environment C(DISTRANT_BENCH_TARGET).
    type: raw
  config:
    description: The config target of the reset (target C(all) only; default C(tinyconfig)). Environment C(DISTRANT_BENCH_CONFIG).
    type: raw
  min_remote_share:
    description:
      - The share of the objects, from 0 to 1, a workers-only setup must compile on the workers
        (half of it with a localhost slot; default 0.9). Environment C(DISTRANT_BENCH_MIN_REMOTE_SHARE).
    type: raw
  setups:
    description:
      - A subset of the setups, by name (a comma list or a list); an unknown name fails the task
        with the list of the names. Environment C(DISTRANT_BENCH_SETUPS).
    type: raw
  scaling:
    description:
      - "Whether the pump-1w..pump-<N>w rows run: C(auto) (the default: with two workers or
        more), C(true) or C(false). Environment C(DISTRANT_BENCH_SCALING)."
    type: raw
  project:
    description:
      - A project to measure instead of the kernel, C(KIND:LOCATION) (for example
        C(debian:yaml-cpp)) or a JSON object (or mapping) of C(project.yml)'s variables holding
        C(distcc_project_source). Environment C(DISTRANT_BENCH_PROJECT).
    type: raw
  backoff_periods:
    description:
      - The C(DISTCC_BACKOFF_PERIOD) values to measure, seconds, a comma list or a list
        (default C(0,10,60)). Environment C(DISTRANT_BENCH_BACKOFF_PERIODS).
    type: raw
  caches:
    description: The hosts of C(distcc_caches) (O(bench=ccache); the first one serves the farm's cache).
    type: list
    elements: str
    default: []
  remote_storage:
    description:
      - "Each master's remote storage as the distcc_master role exports it, C({master: {shown, missing}})
        (O(bench=ccache)): a master without the farm's cache is refused before anything runs."
    type: dict
    default: {}
  master_cpus:
    description: The master's effective CPUs (C(distcc_cpu_info)). Required with O(bench=benchmark).
    type: float
  workers:
    description:
      - The workers in the inventory's order, C({address, cpus}) each with O(bench=benchmark),
        C({address, stats_port}) each with O(bench=team).
    type: list
    elements: dict
    default: []
  masters:
    description: The team's masters (O(bench=team)); at least two.
    type: list
    elements: str
    default: []
  hosts_file:
    description: The content of C(/etc/distcc/hosts) as the distcc_master role wrote it.
    type: str
    default: ""
  client:
    description: The distcc client of the auto setups (the role's where it built one, else C(distcc)).
    type: str
    default: distcc
  kbuild_lean:
    description: Whether the auto setups build with C(kbuild_lean) (C(site.yml)'s C(distcc_site_kbuild_lean)).
    type: bool
    default: true
  kernel_config:
    description: The kernel config of a fresh tree in the team benchmark (C(distcc_master_kernel_config)).
    type: str
    default: tinyconfig
  network:
    description: The cluster network; its address .250 stands for a worker that is gone (O(bench=backoff)).
    type: str
    default: 10.200.1.0/24
extends_documentation_fragment:
  - distrant.distcc.controller
  - distrant.distcc.read_only
seealso:
  - module: distrant.distcc.distcc_bench_report
author:
  - distrant.distcc contributors (@distrant)
"""

EXAMPLES = r"""
- name: Read the knobs and pick the setups
  distrant.distcc.distcc_bench_plan:
    bench: benchmark
    repeats: "{{ distcc_bench_repeats | default(omit) }}"
    master_cpus: 2
    workers:
      - {address: 10.200.1.3, cpus: 4}
    hosts_file: "10.200.1.3/8,cpp,lzo\n"
  register: distcc_bench_plan

- name: Read the backoff periods
  distrant.distcc.distcc_bench_plan:
    bench: backoff
    hosts_file: "{{ hosts_file.content | b64decode }}"
  register: distcc_bench_plan
"""

RETURN = r"""
repeats:
  description: Builds per setup (benchmark) or rounds (team).
  returned: O(bench=benchmark) or O(bench=team)
  type: int
  sample: 3
target:
  description: What is built (C(all), or make targets).
  returned: O(bench=benchmark) or O(bench=team)
  type: str
  sample: all
config:
  description: The config target of the reset.
  returned: O(bench=benchmark)
  type: str
  sample: tinyconfig
min_remote_share:
  description: The knob, before a setup with a localhost slot halves it.
  returned: O(bench=benchmark)
  type: float
  sample: 0.9
scaling:
  description: C(auto), true or false.
  returned: O(bench=benchmark)
  type: raw
  sample: auto
project:
  description: The project's variables for the distcc_project role (empty for the kernel).
  returned: O(bench=benchmark)
  type: dict
  sample: {distcc_project_source: {debian: yaml-cpp}}
setups:
  description:
    - The setups to run, in order, as the raw report keeps them; each has C(name),
      C(description), C(distcc), C(jobs), C(hosts) and, as the setup needs, C(min_remote_share),
      C(client), C(kbuild_lean), C(cpu_breakdown), C(environment), C(prepare), C(reset), C(workers).
  returned: O(bench=benchmark)
  type: list
  elements: dict
  sample: [{name: local, description: "gcc on the master alone", distcc: false, jobs: auto, hosts: ""}]
fresh_setups:
  description: The setups whose runs start from an unpacked tree with a fresh C(.config) (the others get C(make clean)).
  returned: O(bench=benchmark)
  type: list
  elements: str
  sample: [local, seed, auto]
reset:
  description: The make targets that reset a master's tree before a team build (untimed).
  returned: O(bench=team)
  type: list
  elements: str
  sample: [distclean, tinyconfig]
host_lists:
  description: This master's host list in the team (C(team)) and on a farm of its own (C(own)).
  returned: O(bench=team)
  type: dict
  sample: {team: "10.200.1.4/4,cpp,lzo 10.200.1.3/4,cpp,lzo", own: "10.200.1.3/4,cpp,lzo 10.200.1.4/4,cpp,lzo"}
own_farm_differs:
  description: Whether the host list of a farm of its own differs from the team's (then it is built apart).
  returned: O(bench=team)
  type: bool
  sample: true
stats_endpoints:
  description: The workers' stats pages, C(ADDRESS:PORT).
  returned: O(bench=team)
  type: list
  elements: str
  sample: ["10.200.1.3:3633"]
periods:
  description: The backoff periods to measure, seconds.
  returned: O(bench=backoff)
  type: list
  elements: int
  sample: [0, 10, 60]
cases:
  description: Every C([period, case]) to run, C(case) being C(transient) or C(gone).
  returned: O(bench=backoff)
  type: list
  elements: list
  sample: [[0, transient], [0, gone]]
entry:
  description: The first worker's pump entry of the host list.
  returned: O(bench=backoff)
  type: str
  sample: 10.200.1.3/4,cpp,lzo
gone:
  description: An entry for an address of the network that nobody has.
  returned: O(bench=backoff)
  type: str
  sample: 10.200.1.250/4,cpp,lzo
"""
