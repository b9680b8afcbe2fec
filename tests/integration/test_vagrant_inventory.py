"""Real Vagrant (docker provider) behind distrant.distcc.vagrant.

Brings up a throwaway two-machine project, stops one machine, then lists it through the
plugin with a counting wrapper around vagrant: two vagrant processes uncached, none with a
warm cache; pings the running machine through the plugin's connection variables.
Needs the lab's images (lab/images.sh) and vagrant; run by `make test`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VAGRANTFILE = textwrap.dedent("""
    Vagrant.configure("2") do |config|
      %w[master worker-1].each do |name|
        config.vm.define name do |node|
          node.vm.hostname = name
          node.vm.provider "docker" do |d|
            d.image = "distrant-lab/vagrant:bookworm"
            d.has_ssh = true
            d.remains_running = true
            d.cmd = ["/lib/systemd/systemd"]
            d.create_args = ["--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run",
                             "--tmpfs", "/run/lock", "--stop-signal", "SIGRTMIN+3", "--cpus", "0.5"]
          end
        end
      end
    end
""")

pytestmark = pytest.mark.skipif(shutil.which("vagrant") is None, reason="vagrant is installed by make test")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("vagrant-inventory")
    proj = root / "project"
    proj.mkdir()
    (proj / "Vagrantfile").write_text(VAGRANTFILE)
    env = dict(os.environ, VAGRANT_HOME=str(root / "vagrant-home"), VAGRANT_NO_COLOR="1")
    counter = root / "vagrant-calls"
    wrapper = root / "bin" / "vagrant"
    wrapper.parent.mkdir()
    wrapper.write_text('#!/bin/sh\necho "$*" >> %s\nexec %s "$@"\n' % (counter, shutil.which("vagrant")))
    wrapper.chmod(0o755)
    collections = root / "collections" / "ansible_collections" / "distrant"
    collections.mkdir(parents=True)
    (collections / "distcc").symlink_to(REPO)
    (root / "inventory.vagrant.yml").write_text(textwrap.dedent("""
        plugin: distrant.distcc.vagrant
        project_dirs: [project]
        vagrant_path: %s
        vagrant_env:
          VAGRANT_HOME: %s
        cache: true
        cache_plugin: ansible.builtin.jsonfile
        cache_connection: %s
        cache_timeout: 600
    """ % (wrapper, root / "vagrant-home", root / "cache")))
    ansible_env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(root / "collections"), ANSIBLE_HOST_KEY_CHECKING="False",
                       ANSIBLE_NOCOLOR="1", ANSIBLE_INVENTORY_CACHE="False")
    try:  # a vagrant up that fails half-way must not leave its first machine running
        for argv in (["vagrant", "up", "--provider=docker"], ["vagrant", "halt", "worker-1"]):
            proc = subprocess.run(argv, cwd=proj, env=env, check=False, capture_output=True, text=True)
            assert proc.returncode == 0, "%s failed: %s" % (" ".join(argv), (proc.stdout + proc.stderr)[-2000:])
        yield root, counter, ansible_env
    finally:
        subprocess.run(["vagrant", "destroy", "-f"], cwd=proj, env=env, check=False, capture_output=True)


def plain(value):
    """ansible-inventory marks data from outside as unsafe: {'__ansible_unsafe': value}."""
    return value.get("__ansible_unsafe", value) if isinstance(value, dict) else value


def calls(counter):
    return counter.read_text().splitlines() if counter.exists() else []


def test_list_uncached_then_cached(project):
    root, counter, env = project
    inventory = str(root / "inventory.vagrant.yml")
    before = len(calls(counter))
    out = subprocess.run(["ansible-inventory", "-i", inventory, "--list", "--flush-cache"], env=env,
                         check=True, capture_output=True, text=True).stdout
    made = calls(counter)[before:]
    assert made == ["status --machine-readable", "ssh-config master"]
    data = json.loads(out)
    assert data["distcc_masters"]["hosts"] == ["master"]
    assert "worker-1" not in data["_meta"]["hostvars"]  # stopped: skipped
    master = data["_meta"]["hostvars"]["master"]
    assert plain(master["ansible_host"]) == "127.0.0.1"
    assert plain(master["ansible_ssh_private_key_file"]).endswith("/machines/master/docker/private_key")
    assert plain(master["vagrant_state"]) == "running"

    before = len(calls(counter))
    subprocess.run(["ansible-inventory", "-i", inventory, "--list"], env=env, check=True, capture_output=True)
    assert calls(counter)[before:] == []


def test_ping_through_the_plugin(project):
    root, counter, env = project
    result = subprocess.run(["ansible", "-i", str(root / "inventory.vagrant.yml"), "distcc_masters", "-m", "ansible.builtin.ping"],
                            env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert '"ping": "pong"' in result.stdout
