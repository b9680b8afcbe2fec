"""The distcc_project role's argument spec and preflight in a real ansible-playbook run on localhost (check
mode, the preflight's tag only): distcc_project_source given as a plain path, as a user types it first."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys

import pytest
from conftest import _ROOT

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  roles:
    - role: distrant.distcc.distcc_project
  post_tasks:
    - name: Show the source as the role took it
      ansible.builtin.debug:
        msg: "SOURCE {{ __distcc_project_source | to_json }}"
      tags: [distcc_project_preflight]
"""


def preflight(tmp_path, source):
    """ansible-playbook -e distcc_project_source=SOURCE (a plain string), the role's preflight only, in check mode."""
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=_ROOT, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_HOME=str(tmp_path / "home"), ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    bindir = os.path.dirname(sys.executable)
    proc = subprocess.run([os.path.join(bindir, "ansible-playbook"), "-i", "localhost,", "-c", "local", "--check",
                           "--tags", "distcc_project_preflight", "-e", "distcc_project_source=%s" % source,
                           "-e", "ansible_python_interpreter=%s" % sys.executable,
                           "-e", "distcc_project_build_user=%s" % getpass.getuser(),
                           "-e", "distcc_project_dir=%s" % (tmp_path / "projects"),
                           "-e", "distcc_project_download_dir=%s" % (tmp_path / "downloads"),
                           str(tmp_path / "play.yml")],
                          env=env, capture_output=True, text=True, check=False, cwd=tmp_path)
    return proc.returncode, proc.stdout + proc.stderr


def shown_source(out):
    return json.loads(out.split('"SOURCE ', 1)[1].split('"\n', 1)[0].encode().decode("unicode_escape"))


@pytest.mark.parametrize("kind", ["dir", "archive"])
def test_a_plain_path_is_taken_by_what_it_is_on_the_controller(tmp_path, kind):
    tree = tmp_path / "src" / "hello-1.0"
    tree.mkdir(parents=True)
    (tree / "Makefile").write_text("all:\n")
    archive = tmp_path / "src" / "hello-1.0.tar.gz"
    subprocess.run(["tar", "-C", str(tmp_path / "src"), "-czf", str(archive), "hello-1.0"], check=True)
    path = str(tree if kind == "dir" else archive)
    rc, out = preflight(tmp_path, path)
    assert rc == 0, out
    source = shown_source(out)
    assert (source["kind"], source["location"], source["name"]) == (kind, path, "hello-1.0")


def test_a_string_that_is_no_path_is_refused_with_the_dict_form_of_its_value(tmp_path):
    rc, out = preflight(tmp_path, "yaml-cpp")
    assert rc != 0
    assert "unable to convert to dict" not in out
    assert ("distcc_project_source 'yaml-cpp' is neither a directory nor a tarball on the controller; name the kind "
            "of source in the dict form, e.g. -e '{\"distcc_project_source\": {\"dir\": \"yaml-cpp\"}}' for a "
            "directory, or -e '{\"distcc_project_source\": {\"debian\": \"yaml-cpp\"}}' for Debian's source package"
            ) in out.replace("\\\"", "\"")
