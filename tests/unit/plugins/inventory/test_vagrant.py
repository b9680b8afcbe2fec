"""distrant.distcc.vagrant, fed with output recorded from real vagrant 2.3.4 runs."""

from __future__ import annotations

import os

import pytest
import yaml
from ansible.errors import AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader
from conftest import REPO, recorded

fixture = recorded(__file__)


class Recorder:
    """Answers vagrant commands from recorded output, and counts them."""

    def __init__(self, answers):
        self.answers = answers  # (project basename, first arg) -> (rc, stdout, stderr)
        self.calls = []

    def __call__(self, project, args):
        self.calls.append((os.path.basename(project), args))
        name = os.path.basename(project)
        # an answer for these very arguments (one machine asked alone), else for the command
        return self.answers.get((name, " ".join(args))) or self.answers[(name, args[0])]


@pytest.fixture
def make_inventory(tmp_path, monkeypatch):
    def run(answers, projects=("lab",), **options):
        for name in projects:
            (tmp_path / name).mkdir(exist_ok=True)
            (tmp_path / name / "Vagrantfile").write_text("# recorded\n")
        config = tmp_path / "test.vagrant.yml"
        lines = ["plugin: distrant.distcc.vagrant", "project_dirs:"] + ["  - %s" % p for p in projects]
        for key, value in options.items():
            lines.append("%s: %s" % (key, value))
        config.write_text("\n".join(lines) + "\n")
        plugin = inventory_loader.get("distrant.distcc.vagrant")
        recorder = Recorder(answers)
        monkeypatch.setattr(plugin, "_run_vagrant", recorder)
        inventory = InventoryData()
        plugin.parse(inventory, DataLoader(), str(config), cache=False)
        return inventory, recorder

    return run


RUNNING = {
    ("lab", "status"): (0, fixture("status-running.txt"), ""),
    ("lab", "ssh-config"): (0, fixture("ssh-config-running.txt"), ""),
}


def test_running_machines_two_processes(make_inventory):
    inventory, recorder = make_inventory(RUNNING)
    assert recorder.calls == [("lab", ["status", "--machine-readable"]), ("lab", ["ssh-config", "master", "worker-1"])]
    master = inventory.get_host("master").get_vars()
    assert master["ansible_host"] == "127.0.0.1"
    assert master["ansible_port"] == 2200
    assert master["ansible_user"] == "vagrant"
    assert master["ansible_ssh_private_key_file"] == "/home/user/lab/.vagrant/machines/master/docker/private_key"
    assert "-o StrictHostKeyChecking=no" in master["ansible_ssh_common_args"]
    assert (master["vagrant_state"], master["vagrant_provider"]) == ("running", "docker")
    assert [h.name for h in inventory.groups["distcc_masters"].get_hosts()] == ["master"]
    assert [h.name for h in inventory.groups["distcc_workers"].get_hosts()] == ["worker-1"]
    assert sorted(h.name for h in inventory.groups["vagrant_docker"].get_hosts()) == ["master", "worker-1"]
    assert sorted(h.name for h in inventory.groups["vagrant"].get_hosts()) == ["master", "worker-1"]


def test_stopped_machine_skipped_by_default(make_inventory):
    answers = {("lab", "status"): (0, fixture("status-mixed.txt"), ""), ("lab", "ssh-config"): (0, fixture("ssh-config-master.txt"), "")}
    inventory, recorder = make_inventory(answers)
    assert recorder.calls[1] == ("lab", ["ssh-config", "master"])
    assert "worker-1" not in inventory.hosts


def test_stopped_machine_listed_without_connection(make_inventory):
    answers = {("lab", "status"): (0, fixture("status-mixed.txt"), ""), ("lab", "ssh-config"): (0, fixture("ssh-config-master.txt"), "")}
    inventory, dummy = make_inventory(answers, skip_not_running="false")
    worker = inventory.get_host("worker-1").get_vars()
    assert worker["vagrant_state"] == "stopped"
    assert "ansible_host" not in worker


def test_not_created_means_one_process(make_inventory):
    inventory, recorder = make_inventory({("lab", "status"): (0, fixture("status-not-created.txt"), "")})
    assert len(recorder.calls) == 1
    assert "worker-9" not in inventory.hosts


def test_two_projects(make_inventory):
    answers = dict(RUNNING)
    answers[("other", "status")] = (0, fixture("status-not-created.txt"), "")
    inventory, recorder = make_inventory(answers, projects=("lab", "other"), skip_not_running="false")
    assert len(recorder.calls) == 3
    assert inventory.get_host("worker-9").get_vars()["vagrant_project"].endswith("other")
    assert "worker-9" in [h.name for h in inventory.groups["distcc_workers"].get_hosts()]


def test_keyed_groups_from_constructed(make_inventory):
    inventory, dummy = make_inventory(RUNNING, keyed_groups="[{key: vagrant_state, prefix: state}]")
    assert sorted(h.name for h in inventory.groups["state_running"].get_hosts()) == ["master", "worker-1"]


@pytest.mark.parametrize(
    "answers, message",
    [
        ({("lab", "status"): (1, fixture("status-no-vagrantfile.txt"), "")},
         "vagrant status failed in .*lab: A Vagrant environment or target machine is required"),
        ({("lab", "status"): (0, "not machine readable\n", "")}, "gave unexpected output: line 1"),
        ({("lab", "status"): (0, fixture("status-running.txt"), ""),
          ("lab", "ssh-config"): (0, fixture("ssh-config-master.txt"), "")},
         "gave nothing for running machine.s. worker-1"),
        ({("lab", "status"): (0, fixture("status-running.txt"), ""),
          ("lab", "ssh-config"): (1, fixture("ssh-config-stopped.txt"), "")},
         "vagrant ssh-config failed in .*lab for machine .master.: The provider for this Vagrant-managed machine"),
        # recorded: a second 'vagrant up' while another vagrant process held the machine
        ({("lab", "status"): (1, fixture("up-locked.txt"), "")},
         "vagrant status failed in .*lab: a machine is locked by another vagrant process .*"
         "An action 'up' was attempted on the machine 'master',\nbut another process"),
    ],
)
def test_errors_name_the_project_and_vagrants_message(make_inventory, answers, message):
    with pytest.raises(AnsibleParserError, match=message):
        make_inventory(answers)


@pytest.mark.parametrize("old, new, message", [
    ("Port 2222", "Port twenty-two",
     "in .*lab gave unexpected output: ssh-config of machine 'worker-1' .its Host block. gives Port 'twenty-two', "
     "not a port number .1 to 65535.$"),
    ("Port 2200", "Port 0", "ssh-config of machine 'master' .its Host block. gives Port '0', not a port number"),
    ("Host worker-1", "Host master", "ssh-config has two Host blocks for machine 'master'$"),
])
def test_an_error_in_one_machines_ssh_config_names_the_machine(make_inventory, old, new, message):
    crafted = fixture("ssh-config-running.txt").replace(old, new, 1)
    with pytest.raises(AnsibleParserError, match=message):
        make_inventory({("lab", "status"): (0, fixture("status-running.txt"), ""), ("lab", "ssh-config"): (0, crafted, "")})


def test_a_failed_ssh_config_names_the_machine_vagrant_could_not_answer_for(make_inventory):
    stopped = (1, fixture("ssh-config-stopped.txt"), "")
    master = fixture("ssh-config-master.txt")
    answers = {("lab", "status"): (0, fixture("status-running.txt"), ""), ("lab", "ssh-config"): stopped,
               ("lab", "ssh-config master"): (0, master, ""), ("lab", "ssh-config worker-1"): stopped}
    with pytest.raises(AnsibleParserError, match="vagrant ssh-config failed in .*lab for machine 'worker-1': "
                                                 "The provider for this Vagrant-managed machine"):
        make_inventory(answers)


@pytest.mark.parametrize("content, mode, reason", [("no shebang, not a program\n", 0o755, "Exec format error"),
                                                   ("#!/bin/sh\n", 0o644, "Permission denied")])
def test_vagrant_path_that_cannot_run(tmp_path, content, mode, reason):
    (tmp_path / "lab").mkdir()
    (tmp_path / "lab" / "Vagrantfile").write_text("# recorded\n")
    fake = tmp_path / "vagrant"
    fake.write_text(content)
    fake.chmod(mode)
    config = tmp_path / "test.vagrant.yml"
    config.write_text("plugin: distrant.distcc.vagrant\nproject_dirs:\n  - lab\nvagrant_path: %s\n" % fake)
    plugin = inventory_loader.get("distrant.distcc.vagrant")
    with pytest.raises(AnsibleParserError, match="vagrant_path '%s' could not be run .*: %s; set vagrant_path"
                       % (fake, reason)):
        plugin.parse(InventoryData(), DataLoader(), str(config), cache=False)


def test_missing_vagrantfile(tmp_path, make_inventory):
    with pytest.raises(AnsibleParserError, match="no Vagrantfile in"):
        make_inventory({}, projects=())  # the inventory's own directory has none


def test_cached_listing_used_only_while_it_describes_the_machines(tmp_path, monkeypatch):
    """A warm cache spares both vagrant processes, but not once a machine is re-created or its SSH port is gone."""
    import socket

    project = tmp_path / "lab"
    (project / ".vagrant" / "machines" / "master" / "docker").mkdir(parents=True)
    (project / "Vagrantfile").write_text("# recorded\n")
    (project / ".vagrant" / "machines" / "master" / "docker" / "id").write_text("c0ffee\n")
    listeners = [socket.create_server(("127.0.0.1", 0)), socket.create_server(("127.0.0.1", 0))]
    ports = [sock.getsockname()[1] for sock in listeners]
    ssh_config = fixture("ssh-config-running.txt").replace("Port 2200", "Port %d" % ports[0]).replace(
        "Port 2222", "Port %d" % ports[1])
    answers = {("lab", "status"): (0, fixture("status-running.txt"), ""), ("lab", "ssh-config"): (0, ssh_config, "")}
    config = tmp_path / "test.vagrant.yml"
    config.write_text("plugin: distrant.distcc.vagrant\nproject_dirs: [lab]\ncache: true\n"
                      "cache_plugin: ansible.builtin.jsonfile\ncache_connection: %s\n" % (tmp_path / "cache"))

    def parse():
        plugin = inventory_loader.get("distrant.distcc.vagrant")
        recorder = Recorder(answers)
        monkeypatch.setattr(plugin, "_run_vagrant", recorder)
        inventory = InventoryData()
        plugin.parse(inventory, DataLoader(), str(config), cache=True)
        plugin.update_cache_if_changed()  # what ansible's inventory manager does after parse
        assert sorted(inventory.hosts) == ["master", "worker-1"]
        return len(recorder.calls)

    try:
        assert parse() == 2  # cold cache: status and ssh-config
        assert parse() == 0  # warm cache, same machines, ports answer
        (project / ".vagrant" / "machines" / "master" / "docker" / "id").write_text("decade\n")
        assert parse() == 2  # the master was re-created
        assert parse() == 0
        listeners.pop().close()
        assert parse() == 2  # worker-1's SSH port does not answer any more
    finally:
        for sock in listeners:
            sock.close()


# What the repository's Vagrantfile writes with DISTRANT_NETWORK=10.200.7 (two machines).
LAB_VARS = """{
  "groups": {"vagrant": {"distcc_network_cidr": "10.200.7.0/24"}},
  "hosts": {"master": {"vagrant_private_address": "10.200.7.2"},
            "worker-1": {"vagrant_private_address": "10.200.7.3"},
            "worker-2": {"vagrant_private_address": "10.200.7.4"}}
}
"""


def write_vars(tmp_path, text, name="inventory-vars.json"):
    (tmp_path / "lab" / ".vagrant").mkdir(parents=True, exist_ok=True)
    (tmp_path / "lab" / ".vagrant" / name).write_text(text)


def test_vars_file_gives_the_lab_network_and_addresses(tmp_path, make_inventory, monkeypatch):
    monkeypatch.delenv("VAGRANT_DOTFILE_PATH", raising=False)
    write_vars(tmp_path, LAB_VARS)
    inventory, dummy = make_inventory(RUNNING)
    master = inventory.get_host("master")
    assert master.get_vars()["vagrant_private_address"] == "10.200.7.2"
    assert inventory.get_host("worker-1").get_vars()["vagrant_private_address"] == "10.200.7.3"
    assert "worker-2" not in inventory.hosts  # not running: its variables make no host
    assert inventory.groups["vagrant"].get_vars() == {"distcc_network_cidr": "10.200.7.0/24"}
    # the connection still comes from ssh-config, whatever the file says
    assert master.get_vars()["ansible_host"] == "127.0.0.1"


def test_vars_file_in_the_vagrant_state_directory_named_by_the_environment(tmp_path, make_inventory, monkeypatch):
    monkeypatch.setenv("VAGRANT_DOTFILE_PATH", str(tmp_path / "state"))
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "inventory-vars.json").write_text(LAB_VARS.replace("10.200.7", "10.200.21"))
    write_vars(tmp_path, LAB_VARS)  # the default .vagrant is not this project's state any more
    inventory, dummy = make_inventory(RUNNING)
    assert inventory.groups["vagrant"].get_vars() == {"distcc_network_cidr": "10.200.21.0/24"}


def test_no_vars_file_or_turned_off_adds_nothing(tmp_path, make_inventory, monkeypatch):
    monkeypatch.delenv("VAGRANT_DOTFILE_PATH", raising=False)
    inventory, dummy = make_inventory(RUNNING)
    assert "vagrant_private_address" not in inventory.get_host("master").get_vars()
    assert inventory.groups["vagrant"].get_vars() == {}
    write_vars(tmp_path, LAB_VARS)
    inventory, dummy = make_inventory(RUNNING, vars_file="''")
    assert inventory.groups["vagrant"].get_vars() == {}


@pytest.mark.parametrize("text, message", [
    ("{not json", "could not be read as JSON"),
    ('["10.200.7.0/24"]', "the top level must be a mapping with only hosts and groups"),
    ('{"network": "10.200.7"}', "the top level must be a mapping with only hosts and groups"),
    ('{"hosts": {"master": "10.200.7.2"}}', "hosts must map each name to a mapping of variables"),
])
def test_vars_file_that_is_not_what_it_should_be_names_the_file(tmp_path, make_inventory, monkeypatch, text, message):
    monkeypatch.delenv("VAGRANT_DOTFILE_PATH", raising=False)
    write_vars(tmp_path, text)
    with pytest.raises(AnsibleParserError, match="vars_file .*lab/.vagrant/inventory-vars.json .*" + message):
        make_inventory(RUNNING)


def test_the_documentation_names_its_author_as_the_modules_do():
    # ansible-doc and the collection's docs site show the author, as for the modules
    from ansible_collections.distrant.distcc.plugins.inventory import vagrant as plugin

    doc = yaml.safe_load(plugin.DOCUMENTATION)
    assert doc["author"] == ["distrant.distcc contributors (@distrant)"]


def test_the_labs_cache_host_joins_distcc_caches_as_the_repositorys_inventory_says(
        tmp_path, make_inventory, monkeypatch):
    """DISTRANT_CACHE=worker-1: the Vagrantfile marks it (distrant_lab_cache), inventories/vagrant.yml's groups entry
    puts it in distcc_caches, and only it; without the mark the group stays empty."""
    monkeypatch.delenv("VAGRANT_DOTFILE_PATH", raising=False)
    with open(os.path.join(REPO, "inventories", "vagrant.yml")) as handle:
        groups = yaml.safe_load(handle)["groups"]
    option = "{%s}" % ", ".join("%s: %s" % (name, yaml.safe_dump(rule, default_style='"').strip())
                                for name, rule in groups.items())
    marked = LAB_VARS.replace('"10.200.7.3"}', '"10.200.7.3", "distrant_lab_cache": true}')
    write_vars(tmp_path, marked)
    inventory, dummy = make_inventory(RUNNING, groups=option)
    assert [h.name for h in inventory.groups["distcc_caches"].get_hosts()] == ["worker-1"]
    assert "worker-1" in [h.name for h in inventory.groups["distcc_workers"].get_hosts()]  # still a worker
    write_vars(tmp_path, LAB_VARS)
    inventory, dummy = make_inventory(RUNNING, groups=option)
    assert "distcc_caches" not in inventory.groups or not inventory.groups["distcc_caches"].get_hosts()
