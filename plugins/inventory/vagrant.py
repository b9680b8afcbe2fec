# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: vagrant
short_description: Vagrant machines as inventory hosts, grouped for a distcc farm
version_added: 0.1.0
author:
  - distrant.distcc contributors (@distrant)
description:
  - Lists the machines of one or more Vagrant projects with exactly two vagrant processes
    per project (C(vagrant status --machine-readable), then one C(vagrant ssh-config) for all
    running machines), and none with a warm cache.
  - A cached listing is used only while it still describes the machines; it is read again when
    the project's Vagrantfile or its Vagrant state directory changed (a machine created,
    destroyed or re-created) or when the SSH port of a machine listed as running does not
    accept a connection within a second.
  - Hosts get the connection variables vagrant gives (host, port, user, key, host-key options)
    and C(vagrant_state), C(vagrant_provider), C(vagrant_project).
  - What vagrant does not tell (a machine's private address, the network the cluster shares) comes
    from O(vars_file) when the Vagrantfile writes one. The repository's Vagrantfile gives each machine
    C(vagrant_private_address) and the C(vagrant) group C(distcc_network_cidr), so that the lab's
    C(DISTRANT_NETWORK) reaches the roles without being set a second time. These are inventory
    variables, so group_vars, host_vars and C(-e) still override them.
  - Every host is in C(vagrant) and in C(vagrant_<provider>); name patterns map machines to
    more groups (by default C(master*) to C(distcc_masters), C(worker-*) and C(slave-*) to
    C(distcc_workers)).
  - The configuration file name must end in C(vagrant.yml) or C(vagrant.yaml).
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: The name of this plugin.
    required: true
    type: str
    choices: [distrant.distcc.vagrant]
  project_dirs:
    description:
      - Vagrant project directories (each holds a Vagrantfile). Relative paths are relative to
        the inventory file's directory. Empty means the inventory file's directory.
    type: list
    elements: path
    default: []
  vagrant_path:
    description: The vagrant executable.
    type: str
    default: vagrant
  vagrant_env:
    description: Extra environment for vagrant (e.g. C(VAGRANT_HOME), C(VAGRANT_DEFAULT_PROVIDER)).
    type: dict
    default: {}
  group_patterns:
    description:
      - Machine name patterns (shell-style) mapped to a group name or a list of group names.
    type: dict
    default:
      master*: distcc_masters
      worker-*: distcc_workers
      slave-*: distcc_workers
  skip_not_running:
    description:
      - Skip machines that are not running (default). When false they are listed, with their
        state and provider but no connection variables.
    type: bool
    default: true
  command_timeout:
    description: Seconds before a vagrant command is given up.
    type: int
    default: 120
  vars_file:
    description:
      - >-
        A JSON file in each project's Vagrant state directory (C(VAGRANT_DOTFILE_PATH), else
        C(.vagrant)) with variables for the hosts and groups, written by the Vagrantfile:
        C({"hosts": {"<machine>": {"<var>": <value>}}, "groups": {"<group>": {"<var>": <value>}}}).
      - Variables of machines that are not listed are ignored; a group that does not exist is created.
        A missing file adds nothing; a file that is not such JSON is an error that names it.
      - Empty turns it off.
    type: str
    default: inventory-vars.json
    version_added: 0.1.0
"""

EXAMPLES = r"""
# inventories/vagrant.yml
plugin: distrant.distcc.vagrant
project_dirs:
  - ..
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/distrant-vagrant-inventory
cache_timeout: 300
keyed_groups:
  - key: vagrant_state
    prefix: state
"""

import fnmatch
import json
import os
import subprocess

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.distrant.distcc.plugins.module_utils._host import check_ports
from ansible_collections.distrant.distcc.plugins.plugin_utils._vagrant import (
    VagrantOutputError,
    connection_vars,
    error_message,
    parse_machine_readable,
    parse_ssh_config,
    parse_status,
)


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    """Vagrant machines as inventory hosts."""

    NAME = "distrant.distcc.vagrant"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("vagrant.yml", "vagrant.yaml"))

    def _vagrant_env(self):
        """The environment vagrant runs in: ours, with vagrant_env on top."""
        env = dict(os.environ)
        env.update({k: to_native(v) for k, v in (self.get_option("vagrant_env") or {}).items()})
        return env

    # The one seam to the outside world: unit tests replace it with recorded output.
    def _run_vagrant(self, project, args):
        env = self._vagrant_env()
        env["VAGRANT_NO_COLOR"] = "1"
        try:
            proc = subprocess.run(
                [self.get_option("vagrant_path")] + args, cwd=project, env=env, capture_output=True,
                timeout=self.get_option("command_timeout"), check=False,
            )
        except FileNotFoundError:
            raise AnsibleParserError(
                "vagrant executable %r not found (project %s); install Vagrant or set vagrant_path"
                % (self.get_option("vagrant_path"), project))
        except subprocess.TimeoutExpired:
            raise AnsibleParserError("'vagrant %s' in %s did not finish within %d s"
                                     % (" ".join(args), project, self.get_option("command_timeout")))
        except OSError as exc:  # not executable, not a program (Exec format error), ...
            raise AnsibleParserError(
                "vagrant_path %r could not be run (project %s): %s; set vagrant_path to the vagrant program"
                % (self.get_option("vagrant_path"), project, exc.strerror or exc))
        return proc.returncode, to_text(proc.stdout, errors="surrogate_or_replace"), to_text(proc.stderr, errors="surrogate_or_replace")

    def _dotfile(self, project):
        """The project's Vagrant state directory (VAGRANT_DOTFILE_PATH, else .vagrant)."""
        dotfile = self._vagrant_env().get("VAGRANT_DOTFILE_PATH", "").strip()
        return os.path.join(project, os.path.expanduser(dotfile or ".vagrant"))

    def _fingerprint(self, project):
        """Size and mtime of the Vagrantfile and of the state files vagrant rewrites when machines
        are created or destroyed (the state directory's own files and each machine's id)."""
        paths = [os.path.join(project, "Vagrantfile")]
        dotfile = self._dotfile(project)
        machines = os.path.join(dotfile, "machines")
        try:
            paths += [os.path.join(dotfile, f) for f in os.listdir(dotfile)]
            for machine in os.listdir(machines):
                for provider in os.listdir(os.path.join(machines, machine)):
                    paths += [os.path.join(machines, machine, provider, f) for f in ("id", "index_uuid")]
        except OSError:
            pass
        prints = []
        for path in sorted(set(paths)):
            try:
                st = os.stat(path)
            except OSError:
                continue
            if os.path.isfile(path):
                prints.append([path, st.st_size, st.st_mtime_ns])
        return prints

    def _still_valid(self, data):
        """Whether cached data still describes the machines (see the description)."""
        ports = []
        for project, info in data.items():
            if not isinstance(info, dict) or info.get("fingerprint") != self._fingerprint(project):
                return False
            for machine in info.get("machines", []):
                if machine.get("state") == "running":
                    conn = connection_vars(info["ssh"][machine["name"]])
                    ports.append("%s:%s" % (conn.get("ansible_host"), conn.get("ansible_port", 22)))
        try:
            return all(port["open"] for port in check_ports(ports, timeout=1))
        except ValueError:  # an address:port cached data cannot describe
            return False

    def _fetch_project(self, project):
        if not os.path.isfile(os.path.join(project, "Vagrantfile")):
            raise AnsibleParserError("no Vagrantfile in %s (from project_dirs)" % project)
        rc, out, err = self._run_vagrant(project, ["status", "--machine-readable"])
        try:
            records = parse_machine_readable(out)
        except VagrantOutputError as exc:
            raise AnsibleParserError("vagrant status in %s gave unexpected output: %s" % (project, exc))
        if rc != 0:
            message = error_message(records) or err.strip() or "exit code %d" % rc
            raise AnsibleParserError("vagrant status failed in %s: %s" % (project, message))
        machines = parse_status(out)
        running = [m["name"] for m in machines if m["state"] == "running"]
        ssh = {}
        if running:
            rc, out, err = self._run_vagrant(project, ["ssh-config"] + running)
            if rc != 0:
                self._ssh_config_failed(project, running, rc, out, err)
            try:
                ssh = parse_ssh_config(out)
            except VagrantOutputError as exc:
                raise AnsibleParserError("vagrant ssh-config in %s gave unexpected output: %s" % (project, exc))
            missing = [name for name in running if name not in ssh]
            if missing:
                raise AnsibleParserError("vagrant ssh-config in %s gave nothing for running machine(s) %s"
                                         % (project, ", ".join(missing)))
        return {"machines": machines, "ssh": ssh, "vars": self._read_vars_file(project),
                "fingerprint": self._fingerprint(project)}

    def _ssh_config_failed(self, project, running, rc, out, err):
        """Raise the error of a failed ``vagrant ssh-config``, naming the machine it failed for.

        vagrant stops at the first machine it cannot answer for and does not name it; with several
        running machines, each is asked alone (only now that it failed) to find which one."""
        machine = running[0]
        if len(running) > 1:
            machine = None  # unless one machine alone fails: then the failure is that machine's
            for name in running:
                alone = self._run_vagrant(project, ["ssh-config", name])
                if alone[0] != 0:
                    machine, (rc, out, err) = name, alone
                    break
        try:
            message = error_message(parse_machine_readable(out))
        except VagrantOutputError:
            message = ""
        raise AnsibleParserError("vagrant ssh-config failed in %s%s: %s"
                                 % (project, " for machine %r" % machine if machine else "",
                                    message or err.strip() or out.strip() or "exit code %d" % rc))

    def _read_vars_file(self, project):
        """{"hosts": {...}, "groups": {...}} from the project's vars_file ({} when there is none)."""
        name = (self.get_option("vars_file") or "").strip()
        if not name:
            return {}
        path = os.path.join(self._dotfile(project), name)
        try:
            with open(path, "rb") as handle:
                data = json.loads(handle.read())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise AnsibleParserError("vars_file %s could not be read as JSON: %s" % (path, to_native(exc)))
        problems = []
        if not isinstance(data, dict) or set(data) - {"hosts", "groups"}:
            problems.append("the top level must be a mapping with only hosts and groups")
        else:
            for kind in ("hosts", "groups"):
                entries = data.get(kind, {})
                if not isinstance(entries, dict) or not all(isinstance(v, dict) for v in entries.values()):
                    problems.append("%s must map each name to a mapping of variables" % kind)
        if problems:
            raise AnsibleParserError("vars_file %s is not what the plugin reads (%s); expected "
                                     '{"hosts": {"<machine>": {"<var>": <value>}}, "groups": {"<group>": {...}}}'
                                     % (path, "; ".join(problems)))
        return data

    def _groups_for(self, name):
        groups = []
        for pattern, targets in (self.get_option("group_patterns") or {}).items():
            if fnmatch.fnmatchcase(name, pattern):
                for group in [targets] if isinstance(targets, str) else targets:
                    if group not in groups:
                        groups.append(group)
        return groups

    def _populate(self, data):
        strict = self.get_option("strict")
        seen = {}
        self.inventory.add_group("vagrant")
        for project, info in data.items():
            for machine in info["machines"]:
                name = machine["name"]
                running = machine["state"] == "running"
                if not running and self.get_option("skip_not_running"):
                    continue
                if name in seen:
                    raise AnsibleParserError("machine %r is in two projects (%s and %s); rename one"
                                             % (name, seen[name], project))
                seen[name] = project
                host = self.inventory.add_host(name, group="vagrant")
                provider = machine["provider"] or "unknown"
                for group in ["vagrant_%s" % self._sanitize_group_name(provider)] + self._groups_for(name):
                    self.inventory.add_group(group)
                    self.inventory.add_child(group, host)
                hostvars = {
                    "vagrant_state": machine["state"],
                    "vagrant_provider": provider,
                    "vagrant_project": project,
                }
                hostvars.update(info.get("vars", {}).get("hosts", {}).get(name, {}))
                if running:
                    hostvars.update(connection_vars(info["ssh"][name]))
                for key, value in hostvars.items():
                    self.inventory.set_variable(host, key, wrap_var(value))
                allvars = self.inventory.get_host(host).get_vars()
                self._set_composite_vars(self.get_option("compose"), allvars, host, strict=strict)
                self._add_host_to_composed_groups(self.get_option("groups"), allvars, host, strict=strict)
                self._add_host_to_keyed_groups(self.get_option("keyed_groups"), allvars, host, strict=strict)
            for group, variables in info.get("vars", {}).get("groups", {}).items():
                group = self.inventory.add_group(group)
                for key, value in variables.items():
                    self.inventory.set_variable(group, key, wrap_var(value))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        base = os.path.dirname(os.path.abspath(path))
        projects = [os.path.normpath(os.path.join(base, os.path.expanduser(p)))
                    for p in self.get_option("project_dirs")] or [base]
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache") and cache
        update_cache = self.get_option("cache") and not cache
        data = None
        if use_cache:
            try:
                data = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if data is None or sorted(data) != sorted(projects) or not self._still_valid(data):
            data = {project: self._fetch_project(project) for project in projects}
            update_cache = self.get_option("cache")
        if update_cache or (use_cache and cache_key not in self._cache):
            self._cache[cache_key] = data
        self._populate(data)
