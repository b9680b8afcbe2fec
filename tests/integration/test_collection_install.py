"""The built collection installs and runs with ansible-core alone.

Builds the collection tarball, installs it with ansible-galaxy into a fresh venv that holds
ansible-core (the version the lab pins) and nothing else (galaxy.yml declares no dependency),
and runs both roles' preflight there in check mode on localhost: every filter, test and
module the preflight uses must come from ansible-core or from the collection itself.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PLAYBOOK = textwrap.dedent("""
    - name: Put the cluster network on one of this machine's private addresses (a /24 around it)
      hosts: localhost
      gather_facts: true
      gather_subset: [network]
      tasks:
        - name: Pick the address
          vars:
            __private: "{{ ansible_facts.all_ipv4_addresses
                           | select('match', '^(10[.]|172[.](1[6-9]|2[0-9]|3[01])[.]|192[.]168[.])') | list }}"
          ansible.builtin.set_fact:
            distcc_network_cidr: "{{ __private[0] | regex_replace('[.][0-9]+$', '.0/24') }}"
          when: distcc_network_cidr is not defined
          tags: [always]

        - name: Say which
          ansible.builtin.debug:
            msg: "NETWORK {{ distcc_network_cidr }}"
          tags: [always]

    - name: Preflight of both roles, from the installed collection
      hosts: localhost
      gather_facts: false
      roles:
        - role: distrant.distcc.distcc_worker
        - role: distrant.distcc.distcc_master
""")

INVENTORY = textwrap.dedent("""
    all:
      hosts:
        localhost:
          ansible_connection: local
          ansible_python_interpreter: "{python}"
      children:
        distcc_workers: {{hosts: {{localhost: {{}}}}}}
        distcc_masters: {{hosts: {{localhost: {{}}}}}}
""")


def core_pin():
    with open(os.path.join(REPO, "lab", "requirements.txt")) as handle:
        return re.search(r"^ansible-core==\S+", handle.read(), re.M).group(0)


def run(argv, **kwargs):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """A venv with ansible-core only, and the collection installed from its tarball."""
    root = tmp_path_factory.mktemp("bare")
    rc, out = run([sys.executable, "-m", "venv", str(root / "venv")])
    assert rc == 0, out
    py = str(root / "venv" / "bin" / "python")
    rc, out = run([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", core_pin()])
    assert rc == 0, out
    rc, out = run([py, "-m", "pip", "freeze"])
    assert "ansible-core" in out and not re.search(r"^(ansible|netaddr)==", out, re.M), out

    with open(os.path.join(REPO, "galaxy.yml")) as handle:
        assert yaml.safe_load(handle)["dependencies"] == {}, "galaxy.yml declares dependencies: install them here"
    bindir = root / "venv" / "bin"
    rc, out = run([str(bindir / "ansible-galaxy"), "collection", "build", "--output-path", str(root), REPO])
    assert rc == 0, out
    tarball = next(root.glob("distrant-distcc-*.tar.gz"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_HOME=str(root / "home"), ANSIBLE_COLLECTIONS_PATH=str(root / "collections"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0")
    rc, out = run([str(bindir / "ansible-galaxy"), "collection", "install", str(tarball), "-p",
                   str(root / "collections")], env=env)
    assert rc == 0, out
    (root / "inventory.yml").write_text(INVENTORY.format(python=py))
    (root / "play.yml").write_text(PLAYBOOK)
    return root, bindir, env


def preflight(bare, *extra):
    root, bindir, env = bare
    return run([str(bindir / "ansible-playbook"), "-i", str(root / "inventory.yml"), "--check",
                "--tags", "always,distcc_worker_preflight,distcc_master_preflight", *extra, str(root / "play.yml")],
               env=env, cwd=str(root))


def test_preflight_of_both_roles_runs_with_ansible_core_alone(bare):
    rc, out = preflight(bare, "-e", "distcc_master_kernel_source=package")
    assert rc == 0, out
    assert re.search(r"localhost +: ok=\d+ +changed=0 +unreachable=0 +failed=0", out), out
    assert "Read what the role compares against" in out
    assert re.search(r"NETWORK (10|172|192)[.][0-9.]+[.]0/24", out), out


def test_bad_network_is_refused_by_the_collections_own_test(bare):
    rc, out = preflight(bare, "-e", "distcc_network_cidr=10.200.1.5/24")
    assert rc != 0
    assert "distcc_worker_network_cidr (distcc_network_cidr) = 10.200.1.5/24 is not an IP" in " ".join(out.split())
    assert "ansible.utils" not in out and "netaddr" not in out
