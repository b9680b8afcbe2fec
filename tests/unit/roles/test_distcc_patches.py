"""distcc_master's and distcc_worker's files/patches: the changes each role makes to distcc's source, as a patch
series (the master's for the client and the include server, the worker's for the distccd of the ssh transport).

The series follows Debian's debian/patches habit: ``series`` names the patches in the order they apply
(``patch -p1``, distcc_source.yml), one change per patch, each with a DEP-3 header saying what it fixes and
where upstream has it. These tests check the series and the headers, and apply the patches in order to a
fixture made from their own hunks (the lines each hunk expects, at the line numbers it names; every other
line a placeholder): the hunks are consistent with each other and apply with no fuzz. That they apply to
distcc's own source is the role's to show (its build fails otherwise); distcc's source is not shipped here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

HERE = os.path.dirname(__file__)
ROLES = os.path.join(HERE, "..", "..", "..", "roles")
SERIES = ["distcc_master", "distcc_worker"]
NAME = re.compile(r"^\d{4}-[a-z0-9]+(-[a-z0-9]+)*\.patch$")
FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):(.*)$")
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
DISTCC = re.compile(r"https://github\.com/distcc/distcc/(pull|issues|commit)/\w+")


def patch_dir(role):
    return os.path.join(ROLES, role, "files", "patches")


def series(role):
    """The patch names, as the role's vars/main.yml reads them (blank lines and # comments left out)."""
    with open(os.path.join(patch_dir(role), "series"), encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip() and not line.strip().startswith("#")]


def read(role, name):
    with open(os.path.join(patch_dir(role), name), encoding="utf-8") as f:
        return f.read()


def split(text):
    """(DEP-3 header fields, the diff's lines): the header ends at a line "---" or at the diff."""
    lines = text.splitlines()
    fields, key = {}, None
    for i, line in enumerate(lines):
        if line == "---" or line.startswith(("--- ", "diff ", "Index:")):
            return fields, lines[i + 1:] if line == "---" else lines[i:]
        match = FIELD.match(line)
        if match:
            key = match.group(1).lower()
            assert key not in fields, f"{key} twice"
            fields[key] = match.group(2).strip()
        else:
            assert key and line.startswith(" "), f"not a DEP-3 field nor its continuation: {line!r}"
            fields[key] += "\n" + line.strip()
    raise AssertionError("no diff")


def files_and_hunks(diff):
    """[(path, [(old start, old count, [(kind, text)])])] of a unified diff with -p1 paths (a/..., b/...)."""
    out, i = [], 0
    while i < len(diff):
        line = diff[i]
        i += 1
        if line.startswith("--- "):
            old, new = line[4:].split("\t")[0], diff[i][4:].split("\t")[0]
            assert diff[i].startswith("+++ "), line
            assert old.startswith("a/") and new == "b/" + old[2:], f"not a -p1 change of one file: {old} {new}"
            out.append((old[2:], []))
            i += 1
        elif line.startswith("@@"):
            match = HUNK.match(line)
            assert match and out, line
            old_count, new_count = int(match.group(2) or 1), int(match.group(4) or 1)
            body = []
            out[-1][1].append((int(match.group(1)), old_count, body))
            while old_count or new_count:
                assert i < len(diff) and diff[i][:1] in (" ", "-", "+"), f"hunk shorter than its header: {line}"
                kind, text = diff[i][:1], diff[i][1:]
                body.append((kind, text))
                old_count -= kind in " -"
                new_count -= kind in " +"
                i += 1
            assert old_count == 0 and new_count == 0, f"hunk longer than its header: {line}"
    return out


@pytest.fixture(scope="module", params=SERIES)
def role(request):
    return request.param


@pytest.fixture(scope="module")
def patches(role):
    return {name: split(read(role, name)) for name in series(role)}


@pytest.mark.parametrize("role", SERIES)
def test_series_lists_exactly_the_patches_present(role):
    names = series(role)
    present = sorted(name for name in os.listdir(patch_dir(role)) if name != "series")
    assert sorted(names) == present
    assert len(set(names)) == len(names)
    for number, name in enumerate(names, start=1):
        assert NAME.match(name), name
        assert name.startswith(f"{number:04d}-"), f"{name}: the series is numbered 0001, 0002, ... in its order"


def test_each_patch_has_a_dep3_header(patches):
    for name, (fields, _diff) in patches.items():
        description = fields.get("description") or fields.get("subject")
        assert description and len(description.splitlines()[0]) > 10, f"{name}: Description says what it fixes"
        assert fields.get("forwarded"), f"{name}: Forwarded"
        assert re.match(r"^\d{4}-\d{2}-\d{2}$", fields.get("last-update", "")), f"{name}: Last-Update"
        origin = fields.get("origin", "")
        kind = origin.split(",")[0].strip()
        assert kind in ("upstream", "backport", "vendor", "other"), f"{name}: Origin"
        if kind in ("upstream", "backport"):
            assert DISTCC.search(origin), f"{name}: Origin names the distcc/distcc pull request or commit"
        else:
            # the role's own change: why it is not for distcc
            assert re.match(r"^(not-needed|no)\b.*\S", fields["forwarded"]), f"{name}: Forwarded: not-needed, why"
            assert "," in fields["forwarded"], f"{name}: Forwarded says why not"
        for key in ("bug", "applied-upstream"):
            if key in fields:
                assert DISTCC.search(fields[key]), f"{name}: {key} names distcc/distcc's issue or pull request"


def test_each_patch_changes_existing_files_of_distccs_source(patches):
    for name, (_fields, diff) in patches.items():
        changed = files_and_hunks(diff)
        assert changed, f"{name}: no change"
        for path, hunks in changed:
            # new files are the role's own files, copied in (files/distrant_*), not patches
            assert path.split("/")[0] in ("include_server", "src"), f"{name}: {path}"
            assert hunks, f"{name}: {path} without a hunk"


@pytest.mark.skipif(shutil.which("patch") is None, reason="no patch program")
def test_the_series_applies_in_order_without_fuzz(role, patches, tmp_path):
    # Each file as the hunks see it: known lines from their context and removed lines, at the line numbers
    # they name, mapped back through the earlier patches; a placeholder on every other line.
    original, current, at_end = {}, {}, set()
    for name, (_fields, diff) in patches.items():
        for path, hunks in files_and_hunks(diff):
            lines = current.setdefault(path, [("orig", i) for i in range(100000)])
            known = original.setdefault(path, {})
            shift = 0
            for start, count, body in hunks:
                at = (start if count == 0 else start - 1) + shift  # -N,0: after line N
                after, cursor = [], at
                for kind, text in body:
                    if kind in " -":
                        origin, value = lines[cursor]
                        if origin == "orig":
                            assert known.setdefault(value, text) == text, f"{name}: {path} line {cursor + 1}"
                        else:
                            assert value == text, f"{name}: {path} line {cursor + 1} is another patch's"
                        if kind == " ":
                            after.append(lines[cursor])
                        cursor += 1
                    else:
                        after.append(("new", text))
                lines[at:cursor] = after
                shift += len(after) - (cursor - at)
                leading = next(i for i, (kind, _text) in enumerate(body) if kind != " ")
                trailing = next(i for i, (kind, _text) in enumerate(reversed(body)) if kind != " ")
                if trailing < leading:  # less context after than before: the hunk ends the file
                    del lines[at + len(after):]
                    at_end.add(path)
    expected = {}
    for path, known in original.items():
        last = max(known) + (0 if path in at_end else 5)
        os.makedirs(tmp_path / "tree" / os.path.dirname(path), exist_ok=True)
        with open(tmp_path / "tree" / path, "w", encoding="utf-8") as f:
            f.writelines(known.get(i, f"fixture line {i + 1}") + "\n" for i in range(last + 1))
        lines = current[path]
        if path not in at_end:
            lines = lines[:1 + max(i for i, (origin, value) in enumerate(lines) if origin == "orig" and value == last)]
        expected[path] = [value if origin == "new" else known.get(value, f"fixture line {value + 1}")
                          for origin, value in lines]
    for name in patches:
        subprocess.run(
            ["patch", "-p1", "--forward", "--batch", "--fuzz=0", "--no-backup-if-mismatch", "--silent",
             "-i", os.path.abspath(os.path.join(patch_dir(role), name))],
            cwd=tmp_path / "tree", check=True)
    for path, lines in expected.items():
        with open(tmp_path / "tree" / path, encoding="utf-8") as f:
            assert f.read().splitlines() == lines, path
