# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of distrant.distcc: the worker ACL, a host's cluster address and the DISTCC_HOSTS policy."""

from __future__ import annotations

import ipaddress

from ansible.errors import AnsibleFilterError

from ansible_collections.distrant.distcc.plugins.module_utils._cgroup import quota_cpus_v2
from ansible_collections.distrant.distcc.plugins.plugin_utils._policy import (
    PolicyError,
    cluster_network,
    compiler_check,
    effective_cpus,
    host_list,
    worker_jobs,
)
from ansible_collections.distrant.distcc.plugins.plugin_utils._previous_build import PreviousBuildError, previous_build
from ansible_collections.distrant.distcc.plugins.plugin_utils._project import project_source

# What a worker's ACL may admit: private (RFC 1918) and loopback addresses, however the
# networks are written (0.0.0.0/1 and 128.0.0.0/1 admit as much as 0.0.0.0/0).
PRIVATE_NETWORKS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8")


def _outside_private(net):
    """The parts of an IPv4 network outside PRIVATE_NETWORKS, lowest first (CIDRs nest or are disjoint)."""
    parts = [net]
    for private in (ipaddress.ip_network(p) for p in PRIVATE_NETWORKS):
        rest = []
        for part in parts:
            if part.subnet_of(private):
                continue
            rest.extend(part.address_exclude(private) if private.subnet_of(part) else [part])
        parts = rest
    return sorted(parts)


def distcc_acl(networks, name="distcc_worker ACL"):
    """Validate and normalise the networks distccd may --allow.

    Fails on an empty list, on anything that is not an IPv4 network, on a network with
    host bits set, and on any network that admits an address outside the private ranges
    (the whole Internet, or any public address, whatever the prefix length).
    """
    if isinstance(networks, str) or not isinstance(networks, (list, tuple)):
        raise AnsibleFilterError("%s must be a list of networks (CIDR strings), got %r" % (name, networks))
    if not networks:
        raise AnsibleFilterError(
            "%s is empty: distccd 3.4 started without --allow accepts EVERY address. "
            "Put at least one master in distcc_masters or a network in distcc_worker_allowed_networks." % name
        )
    result = []
    for item in networks:
        text = str(item).strip()
        try:
            iface = ipaddress.ip_interface(text if "/" in text else text + "/32")
        except ValueError:
            raise AnsibleFilterError("%s: %r is not an IP network; write it as a CIDR such as 10.200.1.2/32" % (name, item))
        net = iface.network
        if net.version != 4:
            raise AnsibleFilterError("%s: %s is IPv6; distccd's --allow takes IPv4 networks only" % (name, text))
        if net.prefixlen == 0:
            raise AnsibleFilterError(
                "%s: %s would let every address run compilers on the worker; "
                "list the masters' networks instead" % (name, text)
            )
        outside = _outside_private(net)
        if outside:
            raise AnsibleFilterError(
                "%s: %s admits addresses outside the private networks (%s), e.g. %s: distccd would run compilers "
                "for hosts on the Internet; list the masters' private networks instead"
                % (name, text, ", ".join(PRIVATE_NETWORKS), outside[0].network_address)
            )
        if iface.ip != net.network_address:
            raise AnsibleFilterError(
                "%s: %s has host bits set; did you mean %s/%d (the network) or %s/32 (one host)?"
                % (name, text, net.network_address, net.prefixlen, iface.ip)
            )
        cidr = str(net)
        if cidr not in result:
            result.append(cidr)
    return result


def distcc_address_in(addresses, network):
    """The first of a host's IPv4 addresses (e.g. ansible_facts.all_ipv4_addresses) inside network, else ''."""
    try:
        net = cluster_network(network)
    except PolicyError as exc:
        raise AnsibleFilterError(str(exc))
    if isinstance(addresses, str) or not isinstance(addresses, (list, tuple)):
        raise AnsibleFilterError("distcc_address_in takes a list of addresses, got %r" % (addresses,))
    for address in addresses:
        try:
            if ipaddress.ip_address(str(address).strip()) in net:
                return str(address).strip()
        except ValueError:
            continue
    return ""


def distcc_effective_cpus(vcpus, cgroup_cpu_text=None):
    """vCPUs capped by a cgroup quota, given as the text of cpu.max or 'quota period' (v1)."""
    try:
        return effective_cpus(vcpus, quota_cpus_v2(cgroup_cpu_text))
    except PolicyError as exc:
        raise AnsibleFilterError("distcc_effective_cpus: %s" % exc)


def distcc_worker_jobs(cpus):
    """Jobs a worker's distccd accepts (and its /LIMIT) for its effective CPUs (plugin_utils._policy)."""
    try:
        return worker_jobs(effective_cpus(cpus))
    except PolicyError as exc:
        raise AnsibleFilterError("distcc_worker_jobs: %s" % exc)


def distcc_host_list(workers, master_cpus, lzo=False, localhost="auto", pump=False, self_address=None, order="rotate",
                     team_index=0, transport="tcp"):
    """DISTCC_HOSTS and make -j for a master and its workers, over tcp or ssh (see plugin_utils._policy)."""
    try:
        return host_list(workers, master_cpus, lzo=lzo, localhost=localhost, pump=pump, self_address=self_address,
                         order=order, team_index=team_index, transport=transport)
    except PolicyError as exc:
        raise AnsibleFilterError("distcc_host_list: %s" % exc)


def distcc_compiler_check(workers, master, master_versions, compilers=("gcc", "g++"), match="major.minor"):
    """Every worker's compilers against the master's, by major.minor or major (see plugin_utils._policy)."""
    try:
        return compiler_check(master, master_versions, workers, compilers, match)
    except PolicyError as exc:
        raise AnsibleFilterError("distcc_compiler_check: %s" % exc)


def distcc_project_source(value, name=None):
    """distcc_project_source validated and normalised (see plugin_utils._project)."""
    try:
        return project_source(value, name)
    except PolicyError as exc:
        raise AnsibleFilterError(str(exc))


def distcc_previous_build(previous, current):
    """The summary's words on the previous build (see _previous_build.previous_build)."""
    try:
        return previous_build(previous, current)
    except PreviousBuildError as exc:
        raise AnsibleFilterError("distcc_previous_build: %s" % exc)


class FilterModule:
    """distrant.distcc filters."""

    def filters(self):
        return {
            "distcc_acl": distcc_acl,
            "distcc_compiler_check": distcc_compiler_check,
            "distcc_address_in": distcc_address_in,
            "distcc_effective_cpus": distcc_effective_cpus,
            "distcc_host_list": distcc_host_list,
            "distcc_previous_build": distcc_previous_build,
            "distcc_project_source": distcc_project_source,
            "distcc_worker_jobs": distcc_worker_jobs,
        }
