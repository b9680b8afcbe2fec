# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A user's project on the farm: where its source comes from (the distcc_project role reads it)."""

from __future__ import annotations

import json
import os
import re

from ansible_collections.distrant.distcc.plugins.plugin_utils._policy import PolicyError

KINDS = ("dir", "archive", "url", "git", "debian")
SOURCE_FORMS = (
    "{dir: /path/on/the/controller}, {archive: /path/on/the/controller/name-1.0.tar.gz}, "
    "{url: 'https://host/name-1.0.tar.gz', checksum: 'sha256:<hex>'}, {git: 'https://host/name.git', "
    "version: '<tag, branch or commit>'}, {debian: <source package>}"
)
_TARBALL = re.compile(r"[.](tar([.](gz|bz2|xz|zst|lz|lzma))?|tgz|tbz2|txz)$")
_DEBIAN = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
_SAFE = re.compile(r"[^A-Za-z0-9._+-]+")
_CHECKSUM = re.compile(r"^(sha256|sha384|sha512|sha1|md5):\S+$")


def _tarball_name(path, what):
    base = os.path.basename(path.rstrip("/"))
    if not _TARBALL.search(base):
        raise PolicyError("distcc_project_source %s %r is not a tarball (.tar, .tar.gz, .tgz, .tar.bz2, .tar.xz, "
                          ".tar.zst): the project is unpacked with tar, its top directory stripped" % (what, path))
    return _TARBALL.sub("", base)


def _safe(text):
    return _SAFE.sub("-", text).strip("-.") or "project"


def _dict_form(**source):
    """The extra-vars option that gives this source in its dict form (for messages, with the user's value)."""
    return "-e '%s'" % json.dumps({"distcc_project_source": source})


def from_string(value):
    """The dict form of a distcc_project_source given as one string (``-e distcc_project_source=...``).

    A path on the controller is taken by what it is: a directory is {dir: path}; a file, or a path
    named like a tarball, is {archive: path}. JSON text of a dict is read as that dict. Anything
    else is refused with the dict forms written with the user's own value."""
    text = value.strip()
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            raise PolicyError("distcc_project_source %r is not a JSON dict (%s); write it as JSON, e.g. %s"
                              % (value, exc, _dict_form(dir="/path/on/the/controller")))
        return parsed
    path = os.path.expanduser(text)
    if re.match(r"^[a-z][a-z0-9+.-]*://", text):
        raise PolicyError("distcc_project_source %r is a URL: a download needs its checksum, and a repository its "
                          "ref; write %s (or %s)" % (value, _dict_form(url=text, checksum="sha256:<hex>"),
                                                     _dict_form(git=text, version="<tag, branch or commit>")))
    if os.path.isabs(path) and os.path.isdir(path):
        return {"dir": text}
    if os.path.isabs(path) and (os.path.isfile(path) or _TARBALL.search(path)):
        return {"archive": text}
    if not os.path.isabs(path) and (os.path.exists(path) or "/" in text or _TARBALL.search(text)):
        raise PolicyError("distcc_project_source %r is a relative path; give the absolute path on the controller, "
                          "e.g. %s" % (value, _dict_form(**{"dir" if os.path.isdir(path) else "archive":
                                                            os.path.abspath(path)})))
    raise PolicyError("distcc_project_source %r is neither a directory nor a tarball on the controller; name the "
                      "kind of source in the dict form, e.g. %s for a directory, or %s for Debian's source package"
                      % (value, _dict_form(dir=text), _dict_form(debian=text)))


def project_source(value, name=None):
    """Validate distcc_project_source and normalise it.

    Returns dict(kind, location, checksum, version, name, tree): ``tree`` is the directory
    name the project is unpacked into under the role's projects directory (None for a Debian
    source package, whose version is known only on the master). A string is read by from_string
    (a directory or a tarball on the controller). Raises PolicyError naming what is wrong and what
    the accepted forms are.
    """
    if isinstance(value, str):
        value = from_string(value)
    if not isinstance(value, dict):
        raise PolicyError("distcc_project_source must be a dict naming one kind of source, one of: %s; got %r"
                          % (SOURCE_FORMS, value))
    kinds = [kind for kind in KINDS if kind in value]
    extra = sorted(set(value) - set(KINDS) - {"checksum", "version"})
    if len(kinds) != 1 or extra:
        raise PolicyError("distcc_project_source must name exactly one of %s (got %s%s); for example: %s"
                          % (", ".join(KINDS), ", ".join(kinds) or "none",
                             "; unknown keys: " + ", ".join(extra) if extra else "", SOURCE_FORMS))
    kind = kinds[0]
    location = value[kind]
    if not isinstance(location, str) or not location.strip():
        raise PolicyError("distcc_project_source %s must be a non-empty string, got %r" % (kind, location))
    location = location.strip()
    checksum = value.get("checksum")
    version = value.get("version")
    if kind != "url" and checksum is not None:
        raise PolicyError("distcc_project_source: checksum goes with url only")
    if kind != "git" and version is not None:
        raise PolicyError("distcc_project_source: version goes with git only (the ref to check out)")
    if kind == "dir":
        if not os.path.isabs(os.path.expanduser(location)):
            raise PolicyError("distcc_project_source dir must be an absolute path on the controller, got %r" % location)
        base = os.path.basename(os.path.expanduser(location).rstrip("/"))
        default, tree = base, base
    elif kind == "archive":
        if not os.path.isabs(os.path.expanduser(location)):
            raise PolicyError("distcc_project_source archive must be an absolute path on the controller, got %r"
                              % location)
        default = tree = _tarball_name(location, "archive")
    elif kind == "url":
        if not re.match(r"^https?://[^/\s]+/\S+$", location):
            raise PolicyError("distcc_project_source url must be an http(s) URL of a tarball, got %r" % location)
        if not isinstance(checksum, str) or not _CHECKSUM.match(checksum.strip()):
            raise PolicyError("distcc_project_source url needs checksum: 'sha256:<hex>' (or sha512:, sha1:, md5:), "
                              "got %r; a download is unpacked only when it matches" % (checksum,))
        checksum = checksum.strip()
        default = tree = _tarball_name(location.split("?", 1)[0], "url")
    elif kind == "git":
        if version is None or not str(version).strip():
            raise PolicyError("distcc_project_source git needs version: the tag, branch or commit to build "
                              "(e.g. version: v1.2.0)")
        version = str(version).strip()
        default = re.sub(r"[.]git$", "", location.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1])
        tree = "%s-%s" % (_safe(default), _safe(version))
    else:
        if not _DEBIAN.match(location):
            raise PolicyError("distcc_project_source debian must be the name of a Debian source package "
                              "(lowercase letters, digits, + - .), got %r" % location)
        default, tree = location, None
    return dict(kind=kind, location=location, checksum=checksum, version=version,
                name=str(name).strip() if name else _safe(default), tree=tree)
