"""The distcc_file_like test: a file distcc_host_info read is already what a role would write."""

from __future__ import annotations

import pytest

from ansible_collections.distrant.distcc.plugins.test import distcc as tests_plugin
from ansible_collections.distrant.distcc.plugins.test.distcc import distcc_file_like

FILE = {"exists": True, "type": "file", "mode": "0644", "owner": "root", "group": "root", "target": None,
        "content": "[Unit]\nDescription=distcc\n"}


def test_same_content_owner_group_mode():
    assert distcc_file_like(FILE, "[Unit]\nDescription=distcc")  # the last newline aside
    assert "distcc_file_like" in tests_plugin.TestModule().tests()


def test_differences():
    assert not distcc_file_like(FILE, "[Unit]\nDescription=other\n")
    assert not distcc_file_like(dict(FILE, mode="0600"), FILE["content"])
    assert not distcc_file_like(dict(FILE, owner="distcc"), FILE["content"])
    assert not distcc_file_like(FILE, FILE["content"], owner="distcc-build", group="distcc-build")
    assert not distcc_file_like(dict(FILE, type="link", content=None), FILE["content"])
    assert not distcc_file_like({"exists": False, "type": None, "content": None}, "")
    assert not distcc_file_like(None, "")


@pytest.mark.parametrize("value, ok", [
    ("10.200.1.0/24", True), ("10.0.0.0/8", True), ("10.200.1.0/31", True),
    ("10.200.1.5/24", False), ("10.200.1.0/33", False), ("10.200.1.3", False), ("10.200.1.3/32", False),
    ("fd00::/64", False), ("", False), (24, False), (None, False), (["10.0.0.0/8"], False),
])
def test_cluster_network(value, ok):
    assert tests_plugin.distcc_network(value) is ok
