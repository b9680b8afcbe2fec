# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of distrant.distcc: the worker ACL and the DISTCC_HOSTS policy."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.distrant.distcc.plugins.module_utils._policy import (
    PolicyError,
    effective_cpus,
    host_list,
    parse_cgroup_quota,
    worker_jobs,
)

try:
    import netaddr

    HAS_NETADDR = True
except ImportError:  # pragma: no cover - depends on the controller
    HAS_NETADDR = False


# What a worker's ACL may admit: private (RFC 1918) and loopback addresses, however the
# networks are written (0.0.0.0/1 and 128.0.0.0/1 admit as much as 0.0.0.0/0).
PRIVATE_NETWORKS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8")


def distcc_acl(networks, name="distcc_worker ACL"):
    """Validate and normalise the networks distccd may --allow.

    Fails on an empty list, on anything that is not an IPv4 network, on a network with
    host bits set, and on any network that admits an address outside the private ranges
    (the whole Internet, or any public address, whatever the prefix length).
    """
    if not HAS_NETADDR:
        raise AnsibleFilterError("distcc_acl needs the netaddr Python library on the controller: pip install netaddr")
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
            net = netaddr.IPNetwork(text if "/" in text else text + "/32")
        except (netaddr.AddrFormatError, ValueError, TypeError):
            raise AnsibleFilterError("%s: %r is not an IP network; write it as a CIDR such as 10.200.1.2/32" % (name, item))
        if net.version != 4:
            raise AnsibleFilterError("%s: %s is IPv6; distccd's --allow takes IPv4 networks only" % (name, text))
        if net.prefixlen == 0:
            raise AnsibleFilterError(
                "%s: %s would let every address run compilers on the worker; "
                "list the masters' networks instead" % (name, text)
            )
        outside = netaddr.IPSet([net]) - netaddr.IPSet(PRIVATE_NETWORKS)
        if outside:
            raise AnsibleFilterError(
                "%s: %s admits addresses outside the private networks (%s), e.g. %s: distccd would run compilers "
                "for hosts on the Internet; list the masters' private networks instead"
                % (name, text, ", ".join(PRIVATE_NETWORKS), outside.iter_cidrs()[0].ip)
            )
        if net.ip != net.network:
            raise AnsibleFilterError(
                "%s: %s has host bits set; did you mean %s/%d (the network) or %s/32 (one host)?"
                % (name, text, net.network, net.prefixlen, net.ip)
            )
        cidr = str(net.cidr)
        if cidr not in result:
            result.append(cidr)
    return result


def distcc_effective_cpus(vcpus, cgroup_cpu_text=None):
    """vCPUs capped by a cgroup quota, given as the text of cpu.max or 'quota period' (v1)."""
    try:
        quota, period = parse_cgroup_quota(cgroup_cpu_text)
        return effective_cpus(vcpus, quota, period)
    except PolicyError as exc:
        raise AnsibleFilterError("distcc_effective_cpus: %s" % exc)


def distcc_worker_jobs(cpus):
    """Jobs a worker's distccd accepts (and its /LIMIT) for its effective CPUs (module_utils._policy)."""
    try:
        return worker_jobs(effective_cpus(cpus))
    except PolicyError as exc:
        raise AnsibleFilterError("distcc_worker_jobs: %s" % exc)


def distcc_host_list(workers, master_cpus, lzo=False, localhost="auto", pump=False):
    """DISTCC_HOSTS and make -j for a master and its workers (see module_utils._policy)."""
    try:
        return host_list(workers, master_cpus, lzo=lzo, localhost=localhost, pump=pump)
    except PolicyError as exc:
        raise AnsibleFilterError("distcc_host_list: %s" % exc)


class FilterModule:
    """distrant.distcc filters."""

    def filters(self):
        return {
            "distcc_acl": distcc_acl,
            "distcc_effective_cpus": distcc_effective_cpus,
            "distcc_host_list": distcc_host_list,
            "distcc_worker_jobs": distcc_worker_jobs,
        }
