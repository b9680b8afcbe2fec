# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The source tree: its build system, whether it is a kernel, and the build's own files in it (TreeState)."""

from __future__ import annotations

import errno
import fcntl
import os
import time


def read_text(path):
    """The text of a file, "" when it cannot be read."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except (IOError, OSError):
        return ""


class TreeBusy(Exception):
    """Another build holds the tree's lock; the message is its holder text (pid and start time)."""


class TreeLock:
    """The tree's build lock (flock on ``.distrant/build.lock``), held in a ``with`` block.

    Entering raises TreeBusy when another build holds it, after changing nothing. While held,
    the file names this process and its start time (what a second build reports); leaving the
    block, however it is left (a failure's SystemExit included), clears that text and closes
    the file, which releases the lock.
    """

    def __init__(self, path):
        self.path = path
        self._handle = None

    def __enter__(self):
        handle = open(self.path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except (IOError, OSError) as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                handle.close()
                raise
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise TreeBusy(holder)
        handle.seek(0)
        handle.truncate()
        handle.write("pid %d, started %s" % (os.getpid(), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
        handle.flush()
        self._handle = handle
        return self

    def __exit__(self, *exc):
        handle, self._handle = self._handle, None
        try:
            handle.seek(0)
            handle.truncate()
        finally:
            handle.close()
        return False


class TreeState:
    """The build's own files inside the tree, ``<chdir>/.distrant/`` (the one owner of this layout).

    distcc_build writes them; its action plugin polls the progress file; tests read them.
    """

    DIR = ".distrant"
    FILES = {
        "lock": "build.lock",  # flock'ed by the running build, holds its pid and start time
        "progress": "progress.json",  # objects so far, per host, rewritten while make runs
        "client_log": "client.log",  # DISTCC_LOG of the build
        "compile_log": "compile.log",  # a local build: the command line of every compiler run (_compile_count)
        "make_log": "make.log",  # make's (or ninja's) output
        "configure_log": "configure.log",  # configure's or cmake's output
        "include_server_log": "include_server.log",  # pump mode's include server
        "cpu_log": "cpu.log",  # cpu_breakdown: one line per process of the compiler words
        "host_cc": "host-cc",  # kbuild_lean: the directory of the host compiler's wrapper, first on make's PATH
        "host_client_log": "host-client.log",  # kbuild_lean: DISTCC_LOG of the host programs' compiles
        "ccache_stats_log": "ccache-stats.log",  # ccache: CCACHE_STATSLOG, the counters of each ccache run (_ccache)
    }

    def __init__(self, chdir):
        self.dir = os.path.join(chdir, self.DIR)

    def path(self, name):
        return os.path.join(self.dir, self.FILES[name])

    def lock(self):
        """The tree's build lock, to hold in a ``with`` block (see TreeLock)."""
        return TreeLock(self.path("lock"))

    @classmethod
    def relative(cls, name):
        """The file's path relative to the tree, e.g. '.distrant/progress.json'."""
        return cls.DIR + "/" + cls.FILES[name]


def is_kernel_tree(path):
    """A Linux kernel tree (its own Kbuild file and Kbuild's include file), whose Makefile has ``prepare``."""
    return os.path.isfile(os.path.join(path, "Kbuild")) and os.path.isfile(
        os.path.join(path, "scripts", "Kbuild.include"))


MAKEFILES = ("GNUmakefile", "makefile", "Makefile")  # what GNU make reads, in its order
BUILD_SYSTEMS = ("make", "autotools", "cmake")


def has_makefile(path):
    """A directory GNU make can build in (it reads GNUmakefile, makefile or Makefile)."""
    return any(os.path.isfile(os.path.join(path, name)) for name in MAKEFILES)


def detect_build_system(path):
    """The build system of the source tree at ``path``, or None when there is nothing to build.

    A kernel tree is built with make; a ``configure`` script (autotools, or a project's own
    configure that writes a Makefile) comes before ``CMakeLists.txt`` (a release tarball's
    configure is how its authors build it), and both before a plain Makefile.
    """
    if is_kernel_tree(path):
        return "make"
    configure = os.path.join(path, "configure")
    if os.path.isfile(configure) and os.access(configure, os.X_OK):
        return "autotools"
    if os.path.isfile(os.path.join(path, "CMakeLists.txt")):
        return "cmake"
    if has_makefile(path):
        return "make"
    return None
