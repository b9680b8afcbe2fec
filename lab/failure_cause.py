"""Print the last failed task of an Ansible/molecule log (colours stripped, on stdin) and its
msg/stderr, unwrapped: molecule folds long lines into a box ("│ ..."), and a CI page shows only
the end of a long log, so lab/failures.sh prints this last."""

from __future__ import annotations

import json
import re
import sys

FAILED = re.compile(r"fatal:|FAILED!|failed: \[")
KEYS = ("msg", "stderr", "module_stderr", "stdout")


def cause(lines: list[str]) -> list[str]:
    last = max((i for i, line in enumerate(lines) if FAILED.search(line)), default=None)
    if last is None:
        return []
    task = next((lines[i].strip(" │*") for i in range(last, -1, -1) if "TASK [" in lines[i]), "")
    text: list[str] = []
    for line in lines[last:last + 200]:
        line = line.strip().lstrip("│").strip()
        if text and (not line or line.startswith(("PLAY RECAP", "TASK [", "...ignoring"))):
            break
        text.append(line)
    joined = " ".join(text)
    out = [f"==== cause: {task}"]
    for key in KEYS:
        match = re.search(r'"%s": ("(?:\\.|[^"\\])*")' % key, joined)
        if not match:
            continue
        try:
            value = json.loads(match.group(1))
        except ValueError:
            value = match.group(1)
        out += [f"  {key}: {line[:300]}" for line in str(value).strip().splitlines()[-8:]]
    if len(out) == 1:
        out.append("  " + joined[:600])
    return out


if __name__ == "__main__":
    print("\n".join(cause(sys.stdin.read().splitlines())))
