# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of distrant.distcc: a cluster network, and a file distcc_host_info read that is already what a role
would write."""

from __future__ import annotations

from ansible_collections.distrant.distcc.plugins.plugin_utils._policy import PolicyError, cluster_network


def distcc_file_like(info, content, owner="root", group="root", mode="0644"):
    """True when info (a distcc_host_info ``files`` entry) is a regular file with this content,
    owner, group and mode. Trailing white space is not compared (templates keep or drop the last
    newline depending on their settings)."""
    if not isinstance(info, dict) or info.get("type") != "file" or info.get("content") is None:
        return False
    return (
        [info.get("owner"), info.get("group"), info.get("mode")] == [owner, group, mode]
        and info["content"].rstrip() == str(content).rstrip()
    )


def distcc_network(value):
    """True for an IPv4 network in CIDR form with no host bits set and room for hosts (10.200.1.0/24)."""
    if not isinstance(value, str) or "/" not in value:
        return False
    try:
        return cluster_network(value).num_addresses > 1
    except PolicyError:
        return False


class TestModule:
    def tests(self):
        return {"distcc_file_like": distcc_file_like, "distcc_network": distcc_network}
