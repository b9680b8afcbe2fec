#!/usr/bin/python
# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: distcc_worker_status
short_description: What a worker's distccd is doing now, and what each master sent it
version_added: 0.1.0
description:
  - Runs on a worker. Counts the connections to distccd's port that its children serve now (compiles
    running) and those waiting in its listening socket's accept queue (compiles queued), from
    C(/proc/net/tcp), and reads distccd's C(--jobs) from its command line.
  - Counts distccd's job summaries in its log per client address (each master) and result
    (C(COMPILE_OK), C(COMPILE_ERROR), C(OTHER) for a refused client, ...).
  - The same numbers the distcc_worker role's metrics service writes for node_exporter
    (distcc_worker_metrics).
  - Reads only; never changes anything. Needs to read distccd's log (C(become)).
options:
  port:
    description: distccd's TCP port.
    type: int
    default: 3632
  log_file:
    description: distccd's C(--log-file).
    type: path
    default: /var/log/distccd/distccd.log
extends_documentation_fragment:
  - distrant.distcc.read_only
author:
  - distrant.distcc contributors (@distrant)
"""

EXAMPLES = r"""
- name: Read what the worker does, and for whom
  distrant.distcc.distcc_worker_status:
  become: true
  register: status

- name: Show it
  ansible.builtin.debug:
    msg: "{{ status.running }} running, {{ status.queued }} queued of {{ status.jobs }}; {{ status.clients }}"
"""

RETURN = r"""
up:
  description: A process named distccd runs.
  returned: always
  type: bool
  sample: true
jobs:
  description: distccd's C(--jobs), from its command line (null when not given or not running).
  returned: always
  type: int
  sample: 4
running:
  description: Connections distccd's children serve now.
  returned: always
  type: int
  sample: 4
queued:
  description: Connections waiting in distccd's accept queue.
  returned: always
  type: int
  sample: 3
clients:
  description: Jobs in distccd's log per client address and result.
  returned: always
  type: dict
  sample: {"10.200.1.2": {"COMPILE_OK": 451}, "10.200.1.66": {"OTHER": 2}}
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distrant.distcc.plugins.module_utils._distccd_stats import LogReader, sample


def main():
    module = AnsibleModule(
        argument_spec=dict(
            port=dict(type="int", default=3632),
            log_file=dict(type="path", default="/var/log/distccd/distccd.log"),
        ),
        supports_check_mode=True,
    )
    log_file = module.params["log_file"]
    if os.path.exists(log_file) and not os.access(log_file, os.R_OK):
        module.fail_json(msg="cannot read distccd's log %s: run this with become" % log_file)
    module.exit_json(changed=False, **sample(module.params["port"], LogReader(log_file)))


if __name__ == "__main__":
    main()
