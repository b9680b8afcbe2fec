"""_bench_provision.py: a re-run of site.yml read from its output, and the report of the runs."""

from __future__ import annotations

import json

from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_provision import measured, not_clean, recap, red_lines
from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_report import write

# the end of an ansible-playbook run on the 1+1 lab, colours on
OUTPUT = """\
TASK [distrant.distcc.distcc_worker : Start distccd] ***************************
\x1b[0;32mok: [worker-1]\x1b[0m
fatal: [worker-2]: UNREACHABLE! => {"changed": false, "msg": "ssh: connect to host"}

PLAY RECAP *********************************************************************
\x1b[0;32mmaster\x1b[0m                     : \x1b[0;32mok=61  \x1b[0m changed=0    unreachable=0    failed=0    skipped=28   rescued=0    ignored=0
\x1b[0;32mworker-1\x1b[0m                   : \x1b[0;32mok=40  \x1b[0m changed=1    unreachable=0    failed=0    skipped=12   rescued=0    ignored=0
"""


REPORT = """\
# site.yml re-run on the converged lab (build off)

2 hosts (master, worker-1); median of 3 runs **9.6 s** (spread 0.2 s); check mode 9.3 s.

| run | wall s | changed | failed | tasks | red lines |
|---|---|---|---|---|---|
| 1 | 9.5 | 0 | 0 | 141 | 0 |
| 2 | 9.7 | 0 | 0 | 141 | 0 |
| 3 | 9.6 | 1 | 0 | 142 | 1 |
| check | 9.3 | 0 | 0 | 141 | 0 |
"""


def test_the_recap_and_the_red_lines_are_read_through_the_colours():
    assert recap(OUTPUT) == {
        "master": {"ok": 61, "changed": 0, "unreachable": 0, "failed": 0, "skipped": 28},
        "worker-1": {"ok": 40, "changed": 1, "unreachable": 0, "failed": 0, "skipped": 12},
    }
    assert red_lines(OUTPUT) == ['fatal: [worker-2]: UNREACHABLE! => {"changed": false, "msg": "ssh: connect to host"}']


def test_the_report_of_the_runs(tmp_path):
    clean = OUTPUT.split("fatal:", maxsplit=1)[0] + OUTPUT.split("\n", 3)[3].replace("changed=1", "changed=0")
    runs = [measured("run", 9.5, 0, clean, "r1.log"), measured("run", 9.7, 0, clean, "r2.log"),
            measured("run", 9.6, 2, OUTPUT, "r3.log"), measured("check", 9.3, 0, clean, "check.log")]
    shown = write("provision", str(tmp_path), runs)
    assert "\n".join(shown) + "\n" == (tmp_path / "provision.md").read_text() == REPORT
    summary = json.loads((tmp_path / "provision.json").read_text())
    assert summary["median_seconds"] == 9.6 and summary["check_seconds"] == 9.3 and summary["hosts"] == ["master", "worker-1"]
    assert [r["log"] for r in not_clean(runs)] == ["r3.log"]
