"""Run a play with the collection's roles on this machine (connection local, check mode, some tags only): what a
user sees of a role's preflight, with hosts a test adds to the inventory (a worker that is switched off)."""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys

from conftest import _ROOT

BINDIR = os.path.dirname(sys.executable)
# TEST-NET-1 (RFC 5737): never routed, so ssh to it fails at once or after its ConnectTimeout
OFF = "192.0.2.10"
SSH_OFF = "ansible_host=%s ansible_connection=ssh ansible_ssh_common_args='-o ConnectTimeout=3 -o BatchMode=yes'" % OFF
LOCAL = "ansible_connection=local ansible_python_interpreter=%s" % sys.executable


def env(tmp_path):
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=_ROOT, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
                ANSIBLE_HOME=str(tmp_path / "home"), ANSIBLE_LOCALHOST_WARNING="0",
                ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_HOST_KEY_CHECKING="0")


_NETWORK = []


def local_network(tmp_path):
    """A /24 around this machine's first IPv4 address as ansible sees it (the cluster network of the tests)."""
    if not _NETWORK:
        out = subprocess.run([os.path.join(BINDIR, "ansible"), "localhost", "-c", "local", "-m", "setup", "-a",
                              "gather_subset=network filter=ansible_all_ipv4_addresses",
                              "-e", "ansible_python_interpreter=%s" % sys.executable],
                             env=env(tmp_path), capture_output=True, text=True, check=True).stdout
        addresses = json.loads(out.split("=>", 1)[1])["ansible_facts"]["ansible_all_ipv4_addresses"]
        _NETWORK.append(str(ipaddress.ip_interface(addresses[0] + "/24").network))
    return _NETWORK[0]


def role_play(hosts, role, name, msg):
    """A play applying the collection's role to hosts, then one task in the role's preflight tag that shows msg (a
    Jinja template of what the role worked out) as debug output: the output a test reads."""
    return """
- hosts: %s
  gather_facts: true
  roles:
    - role: distrant.distcc.%s
  post_tasks:
    - name: %s
      ansible.builtin.debug:
        msg: %s
      tags: [%s_preflight]
""" % (hosts, role, name, json.dumps(msg), role)


def shown(out):
    """What a role_play's task showed between READ and READ (a JSON document) in the play's output."""
    return json.loads(out.split('"READ ', 1)[1].split(' READ"', 1)[0].encode().decode("unicode_escape"))


def run(tmp_path, play, inventory, tags, extra=(), check=True):
    """ansible-playbook PLAY on INVENTORY (ini text) with --tags TAGS and -e EXTRA (each key=value or JSON text):
    (rc, stdout + stderr)."""
    (tmp_path / "play.yml").write_text(play)
    (tmp_path / "hosts.ini").write_text(inventory)
    argv = [os.path.join(BINDIR, "ansible-playbook"), "-i", str(tmp_path / "hosts.ini"), "--tags", tags,
            "-e", "distcc_network_cidr=%s" % local_network(tmp_path)]
    for e in extra:
        argv += ["-e", e]
    if check:
        argv.append("--check")
    proc = subprocess.run(argv + [str(tmp_path / "play.yml")], env=env(tmp_path), capture_output=True, text=True,
                          check=False, cwd=tmp_path, timeout=600)
    return proc.returncode, proc.stdout + proc.stderr


def flat(out):
    """The output with its line breaks and runs of spaces made single spaces (messages are wrapped)."""
    return " ".join(out.split())


def recap(out, host):
    """The PLAY RECAP counters of host, as a dict."""
    line = [x for x in out.splitlines() if x.startswith(host + " ") and "ok=" in x][-1]
    return {k: int(v) for k, v in (f.split("=") for f in line.split(":", 1)[1].split())}
