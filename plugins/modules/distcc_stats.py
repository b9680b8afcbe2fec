#!/usr/bin/python
# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: distcc_stats
short_description: Read the workers' distccd stats pages, once or sampled over a build
version_added: 0.1.0
description:
  - Reads the plain-text page each worker's distccd serves on its stats port (C(--stats),
    distcc_worker_stats_port). distccd applies its ACL to that port too, so run this on a master.
  - Returns distccd's own counters, its C(--jobs) (C(dcc_max_kids)) and the compiles in flight
    (every accepted connection ends in exactly one result counter, so accepted minus ended).
  - With O(duration), reads every page again every O(interval) seconds and keeps the highest
    number in flight seen on each worker. Run it with C(async) beside builds to check that no
    worker ever ran more compiles than its C(--jobs).
  - Reads only; never changes anything.
options:
  endpoints:
    description: The stats pages to read, as C(ADDRESS:PORT) (the worker's private address, its stats port).
    type: list
    elements: str
    required: true
  timeout:
    description: Seconds to wait for each page.
    type: float
    default: 5
  duration:
    description: Keep sampling for this many seconds (0 reads each page once).
    type: float
    default: 0
  interval:
    description: Seconds between two readings of the pages while sampling.
    type: float
    default: 0.5
  until_file:
    description: Stop sampling as soon as this file exists on the host the module runs on.
    type: path
extends_documentation_fragment:
  - distrant.distcc.read_only
author:
  - distrant.distcc contributors (@distrant)
"""

EXAMPLES = r"""
- name: Read the workers' counters from the first master
  distrant.distcc.distcc_stats:
    endpoints: ["10.200.1.3:3633", "10.200.1.4:3633"]
  delegate_to: "{{ groups['distcc_masters'][0] }}"
  register: stats

- name: Sample them for the length of a build (started with async, stopped by a file)
  distrant.distcc.distcc_stats:
    endpoints: ["10.200.1.3:3633"]
    duration: 1800
    until_file: /tmp/distcc-builds-done
  async: 1900
  poll: 0
  register: sampler
"""

RETURN = r"""
workers:
  description: Per endpoint, distccd's last page and what the samples saw.
  returned: always
  type: dict
  sample:
    "10.200.1.3:3633":
      jobs: 8
      in_flight: 0
      max_in_flight: 8
      samples: 412
      errors: 0
      counters: {dcc_tcp_accept: 902, dcc_compile_ok: 902, dcc_max_kids: 8}
  contains:
    jobs:
      description: distccd's C(--jobs) (C(dcc_max_kids)).
      type: int
    in_flight:
      description: Compiles in flight at the last reading.
      type: int
    max_in_flight:
      description: The most compiles in flight at any reading.
      type: int
    samples:
      description: Readings that succeeded.
      type: int
    errors:
      description: Readings that failed (the last error is in RV(workers.error)).
      type: int
    error:
      description: The last failed reading's error, if any.
      type: str
    counters:
      description: The last page's counters as distccd names them (C(dcc_compile_ok), C(dcc_max_kids), ...).
      type: dict
samples:
  description: Rounds of readings made.
  returned: always
  type: int
  sample: 412
"""

import os
import socket
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distrant.distcc.plugins.module_utils._distccd_stats import StatsError, parse_stats


def read_page(endpoint, timeout):
    host, port = endpoint.rsplit(":", 1)
    chunks = []
    with socket.create_connection((host, int(port)), timeout=timeout) as conn:
        conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            endpoints=dict(type="list", elements="str", required=True),
            timeout=dict(type="float", default=5),
            duration=dict(type="float", default=0),
            interval=dict(type="float", default=0.5),
            until_file=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    for endpoint in params["endpoints"]:
        host, sep, port = endpoint.rpartition(":")
        if not (host and sep) or not port.isdigit():
            module.fail_json(msg="endpoint %r must be ADDRESS:PORT, e.g. 10.200.1.3:3633 (a worker's stats port)"
                             % endpoint)
    if params["duration"] < 0 or params["interval"] <= 0 or params["timeout"] <= 0:
        module.fail_json(msg="duration must be 0 or more, interval and timeout above 0 (seconds); got %s, %s, %s"
                         % (params["duration"], params["interval"], params["timeout"]))
    workers = {e: {"samples": 0, "errors": 0, "max_in_flight": 0} for e in params["endpoints"]}
    deadline = time.monotonic() + params["duration"]
    rounds = 0
    while True:
        rounds += 1
        for endpoint, seen in workers.items():
            try:
                counters = parse_stats(read_page(endpoint, params["timeout"]))
            except (OSError, StatsError) as exc:
                seen["errors"] += 1
                seen["error"] = "%s: %s" % (endpoint, exc)
                continue
            seen["samples"] += 1
            seen.update(counters=counters, jobs=counters["jobs"], in_flight=counters["in_flight"],
                        max_in_flight=max(seen["max_in_flight"], counters["in_flight"]))
        done = time.monotonic() >= deadline or (params["until_file"] and os.path.exists(params["until_file"]))
        if done:
            break
        time.sleep(params["interval"])
    unread = sorted(e for e, seen in workers.items() if not seen["samples"])
    if unread:
        module.fail_json(msg="no distccd stats page could be read from %s (%s). The stats port answers only the "
                             "addresses in the worker's ACL: run this on a master, with distcc_worker_stats_port set."
                         % (", ".join(unread), "; ".join(workers[e]["error"] for e in unread)),
                         workers=workers, samples=rounds)
    module.exit_json(changed=False, workers=workers, samples=rounds)


if __name__ == "__main__":
    main()
