"""A worker or a master that is switched off (ssh finds no route to it) in the other role's preflight: it is
named, with its address, in a warning (left out) or in the error of distcc_master_unreachable_workers=fail; the
host running the role is never marked unreachable for it, and no message shows a Jinja expression."""

from __future__ import annotations

import pytest
from _playbook import LOCAL, OFF, SSH_OFF, flat, recap, role_play, run

MASTER_PLAY = role_play("distcc_masters", "distcc_master", "Show the workers the role kept",
                        "WORKERS {{ __distcc_master_workers | to_json }}")
WORKER_PLAY = role_play("distcc_workers", "distcc_worker", "Show the ACL the role worked out",
                        "ACL {{ __distcc_worker_acl | to_json }} MASTERS {{ __distcc_worker_masters | to_json }}")


def master_run(tmp_path, mode):
    inventory = "[distcc_masters]\nm1 %s\n[distcc_workers]\nw-off %s\nw-on %s\n" % (LOCAL, SSH_OFF, LOCAL)
    return run(tmp_path, MASTER_PLAY, inventory, "distcc_master_preflight",
               ["distcc_master_unreachable_workers=%s" % mode])


def test_master_skip_leaves_a_worker_that_is_off_out_with_a_warning(tmp_path):
    rc, out = master_run(tmp_path, "skip")
    assert rc == 0, out
    assert ("[WARNING]: Cannot reach w-off:%s (worker:address) over ssh: left out of DISTCC_HOSTS "
            "(distcc_master_unreachable_workers=skip). Run the play again once it is back." % OFF) in flat(out), out
    assert 'WORKERS [\\"w-on\\"]' in out
    assert recap(out, "m1")["unreachable"] == 0
    assert "{{" not in out


def test_master_fail_names_the_worker_that_is_off_and_its_address(tmp_path):
    rc, out = master_run(tmp_path, "fail")
    assert rc != 0
    assert ("Cannot reach w-off:%s (worker:address) over ssh to read its network addresses: switched off, or no "
            "route to it? Switch it on and check that 'ansible -m ping' reaches it, remove it from the group "
            "distcc_workers, or set distcc_master_unreachable_workers=skip to build without it." % OFF) in flat(out), out
    counts = recap(out, "m1")
    assert (counts["unreachable"], counts["failed"]) == (0, 1)
    assert "{{" not in out


@pytest.mark.parametrize("allowed", [[], ["10.99.0.0/16"]])
def test_worker_leaves_a_master_that_is_off_out_of_the_acl_with_a_warning(tmp_path, allowed):
    inventory = "[distcc_masters]\nm-off %s\n[distcc_workers]\nw1 %s\n" % (SSH_OFF, LOCAL)
    rc, out = run(tmp_path, WORKER_PLAY, inventory, "distcc_worker_preflight",
                  ['{"distcc_worker_allowed_networks": %s}' % str(allowed).replace("'", '"')])
    assert "[WARNING]: Cannot reach the master m-off:%s (master:address) over ssh to read its network address " \
           "(switched off, or no route to it?): left out of the ACL of w1" % OFF in flat(out), out
    assert recap(out, "w1")["unreachable"] == 0
    assert "{{" not in out
    if allowed:
        assert rc == 0, out
        assert 'ACL [\\"10.99.0.0/16\\"] MASTERS []' in out
    else:
        # no master left and no extra network: the ACL would admit everyone, refused as before
        assert rc != 0
        assert "is empty: distccd 3.4 started without --allow accepts EVERY address" in flat(out)
