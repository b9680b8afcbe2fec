"""distcc_warn in a real ansible-playbook run on localhost: a warning through Ansible's channel."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import _ROOT

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Warn
      distrant.distcc.distcc_warn:
        msg: >-
          worker-2 does not answer:
          left out of DISTCC_HOSTS
    - name: An empty message is refused
      distrant.distcc.distcc_warn:
        msg: ""
      ignore_errors: true
      register: empty
    - name: Show what the empty message gave
      ansible.builtin.debug:
        msg: "EMPTY {{ empty.msg }}"
"""


def play(tmp_path, **env_extra):
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=_ROOT, ANSIBLE_NOCOLOR="1", ANSIBLE_HOME=str(tmp_path / "home"),
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0", **env_extra)
    bindir = os.path.dirname(sys.executable)
    proc = subprocess.run([os.path.join(bindir, "ansible-playbook"), "-i", "localhost,", "-c", "local",
                           str(tmp_path / "play.yml")], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def test_warning_is_an_ansible_warning(tmp_path):
    out = play(tmp_path)
    assert "[WARNING]: worker-2 does not answer: left out of DISTCC_HOSTS" in out
    assert "distcc_warn needs msg, a non-empty string" in out
    assert "ok: [localhost]" in out and "changed: [localhost]" not in out


def test_warning_respects_the_users_setting(tmp_path):
    out = play(tmp_path, ANSIBLE_ACTION_WARNINGS="False")
    assert "[WARNING]: worker-2" not in out and "EMPTY distcc_warn needs msg" in out
