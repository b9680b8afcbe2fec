"""The repository's Vagrantfile reads the settings `make lab` saved, and the environment wins.

Real `vagrant status` on the repository's Vagrantfile with a throwaway Vagrant state
directory (VAGRANT_DOTFILE_PATH): no machine is created.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

pytestmark = pytest.mark.skipif(shutil.which("vagrant") is None, reason="vagrant is installed by make test")


def vagrant_env(dotfile, **env_extra):
    """This environment without the lab's settings, with a throwaway Vagrant state in dotfile."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISTRANT_", "VAGRANT_DEFAULT_PROVIDER"))}
    env.update(VAGRANT_DOTFILE_PATH=str(dotfile), VAGRANT_NO_COLOR="1", VAGRANT_HOME=str(dotfile / "home"), **env_extra)
    return env


def machines(dotfile, **env_extra):
    out = subprocess.run(["vagrant", "status", "--machine-readable"], cwd=REPO, env=vagrant_env(dotfile, **env_extra),
                         check=True, capture_output=True, text=True).stdout
    return sorted({line.split(",")[1] for line in out.splitlines() if ",state," in line})


def test_defaults_then_saved_settings_then_environment(tmp_path):
    assert machines(tmp_path) == ["master", "worker-1"]
    (tmp_path / "distrant-settings").write_text("DISTRANT_WORKERS=3\n")
    assert machines(tmp_path) == ["master", "worker-1", "worker-2", "worker-3"]
    assert machines(tmp_path, DISTRANT_WORKERS="2") == ["master", "worker-1", "worker-2"]


def test_several_masters_share_the_workers(tmp_path):
    assert machines(tmp_path, DISTRANT_MASTERS="2") == ["master-1", "master-2", "worker-1"]
    vars_file = tmp_path / "inventory-vars.json"
    hosts = json.loads(vars_file.read_text())["hosts"]
    # the masters first, then the workers
    assert {name: h["vagrant_private_address"] for name, h in hosts.items()} == {
        "master-1": "10.200.1.2", "master-2": "10.200.1.3", "worker-1": "10.200.1.4"}
    assert "DISTRANT_MASTERS must be a whole number from 1 to 20, got 'many'" in vagrant_error(
        tmp_path, DISTRANT_MASTERS="many")


def vagrant_error(dotfile, **env_extra):
    proc = subprocess.run(["vagrant", "status"], cwd=REPO, env=vagrant_env(dotfile, **env_extra),
                          capture_output=True, text=True, check=False)
    assert proc.returncode != 0, proc.stdout
    return " ".join((proc.stdout + proc.stderr).split())


def test_docker_quota_beyond_the_cores_is_refused_before_any_machine(tmp_path):
    cores = os.cpu_count()
    # master 1 + worker 4 nominal CPUs: the worker's quota is 4/5 of DISTRANT_DOCKER_CORES
    err = vagrant_error(tmp_path, DISTRANT_DOCKER_CORES=str(cores * 5))
    assert f"gives worker-1 (4 of 5 nominal CPUs) a docker CPU quota of {float(cores * 4)}" in err
    assert f"Set DISTRANT_DOCKER_CORES to at most {float(cores * 5 / 4)}" in err
    assert not (tmp_path / "inventory-vars.json").exists()  # refused before it wrote anything
    # the issue's own setting on a 2-core machine: master 0.5, each of 3 workers 2.0
    assert machines(tmp_path, DISTRANT_WORKERS="3", DISTRANT_DOCKER_CORES=str(cores * 3.25)) == [
        "master", "worker-1", "worker-2", "worker-3"]


def test_docker_cores_that_are_not_a_number_are_refused(tmp_path):
    assert "DISTRANT_DOCKER_CORES must be a positive number of cores (e.g. 6.5), got 'many'" in vagrant_error(
        tmp_path, DISTRANT_DOCKER_CORES="many")
    assert "got '-1'" in vagrant_error(tmp_path, DISTRANT_DOCKER_CORES="-1")


def test_network_reaches_the_inventory_through_the_vars_file(tmp_path):
    """DISTRANT_NETWORK becomes the vagrant group's distcc_network_cidr and each machine's address,
    for the inventory plugin (vars_file); the file is rewritten only when it changes (the plugin's
    cached listing stays valid)."""
    import json

    assert machines(tmp_path, DISTRANT_NETWORK="10.200.7", DISTRANT_WORKERS="2") == ["master", "worker-1", "worker-2"]
    vars_file = tmp_path / "inventory-vars.json"
    content = json.loads(vars_file.read_text())
    # each machine's docker CPU quota too (the bench reports name them): its share of the host's cores
    cores = os.cpu_count()
    for host, cpus in (("master", 1), ("worker-1", 4), ("worker-2", 4)):
        assert content["hosts"][host].pop("distrant_lab_docker_cpus") in (None, round(cpus * cores / 9, 2))
    assert content == {
        "groups": {"vagrant": {"distcc_network_cidr": "10.200.7.0/24"}},
        "hosts": {"master": {"vagrant_private_address": "10.200.7.2"},
                  "worker-1": {"vagrant_private_address": "10.200.7.3"},
                  "worker-2": {"vagrant_private_address": "10.200.7.4"}},
    }
    written = vars_file.stat().st_mtime_ns
    (tmp_path / "distrant-settings").write_text("DISTRANT_NETWORK=10.200.7\nDISTRANT_WORKERS=2\n")
    machines(tmp_path)  # the saved settings: the same lab, the file untouched
    assert vars_file.stat().st_mtime_ns == written
    machines(tmp_path, DISTRANT_NETWORK="10.200.8")
    assert json.loads(vars_file.read_text())["groups"]["vagrant"]["distcc_network_cidr"] == "10.200.8.0/24"


@pytest.mark.parametrize("network", ["10.200.7.1", "10.300.1", "10.200", "lab"])
def test_network_that_is_not_three_numbers_is_refused(tmp_path, network):
    err = vagrant_error(tmp_path, DISTRANT_NETWORK=network)
    assert f"DISTRANT_NETWORK must be the first three numbers of a /24 network (e.g. 10.200.1), got '{network}'" in err
    assert not (tmp_path / "inventory-vars.json").exists()  # refused before it wrote anything


def vagrant_destroy(dotfile, **env_extra):
    proc = subprocess.run(["vagrant", "destroy", "-f"], cwd=REPO, env=vagrant_env(dotfile, **env_extra),
                          capture_output=True, text=True, check=False)
    return proc.returncode, " ".join((proc.stdout + proc.stderr).split())


def test_the_labs_provider_comes_before_a_libvirt_that_does_not_answer(tmp_path):
    """Debian's vagrant-libvirt 0.11 says it is usable whether or not libvirtd answers (installed for
    a libvirt lab, not started again after a restart). The Vagrantfile names libvirt first, so
    Vagrant made it the provider of machines not created yet, and `vagrant destroy` of nothing
    (the first step of the molecule scenarios on Vagrant) failed connecting to it. DISTRANT_PROVIDER, given or
    saved by `make lab`, is named first. Run where Docker answers (make integration)."""
    plugins = subprocess.run(["vagrant", "plugin", "list"], env=dict(os.environ, VAGRANT_HOME=str(tmp_path / "home")),
                             capture_output=True, text=True, check=False).stdout
    assert "vagrant-libvirt" in plugins, "make integration installs Debian's vagrant-libvirt (lab/libvirt.sh plugin)"
    silent = {"LIBVIRT_DEFAULT_URI": f"qemu+unix:///system?socket={tmp_path}/no-libvirtd/libvirt-sock"}

    # the dependency's bug, as it is: nothing names the provider, libvirt is picked and fails
    rc, out = vagrant_destroy(tmp_path, **silent)
    assert rc != 0 and "Error while connecting to Libvirt" in out, out

    # the lab's provider, from the environment, then from the settings `make lab` saved
    rc, out = vagrant_destroy(tmp_path, DISTRANT_PROVIDER="docker", **silent)
    assert rc == 0 and out.count("The container hasn't been created yet.") == 2, out
    (tmp_path / "distrant-settings").write_text("DISTRANT_PROVIDER=docker\n")
    rc, out = vagrant_destroy(tmp_path, **silent)
    assert rc == 0 and out.count("The container hasn't been created yet.") == 2, out


def test_a_provider_vagrant_does_not_know_here_is_refused(tmp_path):
    err = vagrant_error(tmp_path, DISTRANT_PROVIDER="lxc")
    assert "DISTRANT_PROVIDER must be one of libvirt, virtualbox, docker, got 'lxc'" in err


def test_the_cache_host_is_marked_for_the_inventory(tmp_path):
    """DISTRANT_CACHE marks the lab's cache host (inventories/vagrant.yml puts it in distcc_caches); a name that is
    not one of the lab's machines is refused."""
    import json

    assert machines(tmp_path, DISTRANT_WORKERS="2", DISTRANT_CACHE="worker-2")
    hosts = json.loads((tmp_path / "inventory-vars.json").read_text())["hosts"]
    assert {h for h, v in hosts.items() if v.get("distrant_lab_cache")} == {"worker-2"}
    assert "DISTRANT_CACHE must be one of this lab's machines" in vagrant_error(tmp_path, DISTRANT_CACHE="worker-9")
