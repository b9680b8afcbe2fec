"""What failed in an Ansible/molecule log (lab/failures.sh LOG): the last 3 failed tasks
(fatal:/FAILED!; the one that stopped the run is the last, earlier ones may have been expected
and ignored), each with its task name and the 40 lines from its failure; then, as the very last
lines (a CI page shows only the end of a long log), the last failure's task and its msg/stderr,
unwrapped: molecule folds long lines into a box ("│ ...").
  python3 lab/failure_cause.py LOG"""

from __future__ import annotations

import json
import re
import sys

FAILED = re.compile(r"fatal:|FAILED!|failed: \[")
KEYS = ("msg", "stderr", "module_stderr", "stdout")


COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def failures(lines: list[str]) -> list[int]:
    """The indexes of the lines that say a task failed."""
    return [i for i, line in enumerate(lines) if FAILED.search(line)]


def task_of(lines: list[str], index: int) -> str:
    """The name of the task whose output holds lines[index]."""
    return next((lines[i].strip(" │*") for i in range(index, -1, -1) if "TASK [" in lines[i]), "")


def last_failed(lines: list[str], count: int = 3, context: int = 40) -> list[str]:
    """The last count failed tasks, each with its name and context lines from its failure."""
    out: list[str] = []
    for index in failures(lines)[-count:]:
        out.append("----")
        task = task_of(lines, index)
        if task:
            out.append(task)
        out += lines[index:index + context]
    return out


def cause(lines: list[str]) -> list[str]:
    last = max(failures(lines), default=None)
    if last is None:
        return []
    task = task_of(lines, last)
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


def report(log: str) -> list[str]:
    with open(log, errors="replace") as handle:
        lines = COLOUR.sub("", handle.read()).splitlines()
    return (["==== what failed, from %s (the last 3 failed tasks) ====" % log] + last_failed(lines)
            + ["==== end of what failed ===="] + cause(lines))


if __name__ == "__main__":
    print("\n".join(report(sys.argv[1])))
