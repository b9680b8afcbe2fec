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
    - name: Show the build packages as the role reads them
      ansible.builtin.debug:
        msg: "PACKAGES {{ __distcc_project_build_packages | to_json }} PACKAGES"
      tags: [distcc_project_preflight]
"""


def preflight(tmp_path, source, extra=()):
    """ansible-playbook -e distcc_project_source=SOURCE (a plain string) and -e EXTRA (each key=value), the role's
    preflight only, in check mode."""
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
                           *[arg for e in extra for arg in ("-e", e)],
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


def test_a_word_that_is_no_path_is_refused_with_forms_that_work(tmp_path):
    rc, out = preflight(tmp_path, "yaml-cpp")
    assert rc != 0
    out = " ".join(out.replace("\\\"", "\"").split())
    assert "unable to convert to dict" not in out
    assert ("distcc_project_source 'yaml-cpp' is neither a directory nor a tarball on the controller, nor a URL. "
            "Name the kind of source: for Debian's source package yaml-cpp, "
            "-e '{\"distcc_project_source\": {\"debian\": \"yaml-cpp\"}}'; for a directory or a tarball on the "
            "controller, its absolute path (-e distcc_project_source=/path/to/yaml-cpp); for a git repository, "
            "-e '{\"distcc_project_source\": {\"git\": \"https://host/yaml-cpp.git\", \"version\": "
            "\"<tag, branch or commit>\"}}'. Nothing was changed.") in out, out
    # the relative directory the message once suggested is refused: it is not suggested
    assert '{"dir": "yaml-cpp"}' not in out


def test_the_debian_form_the_message_suggests_passes_the_preflight(tmp_path):
    # as the message writes it: JSON text of -e (after the -e distcc_project_source=yaml-cpp, which it overrides)
    rc, out = preflight(tmp_path, "yaml-cpp", ['{"distcc_project_source": {"debian": "yaml-cpp"}}'])
    assert rc == 0, out
    assert shown_source(out)["kind"] == "debian"


def test_a_relative_path_that_exists_is_still_told_to_be_made_absolute(tmp_path):
    (tmp_path / "yaml-cpp").mkdir()
    rc, out = preflight(tmp_path, "yaml-cpp")
    assert rc != 0
    assert "distcc_project_source 'yaml-cpp' is a relative path; give the absolute path on the controller" in out


def project_tree(tmp_path):
    tree = tmp_path / "src" / "hello-1.0"
    tree.mkdir(parents=True)
    (tree / "Makefile").write_text("all:\n")
    return str(tree)


def test_build_packages_given_as_text_are_read_comma_separated(tmp_path):
    rc, out = preflight(tmp_path, project_tree(tmp_path), ["distcc_project_build_packages=libyaml-dev,zlib1g-dev"])
    assert rc == 0, out
    assert json.loads(out.split('"PACKAGES ', 1)[1].split(' PACKAGES"', 1)[0].encode().decode("unicode_escape")) == [
        "libyaml-dev", "zlib1g-dev"]


@pytest.mark.parametrize("extra, message", [
    ("distcc_project_build_packages=[libyaml-dev,", "distcc_project_build_packages: \"[libyaml-dev\" is not a name "
     "(letters, digits, + . - _ : =). Give the list in the inventory or the play, as text separated by commas "
     "(-e distcc_project_build_packages=libyaml-dev,zlib1g-dev), or as JSON (-e '{\"distcc_project_build_packages\": "
     "[\"libyaml-dev\", \"zlib1g-dev\"]}')."),
    ("distcc_project_download_timeout=0", "distcc_project_download_timeout = 0 is out of range: give a whole number "
     "of at least 1 (seconds), e.g. -e distcc_project_download_timeout=60."),
])
def test_options_text_cannot_mean_are_refused_in_the_preflight(tmp_path, extra, message):
    rc, out = preflight(tmp_path, project_tree(tmp_path), [extra])
    assert rc != 0
    assert message in " ".join(out.split()).replace('\\"', '"'), out
