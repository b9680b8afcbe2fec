#!/usr/bin/python
# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: distcc_host_info
short_description: Everything the distcc roles compare against, read in one go
version_added: 0.1.0
description:
  - Reads, in one module run, the state of a host that the C(distcc_worker) and C(distcc_master)
    roles decide from, so that a re-run starts one Python interpreter on each host instead of
    one per check. On a small master (the bottleneck of a distcc farm) each module run costs
    about half a second.
  - Always returns the CPUs the host can use (as M(distrant.distcc.distcc_cpu_info) does); the
    other facts only for what is asked.
  - Reads only; never changes anything.
options:
  packages:
    description: Debian packages whose installed version to report (C(dpkg-query)).
    type: list
    elements: str
    default: []
  compilers:
    description: Compilers whose version to report (C(<compiler> -dumpfullversion -dumpversion)).
    type: list
    elements: str
    default: []
  files:
    description:
      - Paths to look at (not followed when they are links). Each reports whether it exists, its type,
        mode, owner and group, a link's target, and the content of a regular file of at most 64 KiB.
    type: list
    elements: path
    default: []
  services:
    description: systemd units whose load, active and enablement state to report.
    type: list
    elements: str
    default: []
  users:
    description: Users whose uid, home and shell to report (null for a user that does not exist).
    type: list
    elements: str
    default: []
  include_server:
    description:
      - A directory holding distcc's C(include_server) package; reports whether its C extension
        imports and works on this host's Python (pump mode needs it).
    type: path
  ports:
    description:
      - TCP ports, as C(address:port), this host must reach (e.g. the distccd of each worker, from a
        master). All are probed at once; each until it answers or O(port_timeout) seconds have passed.
    type: list
    elements: str
    default: []
  port_timeout:
    description: Seconds to wait for each of O(ports).
    type: float
    default: 10
extends_documentation_fragment:
  - distrant.distcc.read_only
author:
  - distrant.distcc contributors (@distrant)
"""

EXAMPLES = r"""
- name: Read what the role compares against
  distrant.distcc.distcc_host_info:
    packages: [distcc, gcc]
    compilers: [gcc]
    files: [/etc/distcc/hosts]
    services: [distccd-distrant]
  register: host

- name: Install only what is missing
  ansible.builtin.apt:
    name: "{{ host.packages | dict2items | selectattr('value', 'none') | map(attribute='key') | list }}"
  when: host.packages.values() | select('none') | list | length > 0
"""

RETURN = r"""
cpu:
  description: The CPUs this host can use, as returned by M(distrant.distcc.distcc_cpu_info).
  returned: always
  type: dict
  sample: {"vcpus": 2, "quota_cpus": 0.5, "effective_cpus": 0.5, "cgroup_version": 1}
packages:
  description: Each package asked for and its installed version, or null when it is not installed.
  returned: always
  type: dict
  sample: {"distcc": "3.4+really3.4-3", "gcc": "4:12.2.0-3"}
compilers:
  description: Each compiler asked for and its version, or null when it does not run.
  returned: always
  type: dict
  sample: {"gcc": "12.2.0"}
files:
  description:
    - Each path asked for, with C(exists), C(type) (file, directory, link, other), C(mode) (octal
      string), C(owner), C(group), C(target) (of a link) and C(content) (of a regular file of at most
      64 KiB, else null).
  returned: always
  type: dict
  sample: {"/etc/distcc/hosts": {"exists": true, "type": "file", "mode": "0644", "owner": "root",
           "group": "root", "target": null, "content": "10.200.1.3/4\n"}}
services:
  description: Each unit asked for, with C(load), C(active) and C(enabled) as systemd reports them.
  returned: always
  type: dict
  sample: {"distccd-distrant": {"load": "loaded", "active": "active", "enabled": "enabled"}}
users:
  description: Each user asked for, with C(uid), C(home) and C(shell), or null.
  returned: always
  type: dict
  sample: {"distcc-build": {"uid": 999, "home": "/home/distcc-build", "shell": "/bin/bash"}}
ports:
  description: Each of O(ports), in order, with C(target), C(open) (it answered) and C(error) (why not, else null).
  returned: always
  type: list
  elements: dict
  sample: [{"target": "10.200.1.3:3632", "open": true, "error": null}]
systemd:
  description:
    - C(version) of systemd (null without it), C(cap_sys_admin) (whether CAP_SYS_ADMIN is in this host's
      capability bounding set; false in a container without it) and C(seccomp_sandboxing), whether a unit
      with C(User=) may use the sandboxing settings that install seccomp filters (C(ProtectKernelTunables=),
      C(ProtectKernelModules=), C(ProtectControlGroups=), C(RestrictSUIDSGID=), C(LockPersonality=),
      C(RestrictAddressFamilies=)). systemd 256 and later (Debian 13) keep CAP_SYS_ADMIN across C(User=) to
      install them, and where it is not in the bounding set the unit fails with C(status=217/USER).
  returned: always
  type: dict
  sample: {"version": 257, "cap_sys_admin": false, "seccomp_sandboxing": false}
include_server:
  description: C(works) and C(error) of the include server in O(include_server), or null when not asked.
  returned: always
  type: dict
  sample: {"works": true, "error": null}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distrant.distcc.plugins.module_utils import _host
from ansible_collections.distrant.distcc.plugins.module_utils._cgroup import read_host_cpus


def main():
    module = AnsibleModule(
        argument_spec={
            "packages": {"type": "list", "elements": "str", "default": []},
            "compilers": {"type": "list", "elements": "str", "default": []},
            "files": {"type": "list", "elements": "path", "default": []},
            "services": {"type": "list", "elements": "str", "default": []},
            "users": {"type": "list", "elements": "str", "default": []},
            "include_server": {"type": "path"},
            "ports": {"type": "list", "elements": "str", "default": []},
            "port_timeout": {"type": "float", "default": 10},
        },
        supports_check_mode=True,
    )
    p = module.params
    for target in p["ports"]:
        try:
            _host.split_target(target)
        except ValueError as exc:
            module.fail_json(msg="ports: %s; write each as address:port, e.g. 10.200.1.3:3632" % exc)
    if not 0 < p["port_timeout"] <= 3600:
        module.fail_json(msg="port_timeout must be between 0 and 3600 seconds, got %s" % p["port_timeout"])
    module.exit_json(
        changed=False,
        cpu=read_host_cpus(),
        packages=_host.read_packages(p["packages"]),
        compilers=_host.read_compilers(p["compilers"]),
        files={path: _host.read_file(path) for path in p["files"]},
        services=_host.read_services(p["services"]),
        users=_host.read_users(p["users"]),
        include_server=_host.check_include_server(p["include_server"]),
        systemd=_host.read_systemd(),
        ports=_host.check_ports(p["ports"], p["port_timeout"]),
    )


if __name__ == "__main__":
    main()
