# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Headers pump mode cannot cover: found before the build, the tree built plain from the start (pump auto)."""

from __future__ import annotations

import pytest

from ansible_collections.distrant.distcc.plugins.module_utils import _build_run
from ansible_collections.distrant.distcc.plugins.module_utils._build_features import Pump
from ansible_collections.distrant.distcc.plugins.module_utils._build_types import Measured
from ansible_collections.distrant.distcc.plugins.module_utils._pump import pump_blockers
from ansible_collections.distrant.distcc.plugins.modules import distcc_build as module
from conftest import build_params as params

PUMP_HOSTS = "10.200.1.3/4,cpp,lzo"


def pump_ok(path):
    return None


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "Makefile").write_text("all:\n")
    (tmp_path / "lib" / "sub").mkdir(parents=True)
    # gnulib's wrapper as configure writes it, where the system has the header and where it lacks it
    (tmp_path / "lib" / "stdio.h").write_text("#if __GNUC__\n# pragma GCC system_header\n#endif\n"
                                              "#include_next <stdio.h>\n")
    (tmp_path / "lib" / "sub" / "wrap.h").write_text("#if HAVE_WRAP_H\n#include_next\n#endif\n")
    (tmp_path / "lib" / "quoted.h").write_text('#  include_next "quoted.h"\n')
    # a template configure has not substituted yet: not an identifier
    (tmp_path / "lib" / "stdlib.in.h").write_text("#include_next @NEXT_STDLIB_H@\n")
    return tmp_path


def computed(tree, name="lib/sub/select.h", line=3):
    path = tree / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("/* pick one */\n#define WRAPPED_H <wrapped.h>\n  # include_next WRAPPED_H\n")
    return {"file": name, "line": line, "text": "# include_next WRAPPED_H",
            "reason": "computed #include_next (the include server leaves its header out)"}


def test_literal_and_empty_include_next_are_no_blockers(tree):
    assert pump_blockers(str(tree)) == (0, [])


def test_a_computed_include_next_is_found_with_its_file_and_line(tree):
    expected = computed(tree)
    assert pump_blockers(str(tree)) == (1, [expected])


def test_only_headers_are_read_and_version_control_is_skipped(tree):
    (tree / "main.c").write_text("#include_next FOO\n")
    (tree / ".git").mkdir()
    (tree / ".git" / "x.h").write_text("#include_next FOO\n")
    (tree / ".distrant").mkdir()
    (tree / ".distrant" / "x.h").write_text("#include_next FOO\n")
    assert pump_blockers(str(tree)) == (0, [])


def test_the_first_ten_are_listed_and_all_counted(tree):
    for i in range(12):
        computed(tree, "lib/c%02d.hpp" % i)
    count, first = pump_blockers(str(tree))
    assert count == 12
    assert [b["file"] for b in first] == ["lib/c%02d.hpp" % i for i in range(10)]


def test_pump_auto_builds_a_blocked_tree_plain_from_the_start(tree):
    blocker = computed(tree)
    p = module.plan(params(tree, hosts=PUMP_HOSTS), pump_installed=pump_ok)
    assert (p.pump, Pump._plain_from_start(p), p.pump_blockers_count, p.pump_blockers) == (False, True, 1, [blocker])
    # no ,cpp in the build's host list: without an include server distcc would preprocess with a warning each time
    assert p.env["DISTCC_HOSTS"] == "10.200.1.3/4,lzo"
    warning = Pump.warning(p, None)
    assert warning.startswith("pump mode was not used: lib/sub/select.h:3 (# include_next WRAPPED_H) has a computed")
    assert "built in plain distcc mode from the start. pump: true forces pump mode" in warning


def test_pump_true_forces_pump_mode_with_a_warning(tree):
    computed(tree)
    computed(tree, "lib/other.h")
    p = module.plan(params(tree, hosts=PUMP_HOSTS, pump="true"), pump_installed=pump_ok)
    assert (p.pump, Pump._plain_from_start(p), p.pump_blockers_count) == (True, False, 2)
    assert p.env["DISTCC_HOSTS"] == PUMP_HOSTS
    assert Pump.warning(p, None).startswith("pump: true although lib/other.h:3 (# include_next WRAPPED_H) and 1 "
                                            "more has a computed #include_next")


@pytest.mark.parametrize("overrides", [{"pump": "false"}, {"hosts": "10.200.1.3/4,lzo"}, {"distcc": False}])
def test_a_build_without_pump_mode_does_not_read_the_headers(tree, overrides):
    computed(tree)
    p = module.plan(params(tree, **dict({"hosts": PUMP_HOSTS}, **overrides)), pump_installed=pump_ok)
    assert (p.pump, Pump._plain_from_start(p), p.pump_blockers_count, p.pump_blockers) == (False, False, 0, [])
    assert Pump.warning(p, None) is None


def test_a_kernel_tree_is_not_read(tree):
    computed(tree)
    (tree / "Kbuild").write_text("")
    (tree / "scripts").mkdir()
    (tree / "scripts" / "Kbuild.include").write_text("")
    p = module.plan(params(tree, hosts=PUMP_HOSTS), pump_installed=pump_ok)
    assert (p.pump, p.pump_blockers_count) == (True, 0)


def test_the_facts_say_what_was_found_and_decided(tree):
    blocker = computed(tree)
    p = module.plan(params(tree, hosts=PUMP_HOSTS), pump_installed=pump_ok)
    counts = {"objects": 2, "jobs_per_host": {"10.200.1.3": 2}, "remote_objects": 2, "local_reasons": {},
              "local_fallbacks": 0, "failed_remote": 0, "remote_preprocessed": 0, "pump_fallbacks": 0,
              "pump_switched_off": False}
    measured = Measured(started_at="2026-12-07T06:00:00Z", backoff_at_start=[], prepare_seconds=0, wall=1.0,
                        user=0.5, sys=0.1, host_cpu=None, counts=counts)
    build = _build_run.facts(p, measured, lambda target: "")
    assert build["pump"] is False
    assert build["pump_blockers"] == {"count": 1, "first": [blocker], "plain_from_start": True}
