"""A build's ssh connections: distcc's ssh argv, one connection opened per SSH worker before make, a refused host key
or key named with ssh's own words, a silent worker told apart, and only the connections this build opened closed."""

from __future__ import annotations

from ansible_collections.distrant.distcc.plugins.module_utils._host_list import parse_hosts
from ansible_collections.distrant.distcc.plugins.module_utils._ssh_hosts import (
    close_connections,
    configuration_hint,
    open_connections,
    ssh_command,
    ssh_targets,
)

# ssh 9.2's stderr for a worker whose host key is not the pinned one (recorded; address of the lab)
CHANGED = """@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!
Someone could be eavesdropping on you right now (man-in-the-middle attack)!
It is also possible that a host key has just been changed.
The fingerprint for the ED25519 key sent by the remote host is
SHA256:2Ykn7lTF9QqlOWQ3HNOiIwebNUjgrzn7PMt+3k9Y8hE.
Please contact your system administrator.
Add correct host key in /home/distcc-build/.ssh/distrant_distcc_known_hosts to get rid of this message.
Offending ED25519 key in /home/distcc-build/.ssh/distrant_distcc_known_hosts:1
  remove with:
  ssh-keygen -f "/home/distcc-build/.ssh/distrant_distcc_known_hosts" -R "10.200.1.3"
Host key for 10.200.1.3 has changed and you have requested strict checking.
Host key verification failed.
"""
DENIED = "distcc-ssh@10.200.1.4: Permission denied (publickey).\n"
SILENT = "ssh: connect to host 10.200.1.5 port 22: Connection refused\n"
NO_MASTER = ("Control socket connect(/home/distcc-build/.ssh/distrant-cm-0191): No such file or directory\n")


class Ssh:
    """A recorded ssh: each call's argv kept, the answer per (operation, host)."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def __call__(self, argv):
        self.calls.append(argv)
        op = "check" if "check" in argv else "exit" if "exit" in argv else "open"
        return self.answers.get((op, argv[-1]), (0, "", ""))


ENV = {"DISTCC_SSH": "ssh -F /home/distcc-build/.ssh/distrant-distcc.conf"}


def test_ssh_command_is_split_on_spaces_as_distcc_does():
    assert ssh_command(ENV) == ["ssh", "-F", "/home/distcc-build/.ssh/distrant-distcc.conf"]
    assert ssh_command({}) == ["ssh"]
    assert ssh_command({"DISTCC_SSH": "ssh  -q"}) == ["ssh", "-q"]


def test_ssh_targets_one_per_worker_tcp_and_localhost_left_out():
    entries = parse_hosts("localhost/1 @10.200.1.3/4,lzo,cpp 10.200.1.9/4 distcc-ssh@10.200.1.4/4 @10.200.1.3/2")
    assert ssh_targets(entries) == [("@10.200.1.3", ["10.200.1.3"]),
                                    ("distcc-ssh@10.200.1.4", ["-l", "distcc-ssh", "10.200.1.4"])]


def test_each_worker_without_a_connection_gets_one_before_the_build():
    ssh = Ssh({("check", "10.200.1.3"): (255, "", NO_MASTER), ("check", "10.200.1.4"): (0, "", "Master running")})
    opened, refused, silent = open_connections(ssh, ENV, parse_hosts("@10.200.1.3/4,lzo @10.200.1.4/4,lzo"))
    assert (opened, refused, silent) == (["@10.200.1.3"], [], [])
    assert ssh.calls == [
        ["ssh", "-F", "/home/distcc-build/.ssh/distrant-distcc.conf", "-O", "check", "10.200.1.3"],
        ["ssh", "-F", "/home/distcc-build/.ssh/distrant-distcc.conf", "-f", "-N", "10.200.1.3"],
        ["ssh", "-F", "/home/distcc-build/.ssh/distrant-distcc.conf", "-O", "check", "10.200.1.4"],
    ]
    # the connection that was there before the build stays for whoever opened it
    closing = Ssh({})
    close_connections(closing, ENV, parse_hosts("@10.200.1.3/4,lzo @10.200.1.4/4,lzo"), opened)
    assert closing.calls == [["ssh", "-F", "/home/distcc-build/.ssh/distrant-distcc.conf", "-O", "exit", "10.200.1.3"]]


def test_a_changed_host_key_and_a_refused_key_are_refusals_a_silent_worker_is_not():
    ssh = Ssh({("check", h): (255, "", NO_MASTER) for h in ("10.200.1.3", "10.200.1.4", "10.200.1.5")})
    ssh.answers.update({("open", "10.200.1.3"): (255, "", CHANGED), ("open", "10.200.1.4"): (255, "", DENIED),
                        ("open", "10.200.1.5"): (255, "", SILENT)})
    opened, refused, silent = open_connections(
        ssh, ENV, parse_hosts("@10.200.1.3/4,lzo distcc-ssh@10.200.1.4/4,lzo @10.200.1.5/4,lzo"))
    assert opened == []
    assert refused == [
        ("@10.200.1.3", "Host key for 10.200.1.3 has changed and you have requested strict checking. "
                        "Host key verification failed."),
        ("distcc-ssh@10.200.1.4", "distcc-ssh@10.200.1.4: Permission denied (publickey)."),
    ]
    assert silent == [("@10.200.1.5", "ssh: connect to host 10.200.1.5 port 22: Connection refused")]


def test_a_tcp_host_list_runs_no_ssh():
    ssh = Ssh({})
    assert open_connections(ssh, ENV, parse_hosts("localhost/2 10.200.1.3/4,lzo")) == ([], [], [])
    assert ssh.calls == []


def test_a_refusal_without_distcc_ssh_says_ssh_ran_without_the_roles_configuration():
    # seen on the lab: a build given the ssh host list but not DISTCC_SSH (a playbook run without the transport's -e)
    # was refused by every worker with "Host key verification failed." from the build user's empty known hosts
    hint = configuration_hint({}, {})
    assert "ssh ran without DISTCC_SSH" in hint and "distcc_master_exports.distcc_env" in hint
    assert configuration_hint({"DISTCC_SSH": "ssh -F /home/b/.ssh/distrant-distcc.conf"}, {}) == ""
    assert configuration_hint({}, {"DISTCC_SSH": "ssh -F /home/b/.ssh/distrant-distcc.conf"}) == ""
