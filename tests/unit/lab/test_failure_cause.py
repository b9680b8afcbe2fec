"""lab/failure_cause.py: the last lines of a failed run name its cause.

The log is molecule's, recorded (colours stripped, paths shortened) from the vagrant scenario's
first step where vagrant-libvirt was installed and libvirtd did not answer: molecule folds the
task's result over several boxed lines, and a CI page shows only the end of the log, the play
recap, which says nothing of why.
"""
from __future__ import annotations

import importlib.util
import pathlib

_HERE = pathlib.Path(__file__).resolve().parent
_PATH = _HERE.parents[2] / "lab" / "failure_cause.py"
_SPEC = importlib.util.spec_from_file_location("failure_cause", _PATH)
failure_cause = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(failure_cause)


def test_the_folded_result_is_unwrapped_into_its_task_msg_and_stderr():
    lines = (_HERE / "fixtures" / "molecule-destroy-libvirt-silent.log").read_text().splitlines()
    out = failure_cause.cause(lines)
    assert out[0] == "==== cause: TASK [Run vagrant destroy -f]"
    assert "  msg: non-zero return code" in out
    stderr = [line for line in out if line.startswith("  stderr: ")]
    assert stderr[0].startswith("  stderr: Error while connecting to Libvirt: Error making a connection to libvirt URI")
    assert stderr[-1].endswith("Failed to connect socket to '/nonexistent/libvirt-sock': No such file or directory")


def test_the_last_failure_is_the_one_named():
    lines = ["TASK [first]", 'fatal: [h]: FAILED! => {"msg": "expected, ignored"}', "...ignoring",
             "TASK [second]", 'fatal: [h]: FAILED! => {"changed": false, "msg": "the real one"}', ""]
    assert failure_cause.cause(lines) == ["==== cause: TASK [second]", "  msg: the real one"]


def test_a_failure_without_json_is_printed_as_it_is_and_a_clean_log_prints_nothing():
    assert failure_cause.cause(["TASK [x]", "failed: [h] (item=a) => oops", ""]) == [
        "==== cause: TASK [x]", "  failed: [h] (item=a) => oops"]
    assert failure_cause.cause(["PLAY RECAP", "h : ok=3 failed=0"]) == []


def test_the_report_shows_the_last_three_failures_with_their_tasks_then_the_cause(tmp_path):
    log = tmp_path / "run.log"
    body = []
    for n in range(1, 5):
        body += ["\x1b[0;32mTASK [step %d] ***\x1b[0m" % n, '\x1b[0;31mfatal: [h]: FAILED! => {"msg": "boom %d"}\x1b[0m' % n,
                 "...ignoring" if n < 4 else "PLAY RECAP"]
    log.write_text("\n".join(body) + "\n")
    out = failure_cause.report(str(log))
    assert out[0] == "==== what failed, from %s (the last 3 failed tasks) ====" % log
    assert "TASK [step 1]" not in out and out.count("----") == 3
    assert out[1:4] == ["----", "TASK [step 2]", 'fatal: [h]: FAILED! => {"msg": "boom 2"}']
    assert not any("\x1b" in line for line in out)
    assert out[-3:] == ["==== end of what failed ====", "==== cause: TASK [step 4]", "  msg: boom 4"]
