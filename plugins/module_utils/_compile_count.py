# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A local build's compiles, counted: the place of every object when distcc is not in the compiler words.

A distributed build learns where each object was compiled from distcc's client log; a local build
(distcc_build's ``distcc: false``) has no client, so the compiler words become ``<count> gcc``,
where ``<count>`` is a small C program (built once into the tree's ``.distrant/``, with the
build's compiler, like cpu_breakdown's accounting program) that appends its command line to
``$DISTRANT_COMPILE_LOG`` in one write and then becomes the compiler (execvp: no process is left
waiting, the compiler's exit status and output are its own). Its cost is one exec per compiler run,
well under a millisecond, within the noise of a build's time.

CompileLog reads that log as ClientLog reads distcc's: the compiles of a source file are objects
(compiler probes of /dev/null or stdin, links and preprocessing are not), all on localhost, for
the reason ``local_build``.
"""

from __future__ import annotations

from ansible_collections.distrant.distcc.plugins.module_utils._client_log import NOT_OBJECTS
from ansible_collections.distrant.distcc.plugins.module_utils._tree_program import build_program, program_path

LOG_ENV = "DISTRANT_COMPILE_LOG"
LOCAL_BUILD = "local_build"  # the local_reasons entry of a local build's objects
_SEP = "\x1f"  # between the words of a logged command line

COUNT_SOURCE = r"""/* distrant compile-count: append COMMAND's words (separated by \x1f, newlines made spaces)
   to $DISTRANT_COMPILE_LOG in one write() with O_APPEND, then execvp COMMAND. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s COMMAND [ARG...]\n", argv[0]);
        return 2;
    }
    const char *log = getenv("DISTRANT_COMPILE_LOG");
    if (log != NULL && *log != '\0') {
        size_t size = 1;
        for (int i = 1; i < argc; i++)
            size += strlen(argv[i]) + 1;
        char *line = malloc(size);
        if (line != NULL) {
            size_t n = 0;
            for (int i = 1; i < argc; i++) {
                for (const char *c = argv[i]; *c; c++)
                    line[n++] = (*c == '\n') ? ' ' : *c;
                line[n++] = (i + 1 < argc) ? '\x1f' : '\n';
            }
            int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
            if (fd >= 0) {
                ssize_t written = write(fd, line, n);
                (void)written; /* a line lost is an object not counted, never a build broken */
                close(fd);
            }
            free(line);
        }
    }
    execvp(argv[1], argv + 1);
    fprintf(stderr, "distrant compile-count: %s: %s\n", argv[1], strerror(errno));
    return 127;
}
"""

# What a compiler takes as a source file to compile (gcc's suffixes, as distcc's dcc_is_source).
SOURCE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".cp", ".c++", ".C", ".i", ".ii", ".m", ".mm", ".mi", ".mii", ".M",
                   ".s", ".S", ".sx")
# Options whose next word is a file that is not the source.
_FILE_OPTIONS = frozenset(["-o", "-MF", "-MT", "-MQ", "-include", "-imacros", "-x"])


def count_program_path(directory):
    """Where the counting program lives in ``directory`` (its name carries the source's hash)."""
    return program_path(directory, "compile-count", COUNT_SOURCE)


def build_count_program(program, compiler, env):
    """Build the counting program at ``program`` with ``compiler`` unless one that runs is there (ProgramError)."""
    env = {k: v for k, v in env.items() if k != LOG_ENV}
    return build_program(program, COUNT_SOURCE, compiler, env, "the program that counts the objects")


def is_object(words):
    """Whether a compiler command line (the compiler first) compiles a source file (-c or -S)."""
    args = words[1:]
    if "-c" not in args and "-S" not in args:
        return False
    previous = None
    for arg in args:
        if (previous not in _FILE_OPTIONS and not arg.startswith("-") and arg not in NOT_OBJECTS
                and arg.endswith(SOURCE_SUFFIXES)):
            return True
        previous = arg
    return False


class CompileLog:
    """Count the objects of a local build's compile log, fed as it grows (the interface of ClientLog)."""

    def __init__(self):
        self._partial = ""
        self._objects = 0

    def feed(self, text, final=False):
        lines = (self._partial + (text or "")).split("\n")
        self._partial = "" if final else lines.pop()
        self._objects += sum(1 for line in lines if line and is_object(line.split(_SEP)))
        return self

    def counts(self):
        n = self._objects
        return {
            "objects": n,
            "jobs_per_host": {"localhost": n} if n else {},
            "remote_objects": 0,
            "local_reasons": {LOCAL_BUILD: n} if n else {},
            "local_fallbacks": 0,
            "failed_remote": 0,
            "remote_preprocessed": 0,
            "pump_fallbacks": 0,
            "pump_switched_off": False,
        }
