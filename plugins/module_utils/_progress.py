# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The progress file of a running build (``.distrant/progress.json``), which the action plugin polls."""

from __future__ import annotations

import json
import os
import threading
import time

from ansible_collections.distrant.distcc.plugins.module_utils._ccache import StatsLog, with_cache_hits
from ansible_collections.distrant.distcc.plugins.module_utils._client_log import ClientLog
from ansible_collections.distrant.distcc.plugins.module_utils._compile_count import CompileLog

PROGRESS_EVERY = 2.0


def write_progress(path, data):
    """Write the progress file whole (a reader never sees half of it)."""
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        json.dump(data, handle)
    os.rename(tmp, path)


class Progress:
    """The progress file, rewritten every PROGRESS_EVERY s while make runs from the client log (a local
    build: from its compile log, _compile_count), and with ccache its stats log (the objects it served)."""

    def __init__(self, path, client_log, distcc=True, stats_log=None):
        self.path = path
        self.distcc = distcc
        self.client_log = client_log
        self.client = ClientLog() if distcc else CompileLog()
        self.offset = 0
        self.stats_log = stats_log
        self.stats = StatsLog() if stats_log else None
        self.stats_offset = 0
        self.phase = "prepare"
        self.start = time.monotonic()
        self._stop = threading.Event()
        self._thread = None

    @staticmethod
    def _new_text(path, offset):
        """What the file at ``path`` gained past ``offset`` ("" when it cannot be read)."""
        try:
            with open(path, "rb") as handle:
                handle.seek(offset)
                return handle.read()
        except (IOError, OSError):
            return b""

    def read(self):
        """Parse only what the client log (and ccache's stats log) gained since the last call."""
        data = self._new_text(self.client_log, self.offset)
        self.offset += len(data)
        self.client.feed(data.decode("utf-8", "replace"))
        if self.stats:
            data = self._new_text(self.stats_log, self.stats_offset)
            self.stats_offset += len(data)
            self.stats.feed(data.decode("utf-8", "replace"))

    def counts(self):
        counts = self.client.counts()
        return with_cache_hits(counts, self.stats.cache_hits) if self.stats else counts

    def write(self, running=True):
        counts = self.counts()
        write_progress(self.path, dict(elapsed=round(time.monotonic() - self.start, 1), phase=self.phase,
                                       distcc=self.distcc,
                                       objects=counts["objects"], jobs_per_host=counts["jobs_per_host"],
                                       local_fallbacks=counts["local_fallbacks"],
                                       local_reasons=counts["local_reasons"], running=running))

    def _loop(self):
        while not self._stop.wait(PROGRESS_EVERY):
            self.read()
            self.write()

    def __enter__(self):
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        return False

    def final(self):
        self.read()
        self.client.feed("", final=True)
        if self.stats:
            self.stats.feed("", final=True)
        counts = self.counts()
        self.write(running=False)
        return counts
