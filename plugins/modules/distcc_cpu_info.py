#!/usr/bin/python
# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: distcc_cpu_info
short_description: CPUs a host can really use, cgroup CPU quota included
version_added: 0.1.0
description:
  - Reports the online CPUs and the cgroup CPU quota that applies to the host (cgroup v1
    C(cpu.cfs_quota_us)/C(cpu.cfs_period_us) or v2 C(cpu.max), along the cgroup path of PID 1
    and its ancestors), and the smaller of the two as O(ignore:effective_cpus).
  - In a container, C(nproc) and C(ansible_processor_vcpus) report the host's cores; sizing
    distccd's C(--jobs), a DISTCC_HOSTS C(/LIMIT) or make's C(-j) from them over-commits a
    host limited by C(docker --cpus) or a Kubernetes CPU limit.
  - Reads only; never changes anything.
options: {}
extends_documentation_fragment:
  - distrant.distcc.read_only
author:
  - distrant.distcc contributors (@distrant)
"""

EXAMPLES = r"""
- name: Find how many CPUs this worker can use
  distrant.distcc.distcc_cpu_info:
  register: cpu

- name: Size distccd from it
  ansible.builtin.debug:
    msg: "{{ cpu.effective_cpus }} CPUs ({{ cpu.vcpus }} online, quota {{ cpu.quota_cpus }})"
"""

RETURN = r"""
vcpus:
  description: CPUs online (what nproc says).
  returned: always
  type: int
  sample: 2
quota_cpus:
  description: The cgroup CPU quota in CPUs, or null when there is none.
  returned: always
  type: float
  sample: 1.6
effective_cpus:
  description: The smaller of O(ignore:vcpus) and O(ignore:quota_cpus).
  returned: always
  type: float
  sample: 1.6
cgroup_version:
  description: 1 or 2.
  returned: always
  type: int
  sample: 1
quota_source:
  description: The cgroup directory or file the quota was read from, or null.
  returned: always
  type: str
  sample: /sys/fs/cgroup/cpu,cpuacct/docker/0123abcd
cpu_used_seconds:
  description:
    - CPU seconds this host has used so far (its cgroup's for a container, else all but idle time from
      C(/proc/stat)); the difference between two readings is the CPU a build cost this host.
  returned: always
  type: float
  sample: 1234.5
cpu_used_source:
  description: The file O(ignore:cpu_used_seconds) was read from, or null.
  returned: always
  type: str
  sample: /sys/fs/cgroup/cpuacct/cpuacct.usage
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distrant.distcc.plugins.module_utils._cgroup import read_host_cpus


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    module.exit_json(changed=False, **read_host_cpus())


if __name__ == "__main__":
    main()
