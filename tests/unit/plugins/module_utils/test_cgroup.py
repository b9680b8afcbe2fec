from __future__ import annotations

import pytest

from ansible_collections.distrant.distcc.plugins.module_utils._cgroup import (
    cpu_used_from_fs,
    parse_proc_cgroup,
    quota_cpus_v2,
    quota_from_fs,
    read_host_cpus,
)

# /proc/1/cgroup of a docker container started with --cgroupns=host --cpus 1.6 (cgroup v1 host)
V1_PROC = """12:cpu,cpuacct:/docker/6e87631f3f92
9:name=systemd:/docker/6e87631f3f92
8:pids:/docker/6e87631f3f92
0::/docker/6e87631f3f92
"""


def fs(files):
    return files.get


def test_parse_proc_cgroup():
    paths = parse_proc_cgroup(V1_PROC)
    assert paths["cpu"] == "/docker/6e87631f3f92"
    assert paths["cpuacct"] == "/docker/6e87631f3f92"
    assert paths[""] == "/docker/6e87631f3f92"


def test_v1_container_quota():
    files = {
        "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000",
        "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "-1",
        "/sys/fs/cgroup/cpu,cpuacct/docker/6e87631f3f92/cpu.cfs_quota_us": "160000",
        "/sys/fs/cgroup/cpu,cpuacct/docker/6e87631f3f92/cpu.cfs_period_us": "100000",
        "/sys/fs/cgroup/cpu,cpuacct/docker/cpu.cfs_quota_us": "-1",
        "/sys/fs/cgroup/cpu,cpuacct/docker/cpu.cfs_period_us": "100000",
    }
    quota, version, source = quota_from_fs(V1_PROC, read=fs(files))
    assert version == 1
    assert quota == pytest.approx(1.6)
    assert source == "/sys/fs/cgroup/cpu,cpuacct/docker/6e87631f3f92"


def test_v1_no_quota():
    files = {"/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000", "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "-1"}
    assert quota_from_fs("12:cpu,cpuacct:/\n", read=fs(files)) == (None, 1, None)


def test_v2_smallest_ancestor_wins():
    files = {
        "/sys/fs/cgroup/cgroup.controllers": "cpu io memory",
        "/sys/fs/cgroup/kubepods/cpu.max": "200000 100000",
        "/sys/fs/cgroup/kubepods/pod1/cpu.max": "50000 100000",
        "/sys/fs/cgroup/kubepods/pod1/c1/cpu.max": "max 100000",
    }
    quota, version, source = quota_from_fs("0::/kubepods/pod1/c1\n", read=fs(files))
    assert (quota, version, source) == (0.5, 2, "/sys/fs/cgroup/kubepods/pod1/cpu.max")


@pytest.mark.parametrize("text, expected", [("max 100000", None), ("40000 100000", 0.4), ("", None), ("junk", None)])
def test_quota_cpus_v2(text, expected):
    assert quota_cpus_v2(text) == expected


def test_read_host_cpus_from_a_cgroup_v1_tree(tmp_path):
    # the layout of a docker --cpus 1.6 container with --cgroupns=host on a cgroup v1 host
    proc = tmp_path / "cgroup"
    proc.write_text(V1_PROC)
    base = tmp_path / "fs" / "cpu,cpuacct"
    (base / "docker" / "6e87631f3f92").mkdir(parents=True)
    (base / "cpu.cfs_period_us").write_text("100000\n")
    (base / "cpu.cfs_quota_us").write_text("-1\n")
    (base / "docker" / "6e87631f3f92" / "cpu.cfs_period_us").write_text("100000\n")
    (base / "docker" / "6e87631f3f92" / "cpu.cfs_quota_us").write_text("160000\n")
    info = read_host_cpus(str(proc), root=str(tmp_path / "fs"))
    assert info["quota_cpus"] == pytest.approx(1.6)
    assert info["cgroup_version"] == 1
    assert info["effective_cpus"] == pytest.approx(min(1.6, info["vcpus"]))


def _reader(files):
    return files.get


def test_cpu_used_v1_own_cgroup_at_the_mount_root():
    files = {"/sys/fs/cgroup/cpuacct/cpuacct.usage": "2500000000"}
    used, source = cpu_used_from_fs("4:cpuacct:/docker/abc\n", read=_reader(files))
    assert (used, source) == (2.5, "/sys/fs/cgroup/cpuacct/cpuacct.usage")


def test_cpu_used_v1_cgroupns_host_path_wins():
    files = {"/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpuacct.usage": "1000000000",
             "/sys/fs/cgroup/cpu,cpuacct/cpuacct.usage": "9000000000"}
    used, dummy = cpu_used_from_fs("4:cpu,cpuacct:/docker/abc\n", read=_reader(files))
    assert used == 1.0


def test_cpu_used_v2():
    files = {"/sys/fs/cgroup/cgroup.controllers": "cpu", "/sys/fs/cgroup/cpu.stat": "usage_usec 1500000\nuser_usec 1"}
    assert cpu_used_from_fs("0::/\n", read=_reader(files))[0] == 1.5


def test_cpu_used_proc_stat_leaves_out_idle_and_iowait():
    files = {"/proc/stat": "cpu  100 0 50 9999 7777 0 10 0 0 0\ncpu0 1 2 3"}
    assert cpu_used_from_fs("", read=_reader(files), clock_ticks=100)[0] == 1.6
