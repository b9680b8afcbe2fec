"""distcc_build refuses bad input before it touches the tree: the module's main, in-process, on a tree of its own.

The table is the full list of bad module input. Each case runs the module as Ansible would
(AnsibleModule and its argument spec, then the plan), on a temporary directory laid out as a
kernel tree beside a host list, and must fail with its message and leave every file and
directory of that directory as it was. The molecule scenario (molecule/default/verify_build.yml)
runs a few of these cases again on a real master, through the action plugin.
"""

from __future__ import annotations

import json
import os

import pytest
from ansible.module_utils import _internal
from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.common.arg_spec import ModuleArgumentSpecValidator
from ansible.module_utils.testing import patch_module_args

from ansible_collections.distrant.distcc.plugins.modules import distcc_build as module

HOSTS = "10.200.11.3/4,lzo 10.200.11.4/4,lzo\n"
SPEC = "the argument spec"  # refused by Ansible's own argument spec (AnsibleModule)
PLAN = "the plan"  # accepted by the argument spec, refused by the module's plan

CASES = [
    ("missing tree", {"chdir": "/nonexistent"},
     "chdir /nonexistent is not a directory; point it at the unpacked source tree", PLAN),
    ("jobs zero", {"jobs": 0}, "jobs must be an integer from 1 to 4096 or 'auto', got 0", PLAN),
    ("jobs not a number", {"jobs": "many"}, "jobs must be an integer from 1 to 4096 or 'auto'", PLAN),
    # GNU make 4.3 deadlocks writing this many job tokens: refused instead of a build that never ends
    ("jobs absurd", {"jobs": 100000}, "jobs must be an integer from 1 to 4096 or 'auto', got 100000", PLAN),
    ("host that is not a host", {"hosts": "10.200.11.3/4 not_a/host"}, "not a host", PLAN),
    ("zero limit", {"hosts": "10.200.11.3/0"}, "the /LIMIT must be between 1 and 4096, got 0", PLAN),
    ("limits that add up to too many jobs", {"hosts": "10.200.11.3/4000 10.200.11.4/4000"},
     "jobs: auto gives 8000, the sum of the host list's limits, more than 4096", PLAN),
    # entries distcc would not use (every compile would run locally), refused before anything runs
    ("port out of range", {"hosts": "10.200.11.3:70000/4"}, "the port must be between 1 and 65535", PLAN),
    ("unknown host option", {"hosts": "10.200.11.3/4,lzo,fast"}, "does not know the option ,fast", PLAN),
    ("SSH entry with its limit after the options", {"hosts": "@10.200.11.3,lzo/4"},
     "the /LIMIT comes before the options", PLAN),
    ("IPv6 host", {"hosts": "[fd00::3]/4"}, "IPv6 is not supported", PLAN),
    ("share above one", {"min_remote_share": 1.5}, "min_remote_share must be between 0 and 1", PLAN),
    ("share on a local build", {"distcc": False, "min_remote_share": 0.5},
     "a local build (distcc: false) compiles nothing remotely", PLAN),
    ("negative backoff", {"backoff_period": -1}, "backoff_period must be 0 (no backoff) or more", PLAN),
    ("empty hosts", {"hosts": ""}, "no distcc hosts", PLAN),
    ("missing hosts file", {"hosts_file": "/nonexistent/hosts"}, "hosts_file /nonexistent/hosts does not exist", PLAN),
    ("unknown clean", {"clean": "mrproper"}, "value of clean must be one of: none, clean, distclean", SPEC),
    ("zero timeout", {"timeout": 0}, "timeout must be at least 1 second", PLAN),
    ("zero io timeout", {"io_timeout": 0}, "io_timeout must be at least 1 second", PLAN),
    # the action plugin reads timeout too, and leaves a value that is no number to the argument spec
    ("timeout not a number", {"timeout": "soon"}, "argument 'timeout' is of type", SPEC),
    ("distcc not a boolean", {"distcc": "perhaps"}, "argument 'distcc' is of type", SPEC),
    ("env not a mapping", {"env": ["CC"]}, "argument 'env' is of type", SPEC),
    ("unknown option", {"jobz": 4}, "Unsupported parameters", SPEC),
]


@pytest.fixture(autouse=True)
def managed_host(monkeypatch):
    """The module runs as on a managed host; a case the module accepted would stop at the build, not run it."""
    monkeypatch.setattr(_internal, "is_controller", False)
    monkeypatch.setattr(ansible_warnings, "_global_warnings", {})

    def no_build(*args, **kwargs):
        raise AssertionError("the module accepted the input and went on to build")

    monkeypatch.setattr(module, "run", no_build)


@pytest.fixture
def tree(tmp_path):
    """A kernel tree (Makefile, .config, Kbuild's files) and, beside it, a host list for hosts_file."""
    root = tmp_path / "linux"
    (root / "scripts").mkdir(parents=True)
    (root / "Makefile").write_text("all:\n\ttrue\n")
    (root / ".config").write_text("CONFIG_64BIT=y\n")
    (root / "Kbuild").write_text("")
    (root / "scripts" / "Kbuild.include").write_text("")
    (tmp_path / "hosts").write_text(HOSTS)
    return root


def snapshot(top):
    """Every file and directory under top (top included): its mtime, size and mode."""
    seen = {}
    for directory, dirs, files in os.walk(top):
        for name in [""] + dirs + files:
            path = os.path.join(directory, name) if name else directory
            st = os.lstat(path)
            seen[os.path.relpath(path, top)] = (st.st_mtime_ns, st.st_size, st.st_mode)
    return seen


def run_module(capsys, args):
    """Run the module with these arguments; its result (what Ansible would read) and its exit code."""
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exit_info:
            module.main()
    return json.loads(capsys.readouterr().out), exit_info.value.code


@pytest.mark.parametrize("args, message, refused_by", [pytest.param(*case[1:], id=case[0]) for case in CASES])
def test_bad_input_is_refused_before_the_tree_is_touched(tree, capsys, args, message, refused_by):
    args = dict({"chdir": str(tree), "hosts_file": str(tree.parent / "hosts")}, **args)
    before = snapshot(tree.parent)

    result, code = run_module(capsys, args)

    assert code == 1 and result["failed"] is True, result
    assert message in result["msg"]
    assert snapshot(tree.parent) == before
    # which of the two refused it: Ansible's own argument spec (as AnsibleModule validates it), or the plan
    spec_errors = ModuleArgumentSpecValidator(module.ARGUMENT_SPEC).validate(dict(args)).error_messages
    assert bool(spec_errors) == (refused_by == SPEC), spec_errors
