#!/usr/bin/python
# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: distcc_warn
short_description: Give a warning through Ansible's warning channel
version_added: 0.1.0
description:
  - Prints O(msg) as an Ansible warning (C([WARNING])), listed with the run's other warnings and
    subject to the user's warning settings (C(ACTION_WARNINGS)), where a C(debug) message would
    only look like one.
  - Runs on the controller; nothing is started on the host. Never changes anything.
  - The roles of this collection use it for conditions that do not stop the play, such as a
    worker left out of DISTCC_HOSTS or a kernel source that could not be reached.
options:
  msg:
    description: The warning. Runs of white space (from folded YAML) are joined into one space.
    type: str
    required: true
attributes:
  action:
    support: full
    description: An action plugin; it runs on the controller.
  check_mode:
    support: full
    description: Warns in check mode too.
  diff_mode:
    support: none
    description: Changes nothing.
author:
  - distrant.distcc contributors (@distrant)
"""

EXAMPLES = r"""
- name: Warn that a worker is left out
  distrant.distcc.distcc_warn:
    msg: "worker-2 does not answer: left out of DISTCC_HOSTS"
  when: unreachable | length > 0
"""

RETURN = r"""
msg:
  description: The warning as given, white space joined.
  returned: always
  type: str
  sample: "worker-2 does not answer: left out of DISTCC_HOSTS"
"""
