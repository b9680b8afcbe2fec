"""Make the repository importable as ansible_collections.distrant.distcc."""

from __future__ import annotations

import os
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_ROOT = tempfile.mkdtemp(prefix="distrant-unit-")
os.makedirs(os.path.join(_ROOT, "ansible_collections", "distrant"))
os.symlink(REPO, os.path.join(_ROOT, "ansible_collections", "distrant", "distcc"))
sys.path.insert(0, _ROOT)

# Let ansible's plugin loader find the collection (inventory plugins are loaded by name).
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder  # noqa: E402

_AnsibleCollectionFinder(paths=[_ROOT])._install()


def recorded(test_file):
    """fixture(name) for the test module test_file: the text of a recorded file in the fixtures directory beside it."""
    fixtures = os.path.join(os.path.dirname(os.path.abspath(test_file)), "fixtures")

    def fixture(name):
        with open(os.path.join(fixtures, name)) as handle:
            return handle.read()

    return fixture


def build_params(chdir, **overrides):
    """distcc_build's parameters as AnsibleModule hands them over: every option's default, chdir, then overrides."""
    from ansible_collections.distrant.distcc.plugins.modules.distcc_build import ARGUMENT_SPEC

    values = {name: spec.get("default") for name, spec in ARGUMENT_SPEC.items()}
    values.update(chdir=str(chdir), **overrides)
    return values
