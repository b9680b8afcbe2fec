"""distcc_transport=ssh in the roles' preflight (check mode, this machine as the hosts): the worker admits exactly
the masters' keys, each forced to run distccd and nothing else, refuses a master without a key and input that
would end up in sshd's forced command; the master names its ssh configuration for the build (DISTCC_SSH)."""

from __future__ import annotations

import os

import pytest
from _playbook import LOCAL, flat, role_play, run, shown

ROLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
                     "roles")
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEmzWV2MdCEL658dScvY8QefsJaBLo7Og72E29EUEKfw"
WORKER_PLAY = role_play(
    "distcc_workers", "distcc_worker", "Show what the role would write",
    "READ {{ {'keys': lookup('ansible.builtin.template', '%s'), 'sshd': lookup('ansible.builtin.template', '%s'),"
    " 'endpoint': __distcc_worker_endpoint, 'packages': __distcc_worker_packages,"
    " 'exports': distcc_worker_exports} | to_json }} READ"
    % (os.path.join(ROLES, "distcc_worker", "templates", "distcc-ssh-authorized-keys.j2"),
       os.path.join(ROLES, "distcc_worker", "templates", "distcc-sshd.conf.j2")))


def worker_run(tmp_path, extra, master_vars=""):
    inventory = "[distcc_masters]\nm1 %s %s\n[distcc_workers]\nw1 %s\n" % (LOCAL, master_vars, LOCAL)
    return run(tmp_path, WORKER_PLAY, inventory, "distcc_worker_preflight",
               ["distcc_transport=ssh", "distcc_worker_jobs=16"] + list(extra))


def test_the_worker_admits_each_masters_key_forced_to_run_distccd(tmp_path):
    rc, out = worker_run(tmp_path, [], "distcc_master_ssh_public_key='%s'" % KEY)
    assert rc == 0, out
    seen = shown(out)
    lines = [line for line in seen["keys"].splitlines() if line and not line.startswith("#")]
    assert lines == [
        'restrict,command="TMPDIR=/run/distcc-ssh exec /usr/local/lib/distrant-distcc/distccd --inetd --nice 10 '
        '--log-level info --log-file /var/log/distcc-ssh/distccd.log" %s m1' % KEY]
    sshd = [line.strip() for line in seen["sshd"].splitlines() if line.strip() and not line.startswith("#")]
    assert sshd[:7] == ["Match User distcc-ssh", "AuthorizedKeysFile /etc/ssh/distrant_authorized_keys/%u",
                        "AuthenticationMethods publickey", "DisableForwarding yes", "PermitTTY no",
                        "PermitUserRC no", "# one master's connection carries up to its /LIMIT of compiles at once "
                        "(this worker's jobs)"]
    # sshd refuses the 11th session of a connection by default; the master's /LIMIT here is the worker's 16 jobs
    assert sshd[-1] == "MaxSessions 16"
    # the masters probe sshd's port, not distccd's
    assert seen["endpoint"].endswith(":22")
    # distccd built with the inetd fix (distcc_worker_ssh_distccd=build): what it is built with
    assert {"openssh-server", "autoconf", "automake", "libpopt-dev", "patch"} <= set(seen["packages"])
    assert (seen["exports"]["transport"], seen["exports"]["ssh_user"]) == ("ssh", "distcc-ssh")


def test_a_master_without_a_key_is_named_with_what_to_run(tmp_path):
    rc, out = worker_run(tmp_path, [])
    assert rc != 0
    assert ("distcc_worker_transport=ssh: no ssh public key known for the master m1 (distcc_master_ssh_public_key). "
            "Each master makes its key pair on itself: run the distcc_master role's ssh_key entry point on the masters "
            "before the workers") in flat(out), out


@pytest.mark.parametrize("extra", [
    "distcc_worker_ssh_user=root",
    "distcc_worker_ssh_user=distccd",
    "distcc_worker_ssh_user=Distcc SSH",
    '{"distcc_worker_ssh_distccd": "/usr/bin/distccd\\"; sh"}',
    '{"distcc_worker_ssh_log_file": "/var/log/my logs/distccd.log"}',
])
def test_what_would_break_the_forced_command_is_refused(tmp_path, extra):
    rc, out = worker_run(tmp_path, [extra], "distcc_master_ssh_public_key='%s'" % KEY)
    assert rc != 0
    assert "distcc_worker_transport=ssh needs distcc_worker_ssh_user" in flat(out), out


def test_debians_distccd_can_be_named_instead_of_the_built_one(tmp_path):
    rc, out = worker_run(tmp_path, ["distcc_worker_ssh_distccd=/usr/bin/distccd"],
                         "distcc_master_ssh_public_key='%s'" % KEY)
    assert rc == 0, out
    seen = shown(out)
    assert "exec /usr/bin/distccd --inetd" in seen["keys"]
    assert "autoconf" not in seen["packages"]


def test_metrics_need_the_tcp_daemon(tmp_path):
    rc, out = worker_run(tmp_path, ["distcc_worker_metrics=true"], "distcc_master_ssh_public_key='%s'" % KEY)
    assert rc != 0
    assert "which does not run with distcc_worker_transport=ssh" in flat(out), out


# a play on the masters that loads the master role's exports and variables; tests add their tasks after it
EXPORTS_PLAY = """
- hosts: %s
  gather_facts: false
  tasks:
    - name: Load the master role's exports and variables
      ansible.builtin.include_role:
        name: distrant.distcc.distcc_master
        tasks_from: exports
        public: true
"""
MASTER_PLAY = EXPORTS_PLAY % "distcc_masters" + """    - name: Show them
      ansible.builtin.debug:
        msg: "READ {{ {'transport': distcc_master_exports.transport,
                       'env': distcc_master_exports.distcc_env} | to_json }} READ"
"""


@pytest.mark.parametrize("transport, env", [
    ("ssh", {"DISTCC_SSH": "ssh -F /home/distcc-build/.ssh/distrant-distcc.conf"}),
    ("tcp", {}),
])
def test_the_master_exports_the_environment_of_its_transport(tmp_path, transport, env):
    rc, out = run(tmp_path, MASTER_PLAY, "[distcc_masters]\nm1 %s\n" % LOCAL, "all", ["distcc_transport=" + transport])
    assert rc == 0, out
    assert shown(out) == {"transport": transport, "env": env}


KNOWN_HOSTS_PLAY = EXPORTS_PLAY % "m1" + """    - name: Two workers - one whose role exposed its key in this play, one read on it (slurp's result)
      ansible.builtin.set_fact:
        __distcc_master_workers: [w1, w2]
        __distcc_master_worker_addresses: [10.200.1.3, 10.200.1.4]
        __distcc_master_ssh_host_keys:
          results:
            - {item: w1, skipped: true}
            - {item: w2, content: "{{ 'ssh-ed25519 AAAAW2key root@w2\\n' | b64encode }}"}
    - name: Show
      ansible.builtin.debug:
        msg: "READ {{ {'keys': __distcc_master_ssh_known_keys,
                       'file': __distcc_master_ssh_known_hosts_content} | to_json }} READ"
"""


def test_the_master_pins_each_workers_key_from_its_fact_or_from_the_worker(tmp_path):
    inventory = ("[distcc_masters]\nm1 %s\n[distcc_workers]\nw1 %s distcc_worker_ssh_host_key='ssh-ed25519 AAAAW1key'"
                 "\nw2 %s\n" % (LOCAL, LOCAL, LOCAL))
    rc, out = run(tmp_path, KNOWN_HOSTS_PLAY, inventory, "all", ["distcc_transport=ssh"])
    assert rc == 0, out
    seen = shown(out)
    assert seen["keys"] == ["ssh-ed25519 AAAAW1key", "ssh-ed25519 AAAAW2key"]
    assert [line for line in seen["file"].splitlines() if not line.startswith("#")] == [
        "10.200.1.3 ssh-ed25519 AAAAW1key", "10.200.1.4 ssh-ed25519 AAAAW2key"]
