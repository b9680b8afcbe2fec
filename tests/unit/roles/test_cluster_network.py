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


CGNAT = ("in 100.64.0.0/10: the shared address space of RFC 6598, for carrier-grade NAT, that Tailscale and similar "
         "overlays give their hosts addresses in. It is not a private network: a carrier's other customers share "
         "it. distccd runs whatever compiler command a client it admits sends, so the ACL admits only the private "
         "networks 10.0.0.0/8, 172.16.0.0/12 and 192.168.0.0/16 (and 127.0.0.0/8). Give the masters and workers "
         "addresses in one of them on the network they share (a LAN, a VPN or overlay interface with such "
         "addresses) and set distcc_network_cidr to it.")


@pytest.mark.parametrize("networks, named", [
    ("100.64.0.0/10", "100.64.0.0/10"),
    ("10.1.0.0/16,100.101.2.3/32", "100.101.2.3/32"),
    ("100.127.255.0/24", "100.127.255.0/24"),
])
def test_the_acl_refuses_the_shared_address_space_saying_why_and_what_to_do(tmp_path, networks, named):
    play = PLAY.format(role="distcc_worker").replace("gather_facts: false", "gather_facts: true")
    rc, out = run(tmp_path, play, "[distcc_masters]\n[distcc_workers]\nw1 %s\n" % LOCAL,
                  "distcc_worker_preflight", ["distcc_worker_allowed_networks=" + networks])
    assert rc != 0
    assert ("The ACL of w1 would admit %s (a master's address or distcc_worker_allowed_networks), %s"
            % (named, CGNAT)) in flat(out), out
