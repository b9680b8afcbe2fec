"""The repository's Vagrantfile reads the settings `make lab` saved, and the environment wins.

Real `vagrant status` on the repository's Vagrantfile with a throwaway Vagrant state
directory (VAGRANT_DOTFILE_PATH): no machine is created.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

pytestmark = pytest.mark.skipif(shutil.which("vagrant") is None, reason="vagrant is installed by make test")


def machines(dotfile, **env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISTRANT_")}
    env.update(VAGRANT_DOTFILE_PATH=str(dotfile), VAGRANT_NO_COLOR="1", VAGRANT_HOME=str(dotfile / "home"), **env_extra)
    out = subprocess.run(["vagrant", "status", "--machine-readable"], cwd=REPO, env=env, check=True,
                         capture_output=True, text=True).stdout
    return sorted({line.split(",")[1] for line in out.splitlines() if ",state," in line})


def test_defaults_then_saved_settings_then_environment(tmp_path):
    assert machines(tmp_path) == ["master", "worker-1"]
    (tmp_path / "distrant-settings").write_text("DISTRANT_WORKERS=3\n")
    assert machines(tmp_path) == ["master", "worker-1", "worker-2", "worker-3"]
    assert machines(tmp_path, DISTRANT_WORKERS="2") == ["master", "worker-1", "worker-2"]
