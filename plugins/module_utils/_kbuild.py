# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kbuild (the Linux kernel's make files): what kbuild_lean gives make, and the host compiler's wrapper."""

from __future__ import annotations

import os
import re
import shlex

# What Kbuild runs on the master per object that makes no object (distcc_build's kbuild_lean).
# Linux 6.1's scripts/Kbuild.include defines `cmd` so that $(call cmd,X) of an empty cmd_X (checksrc,
# objtool, record_mcount... off in most configs) is still `set -e;` and five traps, for which make
# starts /bin/sh: about five shells per object. Given on make's command line, this definition gives
# `:` for an empty command, which GNU make runs without a process (as Kbuild itself does from
# Linux 6.3 on, where the form differs); `$(cmd); printf ...` stays valid shell.
KBUILD_CMD_61 = "cmd = @set -e; $(echo-cmd) $($(quiet)redirect) $(delete-on-interrupt) $(cmd_$(1))"
KBUILD_CMD_LEAN = "cmd=@$(if $(cmd_$(1)),set -e; $(echo-cmd) $($(quiet)redirect) $(delete-on-interrupt) $(cmd_$(1)),:)"


# Linux 6.1's cmd_and_fixdep (scripts/Kbuild.include), the command of every object: the compile, fixdep,
# then `rm -f $(depfile)`, a process per object that makes nothing. Given on make's command line without
# the rm, the compiler's dependency file stays beside the object (`.foo.o.d`, removed by make clean like
# Kbuild's other dot files, rewritten by the next compile).
KBUILD_AND_FIXDEP_61 = ("cmd_and_fixdep = $(cmd); scripts/basic/fixdep $(depfile) $@ '$(make-cmd)' > "
                        "$(dot-target).cmd; rm -f $(depfile)")
KBUILD_AND_FIXDEP_LEAN = "cmd_and_fixdep=$(cmd); scripts/basic/fixdep $(depfile) $@ '$(make-cmd)' > $(dot-target).cmd"
# Kbuild's HOSTCC when neither make's command line nor LLVM= names another.
KBUILD_HOSTCC = "gcc"


def _definitions(text):
    """The text of a makefile with its continued lines joined and runs of blanks made one space."""
    return re.sub(r"[ \t]+", " ", re.sub(r"\\\n", " ", text))


def host_compiler_wrapper(directory, client, log):
    """The shell script that stands for Kbuild's HOSTCC (``gcc``) first on make's PATH (distcc_build's
    kbuild_lean): it takes its own directory off PATH and runs ``<client> gcc`` with the host programs'
    own DISTCC_LOG, so that their compiles go to the workers without changing the command lines Kbuild
    recorded for them (a changed HOSTCC would rebuild fixdep and kconfig) and without counting as objects.
    Run by distcc itself (its safeguard variable set: the compiler or preprocessor a client runs on the
    master, found on PATH where the client does not rewrite gcc to its full name), it runs the real gcc."""
    return (
        '#!/bin/sh\n'
        '# distcc_build (kbuild_lean): Kbuild\'s host compiles through distcc\n'
        'own=%s\n'
        'set -f; IFS=:; kept=\n'
        'for dir in $PATH; do [ "$dir" = "$own" ] || kept="${kept:+$kept:}$dir"; done\n'
        'unset IFS; set +f\n'
        'PATH=$kept; export PATH\n'
        'if [ -n "${_DISTCC_SAFEGUARD-}" ]; then exec %s "$@"; fi\n'
        'DISTCC_LOG=%s exec %s %s "$@"\n'
        % (shlex.quote(directory), KBUILD_HOSTCC, shlex.quote(log), shlex.quote(client), KBUILD_HOSTCC))


def make_variables(make_args):
    """The names of the variables make's arguments assign (NAME=, NAME:=, NAME+=, NAME?=, NAME!=)."""
    return {arg.split("=", 1)[0].strip().rstrip(":+?!").strip() for arg in make_args if "=" in arg}


def kbuild_lean_args(path, make_args=()):
    """The make arguments that spare the master Kbuild's per-object work that makes no object, for the
    kernel tree at path, and the names of what they do: ``no_empty_shells`` (only where
    scripts/Kbuild.include has Linux 6.1's form of ``cmd``) and ``no_check_local_export`` (where
    scripts/Makefile.build runs scripts/check-local-export, a check of the source's exports: a shell,
    nm and awk per object) and ``no_depfile_rm`` (where scripts/Kbuild.include has Linux 6.1's form of
    ``cmd_and_fixdep``). A variable the caller sets in make_args itself is left to the caller."""
    def text(*names):
        try:
            with open(os.path.join(path, *names)) as handle:
                return handle.read()
        except (IOError, OSError):
            return ""

    given = make_variables(make_args)
    args, applied = [], []
    lines = {line.strip() for line in text("scripts", "Kbuild.include").splitlines()}
    if KBUILD_CMD_61 in lines and "cmd" not in given:
        args.append(KBUILD_CMD_LEAN)
        applied.append("no_empty_shells")
    if "cmd_check_local_export" in text("scripts", "Makefile.build") and "cmd_check_local_export" not in given:
        args.append("cmd_check_local_export=")
        applied.append("no_check_local_export")
    if KBUILD_AND_FIXDEP_61 in _definitions(text("scripts", "Kbuild.include")) and "cmd_and_fixdep" not in given:
        args.append(KBUILD_AND_FIXDEP_LEAN)
        applied.append("no_depfile_rm")
    return args, applied
