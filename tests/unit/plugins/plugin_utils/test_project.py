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
    ("/home/me/src", "must be a dict naming one kind of source"),
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
