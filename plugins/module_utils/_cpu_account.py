# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the master's CPU goes during a build: the distcc client, the include server, the rest.

The master is distcc's bottleneck; its CPU is spent by make and the build system's own steps,
by the distcc client of each compile (and the compiles it runs locally), and in pump mode by
the include server. distcc_build's ``cpu_breakdown`` measures them apart:

- the client: the compiler words become ``<account> distcc gcc``, where ``<account>`` is a
  small C program (built here, on the master, with the build's own compiler, once) that runs
  its command, waits for it with wait4() and appends the CPU the command and everything it
  waited for used (microseconds, exact, unlike process accounting's 10 ms ticks) to
  ``$DISTRANT_CPU_LOG``, with its own CPU (the cost of measuring);
- the include server: one long-lived process, whose /proc/PID/stat is read before it stops,
  plus what its start-up process used;
- make: every process the build waited for (the module's RUSAGE_CHILDREN: make and all below
  it) minus the client's: make, the shells and tools of the build system, linking;
- other: the master's whole CPU counter (its cgroup's in a container, /proc/stat on a VM)
  minus all of the above: the kernel's interrupts and threads, the module itself, sshd, and
  on a VM the time stolen by its host.
"""

from __future__ import annotations

import os

from ansible_collections.distrant.distcc.plugins.module_utils._tree_program import (
    ProgramError,
    build_program,
    program_path,
)

ACCOUNT_SOURCE = r"""/* distrant cpu-account: run COMMAND, then append to $DISTRANT_CPU_LOG the CPU it (and every
   process it waited for) used, and this program's own, in microseconds:
   "child_user child_sys self_user self_sys\n". Exits as COMMAND did; says nothing of its own
   unless COMMAND cannot be run (a compiler probe may read the compile's stderr). */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static long long us(struct timeval t) { return (long long)t.tv_sec * 1000000LL + t.tv_usec; }

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s COMMAND [ARG...]\n", argv[0]);
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("distrant cpu-account: fork");
        return 127;
    }
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        fprintf(stderr, "distrant cpu-account: %s: %s\n", argv[1], strerror(errno));
        _exit(127);
    }
    int status = 0;
    struct rusage child;
    while (wait4(pid, &status, 0, &child) < 0) {
        if (errno != EINTR) {
            perror("distrant cpu-account: wait4");
            return 127;
        }
    }
    const char *log = getenv("DISTRANT_CPU_LOG");
    if (log != NULL && *log != '\0') {
        struct rusage self;
        char line[160];
        getrusage(RUSAGE_SELF, &self);
        int n = snprintf(line, sizeof line, "%lld %lld %lld %lld\n", us(child.ru_utime), us(child.ru_stime),
                         us(self.ru_utime), us(self.ru_stime));
        /* one write() with O_APPEND: lines of concurrent compiles never interleave */
        int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0) {
            ssize_t written = write(fd, line, (size_t)n);
            (void)written; /* a line lost is seen by the module (fewer lines than compiles) */
            close(fd);
        }
    }
    if (WIFSIGNALED(status)) {
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core); /* the command's crash, not a core of this program */
        signal(WTERMSIG(status), SIG_DFL);
        raise(WTERMSIG(status));
        return 128 + WTERMSIG(status);
    }
    return WEXITSTATUS(status);
}
"""

LOG_ENV = "DISTRANT_CPU_LOG"


AccountError = ProgramError  # the accounting program could not be built; the message says why


def account_program_path(directory):
    """Where the accounting program lives in ``directory`` (its name carries the source's hash)."""
    return program_path(directory, "cpu-account", ACCOUNT_SOURCE)


def build_account_program(program, compiler, env=None):
    """Build the accounting program at ``program`` with ``compiler`` (in ``env``), unless one that runs is there."""
    env = {k: v for k, v in (os.environ if env is None else env).items() if k != LOG_ENV}
    return build_program(program, ACCOUNT_SOURCE, compiler, env, "the CPU accounting program")


def parse_account_log(text):
    """Sum the accounting program's lines: (processes, command seconds, accounting seconds).

    A line cut short (a process killed while writing) is not counted."""
    processes, command_us, self_us = 0, 0, 0
    for line in (text or "").splitlines():
        fields = line.split()
        if len(fields) != 4 or not all(f.isdigit() for f in fields):
            continue
        values = [int(f) for f in fields]
        processes += 1
        command_us += values[0] + values[1]
        self_us += values[2] + values[3]
    return processes, command_us / 1e6, self_us / 1e6


def stat_fields(stat_text):
    """The fields of /proc/PID/stat text after the command name (state first), or None."""
    try:
        return stat_text.rsplit(")", 1)[1].split()
    except (AttributeError, IndexError):
        return None


def read_stat_fields(pid):
    """stat_fields() of a running process, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return stat_fields(handle.read())
    except (IOError, OSError, TypeError):
        return None


def _cpu_seconds(fields, clock_ticks):
    try:
        return sum(int(fields[i]) for i in (11, 12, 13, 14)) / float(clock_ticks)  # utime stime cutime cstime
    except (TypeError, IndexError, ValueError):
        return None


def process_cpu_seconds(stat_text, clock_ticks):
    """CPU seconds of a process and the children it waited for, from /proc/PID/stat text, or None."""
    return _cpu_seconds(stat_fields(stat_text), clock_ticks)


def read_process_cpu_seconds(pid):
    """process_cpu_seconds() of a running process, or None when it is gone."""
    return _cpu_seconds(read_stat_fields(pid), os.sysconf("SC_CLK_TCK"))


def breakdown(master_seconds, children_seconds, account, include_server, objects, compiles=None):
    """The breakdown fact: seconds per part, and per object, of the master's CPU.

    ``children_seconds`` is the CPU of every process the build waited for (the module's
    RUSAGE_CHILDREN: make and all below it, the include server's start-up process);
    ``account`` is parse_account_log()'s triple; ``include_server`` the pair (start-up process,
    server) of seconds, or None outside pump mode; ``compiles`` how many compiler-word processes
    there must have been at least (None: unknown). When the log has fewer lines (a line lost), the
    client's share and make's are unknown, not wrong.
    """
    processes, client, accounting = account
    startup, server = include_server if include_server else (0.0, None)
    complete = compiles is None or processes >= compiles
    make = children_seconds - startup - client - accounting if complete else None
    if not complete:
        client = None
    include = startup + server if server is not None else None
    other = None
    if master_seconds is not None and (include_server is None or server is not None):
        # what no build process spent: the kernel's interrupts and threads, this module, sshd, steal on a VM
        other = master_seconds - children_seconds - (server or 0.0)
    parts = dict(master_seconds=master_seconds, make_seconds=make, client_seconds=client,
                 include_server_seconds=include, accounting_seconds=accounting, other_seconds=other)
    result = dict(client_processes=processes, objects=objects, complete=complete)
    for name, value in parts.items():
        result[name] = round(value, 2) if value is not None else None
        per = name.replace("_seconds", "_per_object_ms")
        result[per] = round(1000.0 * value / objects, 1) if value is not None and objects else None
    return result
