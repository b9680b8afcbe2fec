from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.distrant.distcc.plugins.filter.distcc import (
    FilterModule,
    distcc_acl,
    distcc_address_in,
    distcc_effective_cpus,
    distcc_host_list,
    distcc_worker_jobs,
)


def test_filters_registered():
    assert set(FilterModule().filters()) == {"distcc_acl", "distcc_address_in", "distcc_compiler_check",
                                             "distcc_effective_cpus", "distcc_host_list", "distcc_previous_build",
                                             "distcc_project_source", "distcc_worker_jobs"}


def test_address_in_the_cluster_network():
    # the lab's docker master: the docker bridge, the cluster network, the molecule "public" network
    addresses = ["172.17.0.2", "10.200.1.3", "10.200.12.3"]
    assert distcc_address_in(addresses, "10.200.1.0/24") == "10.200.1.3"
    assert distcc_address_in(addresses, " 10.200.12.0/24") == "10.200.12.3"
    assert distcc_address_in(addresses, "192.0.2.0/24") == ""
    assert distcc_address_in(["not an address", "10.200.1.9"], "10.200.1.0/24") == "10.200.1.9"
    assert distcc_address_in([], "10.200.1.0/24") == ""


@pytest.mark.parametrize("network, message", [
    ("10.200.1.0/33", "is not an IPv4 network"),
    ("10.200.1.5/24", "has host bits set"),
    ("fd00::/64", "is IPv6"),
])
def test_address_in_a_bad_network(network, message):
    with pytest.raises(AnsibleFilterError, match="distcc_network_cidr.*" + message.replace("(", ".")):
        distcc_address_in(["10.200.1.3"], network)


def test_address_in_needs_a_list():
    with pytest.raises(AnsibleFilterError, match="takes a list of addresses"):
        distcc_address_in("10.200.1.3", "10.200.1.0/24")


@pytest.mark.parametrize(
    "networks, expected",
    [
        (["10.200.1.2"], ["10.200.1.2/32"]),
        (["10.200.1.2/32", "192.168.7.0/24"], ["10.200.1.2/32", "192.168.7.0/24"]),
        (["10.200.1.2", "10.200.1.2/32"], ["10.200.1.2/32"]),
        (["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"], ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]),
    ],
)
def test_acl_ok(networks, expected):
    assert distcc_acl(networks) == expected


@pytest.mark.parametrize(
    "networks, message",
    [
        ([], "is empty: distccd 3.4 started without --allow accepts EVERY address"),
        (["0.0.0.0/0"], "would let every address run compilers"),
        # the same admitted, written otherwise
        (["0.0.0.0/1", "128.0.0.0/1"], "0.0.0.0/1 admits addresses outside the private networks"),
        (["10.200.1.2/32", "128.0.0.0/1"], "128.0.0.0/1 admits addresses outside the private networks"),
        (["8.8.8.0/24"], "e.g. 8.8.8.0: distccd would run compilers for hosts on the Internet"),
        (["10.0.0.0/7"], "e.g. 11.0.0.0"),
        (["172.16.0.0/11"], "e.g. 172.0.0.0"),
        (["10.200.1.0/33"], "is not an IP network"),
        (["worker-1"], "is not an IP network"),
        (["10.200.1.5/24"], "has host bits set; did you mean 10.200.1.0/24"),
        (["fd00::1/128"], "is IPv6"),
        ("10.200.1.2/32", "must be a list of networks"),
    ],
)
def test_acl_rejects(networks, message):
    with pytest.raises(AnsibleFilterError, match=message.replace(".", r"\.").replace("(", r"\(")):
        distcc_acl(networks)


def test_effective_cpus_filter():
    assert distcc_effective_cpus(2, "160000 100000") == pytest.approx(1.6)
    assert distcc_effective_cpus(2, "max 100000") == 2.0
    with pytest.raises(AnsibleFilterError, match="vcpus must be a number above 0 and at most 4096, got 0"):
        distcc_effective_cpus(0)


def test_host_list_filter_wraps_errors():
    assert distcc_host_list([{"address": "10.200.1.3", "cpus": 4}], 1)["distcc_hosts"] == "10.200.1.3/8"
    with pytest.raises(AnsibleFilterError, match="distcc_host_list: worker #0 address 'x' is not an IP address"):
        distcc_host_list([{"address": "x", "cpus": 1}], 1)


@pytest.mark.parametrize("cpus, expected", [(1.6, 4), (2, 4), (0.4, 2), ("1.6", 4)])
def test_worker_jobs_filter(cpus, expected):
    assert distcc_worker_jobs(cpus) == expected


def test_worker_jobs_filter_rejects():
    with pytest.raises(AnsibleFilterError, match="distcc_worker_jobs: vcpus must be a number above 0 and at most 4096, got 0"):
        distcc_worker_jobs(0)
