# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The progress file of a running build (``.distrant/progress.json``), which the action plugin polls."""

from __future__ import annotations

import json
import os
import threading
import time

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
    build: from its compile log, _compile_count)."""

    def __init__(self, path, client_log, distcc=True):
        self.path = path
        self.distcc = distcc
        self.client_log = client_log
        self.client = ClientLog() if distcc else CompileLog()
        self.offset = 0
        self.phase = "prepare"
        self.start = time.monotonic()
        self._stop = threading.Event()
        self._thread = None

    def read(self):
        """Parse only what the client log gained since the last call."""
        try:
            with open(self.client_log, "rb") as handle:
                handle.seek(self.offset)
                data = handle.read()
        except (IOError, OSError):
            return
        self.offset += len(data)
        self.client.feed(data.decode("utf-8", "replace"))

    def write(self, running=True):
        counts = self.client.counts()
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
        counts = self.client.feed("", final=True).counts()
        self.write(running=False)
        return counts
