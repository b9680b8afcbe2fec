"""The cluster network (distcc_network_cidr) as a user may get it wrong, in both roles' preflight: the message
says what is wrong (IPv6, host bits set and the network meant, a single address, no prefix length) and what to
write, not only that it is not an IP network."""

from __future__ import annotations

import pytest
from _playbook import LOCAL, flat, run

PLAY = """
- hosts: all
  gather_facts: false
  roles:
    - role: distrant.distcc.{role}
"""
SHARE = "give the network the masters and workers share, such as 10.200.1.0/24."


@pytest.mark.parametrize("cidr, why", [
    ("fd00::/64", "is not an IP network but IPv6: distcc's host list and distccd's ACL take IPv4 only; give the "
                  "IPv4 network the masters and workers share, such as 10.200.1.0/24."),
    ("10.0.0.1/8", "is not an IP network but an address in one (host bits set); write the network it is in, "
                   "10.0.0.0/8 (-e distcc_network_cidr=10.0.0.0/8)."),
    ("10.200.1.77/26", "is not an IP network but an address in one (host bits set); write the network it is in, "
                       "10.200.1.64/26 (-e distcc_network_cidr=10.200.1.64/26)."),
    ("10.200.1.5/32", "is not an IP network but a single address (/32); " + SHARE),
    ("10.200.1.0", "is not an IP network: it has no prefix length; write it in CIDR form, such as 10.200.1.0/24."),
    ("10.300.1.0/24", "is not an IP network (four numbers 0-255, a slash and a prefix length 0-32); write it in "
                      "CIDR form, such as 10.200.1.0/24."),
])
@pytest.mark.parametrize("role", ["distcc_worker", "distcc_master"])
def test_a_wrong_cluster_network_is_refused_saying_what_is_wrong(tmp_path, role, cidr, why):
    inventory = "[distcc_masters]\n%s\n[distcc_workers]\n%s\n" % (
        ("h1 " + LOCAL, "") if role == "distcc_master" else ("", "h1 " + LOCAL))
    rc, out = run(tmp_path, PLAY.format(role=role), inventory, role + "_preflight",
                  ["distcc_network_cidr=" + cidr])
    assert rc != 0
    assert "%s_network_cidr (distcc_network_cidr) = %s %s" % (role, cidr, why) in flat(out), out
