# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A build beside the previous one: its time is compared only with a build of the same kind."""

from __future__ import annotations

import json

# What makes two builds the same kind, in the order a difference is named: (name, how to read it
# from a site report, how to show its value). A report written before a field was kept lacks it.
_MISSING = object()
FACTS = (
    ("hosts", lambda r: r["build"].get("hosts", _MISSING), lambda v: "'%s'" % v if v else "none (local)"),
    ("distcc", lambda r: r["build"].get("distcc", _MISSING), lambda v: "on" if v else "off"),
    ("target", lambda r: r.get("target", _MISSING), lambda v: "'%s'" % v if v else "the default goal"),
    ("config", lambda r: r["build"].get("config", _MISSING), str),
    ("kernel", lambda r: r["build"].get("kernel_version", _MISSING), str),
    ("clean", lambda r: r.get("clean", _MISSING), str),
)


class PreviousBuildError(ValueError):
    """The previous report cannot be read; the message says which part."""


def _report(value, what):
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise PreviousBuildError("the %s build's report is not JSON: %s" % (what, exc))
    if not isinstance(value, dict) or not isinstance(value.get("build"), dict):
        raise PreviousBuildError("the %s build's report has no build facts (a dict under 'build')" % what)
    return value


def differences(previous, current):
    """[(name, previous value shown, current value shown)] of the facts that differ between two site reports."""
    found = []
    for name, read, show in FACTS:
        then, now = read(previous), read(current)
        if then != now:
            found.append((name, "not recorded" if then is _MISSING else show(then), show(now)))
    return found


def previous_build(previous, current):
    """The summary's words on the previous build: its wall time when it was the same kind of build (same hosts,
    distcc on or off, target, config, kernel version and clean), else its time with what differed.

    ``previous`` is the last report (a dict or its JSON text; empty or None: there was none), ``current``
    this build's. Returns "" when there is no previous build to speak of."""
    if previous in (None, "") or previous == {}:
        return ""
    previous, current = _report(previous, "previous"), _report(current, "current")
    wall = previous["build"].get("wall_seconds")
    if wall is None:
        return ""
    changed = differences(previous, current)
    if not changed:
        return "previous build %s s" % wall
    return ("previous build %s s is not comparable, it differed: %s"
            % (wall, "; ".join("%s %s then, %s now" % item for item in changed)))
