# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of distrant.distcc for ccache: a remote storage value without its credentials, as distcc_build shows it."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.distrant.distcc.plugins.module_utils._ccache import redact


def distcc_ccache_url_redacted(urls):
    """A CCACHE_REMOTE_STORAGE value without user names and passwords (module_utils._ccache.redact)."""
    if urls is not None and not isinstance(urls, str):
        # the type only: the value may hold the secret
        raise AnsibleFilterError("distcc_ccache_url_redacted takes a CCACHE_REMOTE_STORAGE value (text), got a %s"
                                 % type(urls).__name__)
    return redact(urls)


class FilterModule:
    """distrant.distcc ccache filters."""

    def filters(self):
        return {"distcc_ccache_url_redacted": distcc_ccache_url_redacted}
