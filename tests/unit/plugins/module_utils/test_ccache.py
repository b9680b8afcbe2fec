"""ccache's formats (_ccache) with recorded real output of Debian 12's ccache 4.7.5 and Debian 13's 4.11.2.

The fixtures come from one fresh cache directory each, ccache in depend mode (4.7.5 in front of the distcc
client, 4.11.2 in a Debian 13 container without distcc): main.c and g.c compiled (2 misses) and again
(2 hits); g.c without -MD twice (a miss after running the preprocessor, then a direct hit); a link, a -E,
two sources at once, a compiler probe of /dev/null, and h.c with a redis remote storage that refused the
connection. ``ccache-<version>-stats.log`` is that CCACHE_STATSLOG, ``ccache-<version>-print-stats.txt``
is ``ccache --print-stats`` afterwards.
"""

from __future__ import annotations


import pytest
from conftest import recorded

from ansible_collections.distrant.distcc.plugins.module_utils._ccache import (
    MAX_SIZE,
    CcacheError,
    StatsLog,
    parse_print_stats,
    parse_version,
    redact,
    storage_schemes,
    summary,
    url_problems,
    with_cache_hits,
)

fixture = recorded(__file__)


EXPECTED = {
    "hits": 3, "direct_hits": 3, "preprocessed_hits": 0, "misses": 4,
    "uncacheable": 4, "uncacheable_reasons": {"called_for_link": 1, "called_for_preprocessing": 1,
                                              "compiler_produced_empty_output": 1, "multiple_source_files": 1},
    "errors": 0, "error_reasons": {}, "preprocessed_on_master": 2,
    "remote_storage": {"hits": 0, "misses": 0, "errors": 1, "timeouts": 0},
}


def test_print_stats_of_ccache_4_7():
    counters = parse_print_stats(fixture("ccache-4.7.5-print-stats.txt"))
    assert counters["cache_miss"] == 4 and counters["direct_cache_hit"] == 3 and counters["files_in_cache"] == 8
    assert counters["cache_size_kibibyte"] == 32 and counters["remote_storage_error"] == 1
    assert len(counters) == 47  # every line of ccache 4.7's --print-stats
    assert summary(counters) == EXPECTED


def test_the_stats_log_says_what_ccaches_own_counters_say():
    """The build's own stats log gives the same summary as the cache's counters (a fresh cache, one build)."""
    log = StatsLog().feed(fixture("ccache-4.7.5-stats.log"), final=True)
    assert summary(log.counters) == EXPECTED
    # the probe of /dev/null is no object: neither a hit nor a source preprocessed on the master
    assert log.cache_hits == 3 and log.preprocessed_sources == 1
    assert summary(log.counters, log.preprocessed_sources)["preprocessed_on_master"] == 1


EXPECTED_4_11 = dict(
    EXPECTED,
    uncacheable_reasons={"called_for_link": 1, "called_for_preprocessing": 1, "compiler_produced_no_output": 1,
                         "multiple_source_files": 1},
    # 4.11 counts the lookup that failed as a miss too
    remote_storage={"hits": 0, "misses": 1, "errors": 1, "timeouts": 0},
)


def test_print_stats_and_stats_log_of_ccache_4_11():
    counters = parse_print_stats(fixture("ccache-4.11.2-print-stats.txt"))
    assert len(counters) == 52 and counters["max_cache_size_kibibyte"] == 5242880
    assert summary(counters) == EXPECTED_4_11
    log = StatsLog().feed(fixture("ccache-4.11.2-stats.log"), final=True)
    assert summary(log.counters) == EXPECTED_4_11
    assert log.cache_hits == 3 and log.preprocessed_sources == 1
    version, features = parse_version(fixture("ccache-4.11.2-version.txt"))
    assert version == (4, 11, 2) and "http-storage" in features and "redis-storage" in features


def test_the_stats_log_fed_in_pieces_as_it_grows():
    text = fixture("ccache-4.7.5-stats.log")
    log = StatsLog()
    for start in range(0, len(text), 7):
        log.feed(text[start:start + 7])
    log.feed("", final=True)
    assert log.cache_hits == 3 and summary(log.counters) == EXPECTED


def test_a_hit_of_a_probe_is_no_object():
    log = StatsLog().feed("# /dev/null\ndirect_cache_hit\n# a.c\ndirect_cache_hit\n# b.c\npreprocessed_cache_hit\n",
                          final=True)
    assert log.cache_hits == 2 and log.counters["direct_cache_hit"] == 2 and log.preprocessed_sources == 1


def test_cache_hits_are_objects_in_their_own_bucket():
    counts = {"objects": 2, "jobs_per_host": {"localhost": 1, "10.200.1.3": 1}, "remote_objects": 1,
              "local_reasons": {"localhost_slot": 1}}
    merged = with_cache_hits(counts, 5)
    assert merged["objects"] == 7 and merged["cache_hits"] == 5
    assert merged["jobs_per_host"] == {"10.200.1.3": 1, "cache_hits": 5, "localhost": 1}
    assert sum(merged["jobs_per_host"].values()) == merged["objects"]
    assert merged["remote_objects"] + sum(merged["local_reasons"].values()) + merged["cache_hits"] == merged["objects"]
    assert counts["objects"] == 2  # the client log's counts are left as they were
    assert with_cache_hits(counts, 0) == dict(counts, cache_hits=0)


def test_version_and_storage_features_of_ccache_4_7():
    version, features = parse_version(fixture("ccache-4.7.5-version.txt"))
    assert version == (4, 7, 5)
    assert features == {"file-storage", "http-storage", "redis+unix-storage", "redis-storage"}
    assert parse_version("ccache version 3.7.12\n") == ((3, 7, 12), frozenset())
    with pytest.raises(CcacheError, match="no version"):
        parse_version("bash: ccache: command not found\n")


@pytest.mark.parametrize("urls, schemes, shown", [
    ("redis://:secret@10.200.1.5:6379", ["redis"], "redis://***@10.200.1.5:6379"),
    ("http://user:pw@cache:8080/ccache|operation-timeout=2000 file:///srv/cache",
     ["http", "file"], "http://***@cache:8080/ccache|operation-timeout=2000 file:///srv/cache"),
    ("redis+unix:/run/redis.sock", ["redis+unix"], "redis+unix:/run/redis.sock"),
    ("http://10.200.1.5:8080/ccache|layout=bazel", ["http"], "http://10.200.1.5:8080/ccache|layout=bazel"),
])
def test_remote_storage_schemes_and_credentials_left_out(urls, schemes, shown):
    assert storage_schemes(urls) == schemes and redact(urls) == shown


@pytest.mark.parametrize("urls, problems", [
    ("redis://:secret@10.200.1.5:6379 http://[fd00::5]:8080/c|operation-timeout=500 file:///srv/c redis+unix:/r.sock",
     []),
    ("http://h/c", []),
    # what ccache 4.7.5 refused, failing the compile ("ccache: error: Cannot parse URL ...")
    ("http://", ["http:// has no host"]),
    ("redis://:pw@", ["redis://***@ has no host"]),
    ("redis://:pa/ss@10.200.1.5", ["redis://***@10.200.1.5 has no host"]),  # the password hidden whole
    ("redis://host:abc", ["redis://host:abc has no valid port ('abc')"]),
    ("redis://127.0.0.1:", ["redis://127.0.0.1: has no valid port ('')"]),
    ("http://h:99999/x http://ok/", ["http://h:99999/x has no valid port ('99999')"]),
    ("10.200.1.5:6379", ["10.200.1.5:6379 is no URL (scheme://host:port/...)"]),
])
def test_remote_storage_urls_ccache_would_refuse(urls, problems):
    assert url_problems(urls) == problems


@pytest.mark.parametrize("size, read", [
    # what ccache 4.7.5 read them as (CCACHE_MAXSIZE=... ccache -k max_size)
    ("5K", True), ("5k", True), ("500M", True), ("5", True), ("1.5G", True), ("0", True), ("5Gi", True),
    ("5GB", False), ("lots", False), ("-1G", False), ("", False),
])
def test_max_sizes_ccache_reads(size, read):
    assert bool(MAX_SIZE.match(size)) is read
