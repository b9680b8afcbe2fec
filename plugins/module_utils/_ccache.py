# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ccache in front of the distcc client: the program, its counters, and what they say of one build.

ccache keeps its statistics per cache directory, and several builds (two masters' users, two trees)
may share one directory: zeroing the counters before a build erases the others' and still counts
their compiles, and a difference of ``ccache --print-stats`` before and after counts every compile
that ran in between, this build's or not. The counters of one build come from its own stats log
instead (``CCACHE_STATSLOG``): each ccache process of the build appends the counters it updated,
under a ``# <source>`` line, to a file of the build's own, and only processes of this build have
it in their environment. ``ccache --print-stats`` is read once after the build, for what only the
cache as a whole has (its size and files).

The counter ids are ccache 4's (the same in the stats log and in ``--print-stats``); the groups
below are those of ``ccache --show-stats -vv`` of ccache 4.7 (Debian 12) and 4.11 (Debian 13), which
added ``disabled``, ``bad_input_file`` and ``modified_input_file``. Both write the same stats log,
except that 4.11 leaves the source out of the ``#`` line of a link or of several sources, and counts
a remote storage lookup that failed as a miss as well as an error.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from ansible_collections.distrant.distcc.plugins.module_utils._client_log import NOT_OBJECTS

STATS_LOG_ENV = "CCACHE_STATSLOG"
INODE_CACHE_ENV = "CCACHE_INODECACHE"  # on by default (unless env or the environment sets this or the next)
NO_INODE_CACHE_ENV = "CCACHE_NOINODECACHE"
# what the module sets itself, so that a compile ccache misses is compiled by distcc without the master preprocessing
OWN_ENV = ("CCACHE_PREFIX", "CCACHE_DEPEND", STATS_LOG_ENV)
CACHE_HITS = "cache_hits"  # the jobs_per_host bucket (and the fact) of the objects ccache served from its cache

HITS = ("direct_cache_hit", "preprocessed_cache_hit")
MISS = "cache_miss"
# a result ccache found by running the preprocessor on this host (depend mode could not be used for the compile)
PREPROCESSED = frozenset(["preprocessed_cache_hit", "preprocessed_cache_miss"])
UNCACHEABLE = frozenset([
    "autoconf_test", "bad_compiler_arguments", "called_for_link", "called_for_preprocessing", "compile_failed",
    "compiler_produced_empty_output", "compiler_produced_no_output", "compiler_produced_stdout",
    "could_not_use_modules", "could_not_use_precompiled_header", "disabled", "multiple_source_files", "no_input_file",
    "output_to_stdout", "preprocessor_error", "recache", "unsupported_code_directive", "unsupported_compiler_option",
    "unsupported_environment_variable", "unsupported_source_language",
])
ERRORS = frozenset([
    "bad_input_file", "bad_output_file", "compiler_check_failed", "could_not_find_compiler",
    "error_hashing_extra_file", "internal_error", "missing_cache_file", "modified_input_file",
])
REMOTE = (("hits", "remote_storage_hit"), ("misses", "remote_storage_miss"), ("errors", "remote_storage_error"),
          ("timeouts", "remote_storage_timeout"))

# CCACHE_MAXSIZE: a number with ccache's suffixes (decimal k or K, M, G, T; binary Ki, Mi, Gi, Ti; none: G), 0 = no limit
MAX_SIZE = re.compile(r"^\d+(\.\d+)?\s*(k|K|M|G|T|Ki|Mi|Gi|Ti)?$")
_VERSION = re.compile(r"^ccache version (\d+)\.(\d+)(?:\.(\d+))?", re.M)
_FEATURES = re.compile(r"^Features: (.*)$", re.M)
_URL_WORD = re.compile(r"\S+")


class CcacheError(RuntimeError):
    """ccache cannot be used as asked; the message says why and what to do."""


def find_ccache(path=None):
    """The ccache program on ``path`` (PATH's value; the module's PATH when None), or None."""
    return shutil.which("ccache", path=path)


def version_info(program):
    """(version tuple, storage features) of ``ccache --version``; raises CcacheError when it does not run."""
    try:
        out = subprocess.run([program, "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             universal_newlines=True, timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise CcacheError("%s --version failed: %s" % (program, exc))
    return parse_version(out)


def parse_version(text):
    """(version tuple, frozenset of features such as ``http-storage``) of ``ccache --version``'s output."""
    match = _VERSION.search(text)
    if not match:
        raise CcacheError("ccache --version printed no version: %r" % text[:200])
    version = tuple(int(n or 0) for n in match.groups())
    features = _FEATURES.search(text)
    return version, frozenset(features.group(1).split()) if features else frozenset()


def storage_schemes(urls):
    """The schemes of a CCACHE_REMOTE_STORAGE value (URLs separated by spaces, each with ``|attributes``)."""
    return [url.split("|", 1)[0].split(":", 1)[0] for url in urls.split()]


_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):(?://(?P<netloc>[^/]*))?")
_HOST_PORT = re.compile(r"^(?P<host>\[[^\]]*\]|[^:]*)(?::(?P<port>.*))?$")


def url_problems(urls):
    """What ccache 4 would refuse in a CCACHE_REMOTE_STORAGE value; it then fails every compile (``ccache: error:
    Cannot parse URL ...``, measured with 4.7.5), so the build must not start with it. [] when none."""
    problems = []
    for url in urls.split():
        match = _URL.match(url.split("|", 1)[0])
        if not match:
            problems.append("%s is no URL (scheme://host:port/...)" % redact(url))
            continue
        if match.group("scheme") not in ("http", "redis"):
            continue
        host_port = _HOST_PORT.match((match.group("netloc") or "").rpartition("@")[2])
        host, port = host_port.group("host"), host_port.group("port")
        if not host:
            problems.append("%s has no host" % redact(url))
        elif port is not None and not (port.isdigit() and 0 < int(port) < 65536):
            problems.append("%s has no valid port (%r)" % (redact(url), port))
    return problems


def _redact_url(match):
    url = match.group(0)
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    return "%s://***@%s" % (scheme, rest.rpartition("@")[2])


def redact(urls):
    """A CCACHE_REMOTE_STORAGE value without user names and passwords (``redis://:secret@h`` -> ``redis://***@h``).

    Each URL (a word of the value) loses what lies between its ``://`` and its last ``@``, whatever it holds: a
    password with ``/``, ``|`` or ``@`` (a URL ccache may refuse, which url_problems then shows) is hidden whole.
    The value's spacing is kept; empty and None are returned as they are.
    """
    return _URL_WORD.sub(_redact_url, urls) if urls else urls


def parse_print_stats(text):
    """The counters of ``ccache --print-stats`` (``id<TAB>value`` lines) as a dict of ints."""
    counters = {}
    for line in text.splitlines():
        name, sep, value = line.partition("\t")
        if sep and value.strip().isdigit():
            counters[name.strip()] = int(value)
    return counters


class StatsLog:
    """A build's ccache stats log (CCACHE_STATSLOG), fed as it grows (the interface of _client_log's ClientLog).

    Each ccache run appends ``# <source>`` and then the ids of the counters it updated, one a line. A run
    with a hit counter served its object from the cache: it ran no compiler, and no distcc client logged
    it (``cache_hits``, which the build's objects include). ``preprocessed_sources`` counts the runs of a
    source file for which ccache ran the preprocessor on this host. A compiler probe (of /dev/null, as
    Kbuild's cc-option) is neither, as in the client log: ccache 4.7 preprocesses /dev/null (an empty
    file, no -MD) and may even cache the probe's result.
    """

    def __init__(self):
        self._partial = ""
        self._record = None
        self.counters = {}
        self.cache_hits = 0
        self.preprocessed_sources = 0

    def feed(self, text, final=False):
        lines = (self._partial + (text or "")).split("\n")
        self._partial = "" if final else lines.pop()
        for line in lines:
            if line.startswith("#"):
                self._record = line[1:].strip()
            elif line.strip():
                name = line.strip()
                self.counters[name] = self.counters.get(name, 0) + 1
                if self._record not in NOT_OBJECTS:
                    self.cache_hits += name in HITS
                    self.preprocessed_sources += name in PREPROCESSED
        return self


def summary(counters, preprocessed_on_master=None):
    """What the counters say of the compiles (the facts' ``ccache``, without the settings).

    - ``hits`` (``direct_hits`` found without running the preprocessor, depend mode's included;
      ``preprocessed_hits`` after running it), ``misses`` (compiled, by distcc, and stored);
    - ``uncacheable`` compiles (ccache passed them on to distcc as they were), ``uncacheable_reasons``
      by counter; ``errors``, ``error_reasons`` likewise;
    - ``preprocessed_on_master``: compiles whose result ccache looked up by running the preprocessor on
      this host, because depend mode could not be used (no ``-MD``/``-MMD`` on the command line); by
      default from the counters, a StatsLog's ``preprocessed_sources`` leaves compiler probes out;
    - ``remote_storage``: hits, misses, errors and timeouts of the remote storage.
    """
    def count(name):
        return counters.get(name, 0)

    def reasons(names):
        return {name: counters[name] for name in sorted(names) if counters.get(name)}

    uncacheable, errors = reasons(UNCACHEABLE), reasons(ERRORS)
    return dict(hits=sum(count(h) for h in HITS), direct_hits=count("direct_cache_hit"),
                preprocessed_hits=count("preprocessed_cache_hit"), misses=count(MISS),
                uncacheable=sum(uncacheable.values()), uncacheable_reasons=uncacheable,
                errors=sum(errors.values()), error_reasons=errors,
                preprocessed_on_master=(sum(count(name) for name in PREPROCESSED) if preprocessed_on_master is None
                                        else preprocessed_on_master),
                remote_storage={key: count(name) for key, name in REMOTE})


def with_cache_hits(counts, hits):
    """A client log's counts with the objects ccache served from its cache: they count as objects, in their own
    jobs_per_host bucket (``cache_hits``), and in no local reason, so that the objects are still the sum of
    jobs_per_host, and remote_objects plus the local reasons plus the cache hits."""
    counts = dict(counts, cache_hits=hits)
    if hits:
        counts["objects"] += hits
        counts["jobs_per_host"] = dict(sorted(dict(counts["jobs_per_host"], **{CACHE_HITS: hits}).items()))
    return counts


def cache_totals(program, env):
    """The whole cache's size (KiB) and files after the build (``ccache --print-stats``); None when unreadable."""
    try:
        out = subprocess.run([program, "--print-stats"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             universal_newlines=True, timeout=60, check=False, env=env).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    counters = parse_print_stats(out)
    if "cache_size_kibibyte" not in counters:
        return None
    return dict(size_kib=counters["cache_size_kibibyte"], files=counters.get("files_in_cache", 0))


def read_stats_log(path):
    """The StatsLog of a finished build (empty when ccache wrote none)."""
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8", "replace")
    except (IOError, OSError):
        text = ""
    return StatsLog().feed(text, final=True)
