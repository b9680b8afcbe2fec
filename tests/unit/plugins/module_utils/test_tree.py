"""The source tree: a kernel tree, its build system, and the build lock of .distrant/."""

from __future__ import annotations

import os

import pytest

from ansible_collections.distrant.distcc.plugins.module_utils._tree import (
    TreeBusy,
    TreeState,
    detect_build_system,
    is_kernel_tree,
)


def test_is_kernel_tree(tmp_path):
    assert not is_kernel_tree(str(tmp_path))
    (tmp_path / "Kbuild").write_text("")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "Kbuild.include").write_text("")
    assert is_kernel_tree(str(tmp_path))


def test_detect_build_system(tmp_path):
    assert detect_build_system(str(tmp_path)) is None
    (tmp_path / "Makefile").write_text("all:\n")
    assert detect_build_system(str(tmp_path)) == "make"
    (tmp_path / "CMakeLists.txt").write_text("project(x)\n")
    assert detect_build_system(str(tmp_path)) == "cmake"
    configure = tmp_path / "configure"
    configure.write_text("#!/bin/sh\n")
    assert detect_build_system(str(tmp_path)) == "cmake"  # a configure script that cannot run is not one
    configure.chmod(0o755)
    assert detect_build_system(str(tmp_path)) == "autotools"
    (tmp_path / "Kbuild").write_text("")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "Kbuild.include").write_text("")
    assert detect_build_system(str(tmp_path)) == "make"  # a kernel tree, whatever else it has


def test_a_held_lock_refuses_a_second_holder_with_the_first_ones_text(tmp_path):
    tree = TreeState(str(tmp_path))
    os.makedirs(tree.dir)
    with tree.lock():
        with open(tree.path("lock")) as handle:
            holder = handle.read()
        with pytest.raises(TreeBusy) as busy:
            with tree.lock():
                raise AssertionError("the lock was taken twice")
        assert str(busy.value) == holder and holder.startswith("pid %d, started " % os.getpid())
        with open(tree.path("lock")) as handle:
            assert handle.read() == holder  # the refused holder cleared nothing
    with open(tree.path("lock")) as handle:
        assert handle.read() == ""


def test_the_lock_is_released_when_its_block_exits_the_process(tmp_path):
    # AnsibleModule.fail_json ends the module with SystemExit
    tree = TreeState(str(tmp_path))
    os.makedirs(tree.dir)
    with pytest.raises(SystemExit):
        with tree.lock():
            raise SystemExit(1)
    with tree.lock():
        pass
    with open(tree.path("lock")) as handle:
        assert handle.read() == ""


def test_a_lock_left_by_a_killed_build_names_its_holder_until_taken(tmp_path):
    # a build killed with SIGKILL leaves its text; flock itself went with the process
    tree = TreeState(str(tmp_path))
    os.makedirs(tree.dir)
    with open(tree.path("lock"), "w") as handle:
        handle.write("pid 1, started 2026-01-01T00:00:00Z")
    with tree.lock():
        with open(tree.path("lock")) as handle:
            assert handle.read().startswith("pid %d, " % os.getpid())
