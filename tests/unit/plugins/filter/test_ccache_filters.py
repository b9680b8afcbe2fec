"""distcc_ccache_url_redacted: a CCACHE_REMOTE_STORAGE value as distcc_build and distcc_master_exports show it."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.distrant.distcc.plugins.filter.ccache import FilterModule, distcc_ccache_url_redacted


def test_filters_registered():
    assert FilterModule().filters() == {"distcc_ccache_url_redacted": distcc_ccache_url_redacted}


@pytest.mark.parametrize("urls, shown", [
    # the farm's cache (distcc_cache_exports.url) and what a user may give in distcc_master_ccache_remote_storage
    ("http://distcc:Ab-_9x@10.200.1.5:3634/ccache|layout=subdirs", "http://***@10.200.1.5:3634/ccache|layout=subdirs"),
    ("redis://:secret@host", "redis://***@host"),
    ("http://user:pw@host:3634/x|attr=y", "http://***@host:3634/x|attr=y"),
    ("redis://:pw@", "redis://***@"),
    # several URLs: each loses its own credentials, the spacing is kept
    ("redis://a:b@h  http://c:d@h2", "redis://***@h  http://***@h2"),
    ("file:///srv/cache http://u:p@cache/c", "file:///srv/cache http://***@cache/c"),
    # passwords ccache may refuse (and url_problems then shows): hidden whole
    ("redis://:pa/ss@h", "redis://***@h"),
    ("redis://:a|b@h", "redis://***@h"),
    ("http://u:p@ss@h", "http://***@h"),
    # nothing to hide
    ("http://10.200.1.5:8080/ccache|layout=bazel", "http://10.200.1.5:8080/ccache|layout=bazel"),
    ("redis+unix:/run/redis.sock", "redis+unix:/run/redis.sock"),
    ("", ""),
    (None, None),
])
def test_credentials_left_out(urls, shown):
    assert distcc_ccache_url_redacted(urls) == shown


@pytest.mark.parametrize("value", [["redis://:secret@host"], {"url": "redis://:secret@host"}, 6379])
def test_not_a_remote_storage_value(value):
    with pytest.raises(AnsibleFilterError, match="takes a CCACHE_REMOTE_STORAGE value") as error:
        distcc_ccache_url_redacted(value)
    assert "secret" not in str(error.value)
