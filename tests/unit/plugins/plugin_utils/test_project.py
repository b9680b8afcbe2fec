"""Where a project's source comes from: every accepted form, and the refusals with their reasons."""

from __future__ import annotations

import pytest

from ansible_collections.distrant.distcc.plugins.plugin_utils._policy import PolicyError
from ansible_collections.distrant.distcc.plugins.plugin_utils._project import project_source


@pytest.mark.parametrize("value, kind, name, tree", [
    ({"dir": "/home/me/src/hello/"}, "dir", "hello", "hello"),
    ({"archive": "/tmp/bzip2-1.0.8.tar.gz"}, "archive", "bzip2-1.0.8", "bzip2-1.0.8"),
    ({"url": "https://example.org/dl/zstd-1.5.4.tar.zst?x=1", "checksum": "sha256:ab12"}, "url", "zstd-1.5.4",
     "zstd-1.5.4"),
    ({"git": "https://github.com/jbeder/yaml-cpp.git", "version": "0.8.0"}, "git", "yaml-cpp", "yaml-cpp-0.8.0"),
    ({"git": "git@example.org:team/tool", "version": "release/2.x"}, "git", "tool", "tool-release-2.x"),
    ({"debian": "bzip2"}, "debian", "bzip2", None),
])
def test_accepted_sources(value, kind, name, tree):
    source = project_source(value)
    assert (source["kind"], source["name"], source["tree"]) == (kind, name, tree)


def test_a_name_given_wins():
    assert project_source({"debian": "bzip2"}, name="bz")["name"] == "bz"


@pytest.mark.parametrize("value, message", [
    (["/home/me/src"], "must be a dict naming one kind of source"),
    ({}, "must name exactly one of dir, archive, url, git, debian [(]got none[)]"),
    ({"dir": "/a", "git": "https://x/y.git"}, "exactly one of .* [(]got dir, git[)]"),
    ({"dir": "/a", "ref": "x"}, "unknown keys: ref"),
    ({"dir": "relative/path"}, "dir must be an absolute path on the controller"),
    ({"archive": "/tmp/x.zip"}, "is not a tarball"),
    ({"url": "ftp://x/y.tar.gz", "checksum": "sha256:1"}, "url must be an http[(]s[)] URL"),
    ({"url": "https://x/y.tar.gz"}, "url needs checksum"),
    ({"url": "https://x/y.tar.gz", "checksum": "abc"}, "url needs checksum"),
    ({"git": "https://x/y.git"}, "git needs version"),
    ({"debian": "Not A Package"}, "debian must be the name of a Debian source package"),
    ({"dir": "/a", "checksum": "sha256:1"}, "checksum goes with url only"),
    ({"debian": "x", "version": "1"}, "version goes with git only"),
    ({"dir": ""}, "must be a non-empty string"),
])
def test_refused_sources(value, message):
    with pytest.raises(PolicyError, match=message):
        project_source(value)


def test_a_path_given_alone_is_taken_by_what_it_is_on_the_controller(tmp_path):
    (tmp_path / "hello").mkdir()
    (tmp_path / "x-1.0.tar.gz").write_bytes(b"")
    assert project_source(str(tmp_path / "hello"))["kind"] == "dir"
    archive = project_source(" %s " % (tmp_path / "x-1.0.tar.gz"))
    expected = ("archive", str(tmp_path / "x-1.0.tar.gz"), "x-1.0")
    assert (archive["kind"], archive["location"], archive["tree"]) == expected
    # not there (yet): named like a tarball, it is one (the role's preflight says it does not exist)
    assert project_source("/srv/src/y-2.1.tar.xz")["kind"] == "archive"
    assert project_source('{"debian": "bzip2"}')["kind"] == "debian"  # -e 'distcc_project_source={...}'


@pytest.mark.parametrize("value, message", [
    ("yaml-cpp", "distcc_project_source 'yaml-cpp' is neither a directory nor a tarball on the controller; name "
                 "the kind of source in the dict form, e.g. -e '{\"distcc_project_source\": {\"dir\": "
                 "\"yaml-cpp\"}}' for a directory, or -e '{\"distcc_project_source\": {\"debian\": \"yaml-cpp\"}}' "
                 "for Debian's source package"),
    ("/srv/src/nothing-here", "'/srv/src/nothing-here' is neither a directory nor a tarball on the controller"),
    ("src/x-1.0.tar.gz", "'src/x-1.0.tar.gz' is a relative path; give the absolute path on the controller, e.g. "
                         "-e '{\"distcc_project_source\": {\"archive\": \"/"),
    ("https://example.org/x-1.0.tar.gz", "is a URL: a download needs its checksum, and a repository its ref; write "
     "-e '{\"distcc_project_source\": {\"url\": \"https://example.org/x-1.0.tar.gz\", \"checksum\": "
     "\"sha256:<hex>\"}}' (or -e '{\"distcc_project_source\": {\"git\": \"https://example.org/x-1.0.tar.gz\", "
     "\"version\": \"<tag, branch or commit>\"}}')"),
    ('{"dir": ', "is not a JSON dict"),
])
def test_a_string_that_is_no_path_is_refused_with_the_dict_form_of_its_value(value, message):
    with pytest.raises(PolicyError) as info:
        project_source(value)
    assert message in str(info.value)
