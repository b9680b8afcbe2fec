# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A build's ssh connections to its workers: opened before make, closed after it.

distcc runs ``ssh [DISTCC_SSH words] [-l USER] HOST distccd --inetd`` once per compile (distcc 3.4's
ssh.c). Opened first, one connection per worker (OpenSSH's ControlMaster, from the master role's
ssh configuration) carries every compile of the build, and a refused worker is known before make
starts: a changed host key (``Host key verification failed.``) or a key the worker does not admit
(``Permission denied (publickey)``) fails the build with ssh's own words, where distcc would print
them once per compile in make's output and then compile on the master in silence (its backoff).
A worker that does not answer is a warning only, as over TCP: distcc leaves it out.
"""

from __future__ import annotations

# ssh's words for a worker that must not be used: its identity or ours was refused
REFUSED = (
    "Host key verification failed",
    "REMOTE HOST IDENTIFICATION HAS CHANGED",
    "has changed and you have requested strict checking",
    "No ED25519 host key is known",
    "host key is known for",
    "Permission denied",
)


def ssh_command(env):
    """ssh's argv as distcc builds it: DISTCC_SSH split on single spaces (no quoting, as distcc does), else ssh."""
    words = [w for w in (env.get("DISTCC_SSH") or "").split(" ") if w]
    return words or ["ssh"]


def configuration_hint(env, environ):
    """What to add to a refusal when ssh ran without DISTCC_SSH (neither the build's env nor the module's
    environment names it): then ssh used the build user's own configuration and known hosts, not the master role's
    pinned keys and key, and refuses every worker for that reason alone. "" when DISTCC_SSH is set."""
    if env.get("DISTCC_SSH") or environ.get("DISTCC_SSH"):
        return ""
    return (" ssh ran without DISTCC_SSH, so with the build user's own ssh configuration and known hosts, not the "
            "master role's: give the build env: {DISTCC_SSH: ...} as the role exports it "
            "(distcc_master_exports.distcc_env; a login shell of the build user has it from ~/.profile).")


def ssh_targets(entries):
    """[(label, argv tail)] of the SSH entries, one per worker (user and host), in the host list's order."""
    targets = []
    seen = set()
    for entry in entries:
        if entry.get("transport") != "ssh":
            continue
        label = "%s@%s" % (entry["user"] or "", entry["host"])
        if label in seen:
            continue
        seen.add(label)
        targets.append((label, (["-l", entry["user"]] if entry["user"] else []) + [entry["host"]]))
    return targets


def _why(err):
    """The lines of ssh's stderr that say what happened (its banner of @ signs and advice left out)."""
    lines = [line.strip() for line in (err or "").splitlines()]
    keep = [line for line in lines if line and not line.startswith("@") and any(r in line for r in REFUSED)]
    keep = keep or [line for line in lines if line and not line.startswith("@")][-2:]
    return " ".join(keep) or "no message"


def open_connections(run, env, entries):
    """Open a connection to each SSH worker that has none; return (opened, refused, silent).

    ``run(argv)`` returns (rc, stdout, stderr). ``opened``: the labels whose connection this call
    opened (close_connections closes them); ``refused``: [(label, why)] of workers ssh refused
    (host key, key); ``silent``: [(label, why)] of workers that did not answer.
    """
    ssh = ssh_command(env)
    opened, refused, silent = [], [], []
    for label, tail in ssh_targets(entries):
        rc, dummy, err = run(ssh + ["-O", "check"] + tail)
        if rc == 0:
            continue  # a connection of an earlier build or of the user: distcc's compiles share it
        rc, dummy, err = run(ssh + ["-f", "-N"] + tail)
        if rc == 0:
            opened.append(label)
        elif any(r in err for r in REFUSED):
            refused.append((label, _why(err)))
        else:
            silent.append((label, _why(err)))
    return opened, refused, silent


def close_connections(run, env, entries, opened):
    """Close the connections open_connections opened (so that the next build checks the host keys again)."""
    ssh = ssh_command(env)
    for label, tail in ssh_targets(entries):
        if label in opened:
            run(ssh + ["-O", "exit"] + tail)
