# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The small C programs distcc_build puts in front of the compiler, built into the tree's ``.distrant/``.

Each is built once with the build's compiler (its name carries a hash of its source, so a changed
source is built again) and kept only when it runs here: a cross compiler's program, or one in a tree
mounted noexec, is refused. Used by cpu_breakdown's accounting program (_cpu_account) and by a local
build's counting program (_compile_count).
"""

from __future__ import annotations

import hashlib
import os
import subprocess


class ProgramError(RuntimeError):
    """The program could not be built, or what was built does not run here; the message says why."""


def program_path(directory, name, source):
    """Where the program ``name`` built from ``source`` lives in ``directory``."""
    return os.path.join(directory, "%s-%s" % (name, hashlib.sha256(source.encode()).hexdigest()[:12]))


def runs(program, env):
    """Whether the program runs here and runs its command (``program true``)."""
    try:
        return subprocess.run([program, "true"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=env, timeout=30, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def build_program(program, source, compiler, env, what):
    """Build ``what`` (its description, for messages) at ``program`` from the C ``source`` with ``compiler``
    in ``env``, unless one that runs is there; returns its path or raises ProgramError."""
    if os.access(program, os.X_OK) and runs(program, env):
        return program
    source_file, partial = program + ".c", program + ".partial"
    with open(source_file, "w") as handle:
        handle.write(source)
    try:
        proc = subprocess.run([compiler, "-O2", "-o", partial, source_file], stdin=subprocess.DEVNULL, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ProgramError("cannot build %s with %s: %s" % (what, compiler, exc))
    finally:
        os.unlink(source_file)
    if proc.returncode != 0:
        raise ProgramError("cannot build %s with %s (rc %d): %s"
                           % (what, compiler, proc.returncode, proc.stdout.decode("utf-8", "replace")[-1000:]))
    if not runs(partial, env):
        os.unlink(partial)
        raise ProgramError("%s built with %s does not run here (a cross compiler, or a tree mounted noexec?)"
                           % (what, compiler))
    os.rename(partial, program)
    return program
