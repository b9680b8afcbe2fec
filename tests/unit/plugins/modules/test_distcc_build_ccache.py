"""distcc_build with ccache in front of the distcc client, for real: gcc through ccache (Debian's package)
through the distcc client to a distccd this test starts on 127.0.0.1 (a free port, ``--allow 127.0.0.1``),
on a small C tree whose compiles write their dependency files (-MD), as Kbuild's do.

The plan's part (the compiler words and the environment, with ccache and without) is checked without a host.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time

import pytest
from ansible.module_utils import _internal
from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.testing import patch_module_args

from ansible_collections.distrant.distcc.plugins.module_utils._build_types import PlanError
from ansible_collections.distrant.distcc.plugins.module_utils._compile_count import count_program_path
from ansible_collections.distrant.distcc.plugins.module_utils._cpu_account import account_program_path
from ansible_collections.distrant.distcc.plugins.module_utils._tree import TreeState
from ansible_collections.distrant.distcc.plugins.modules import distcc_build as module
from conftest import build_params as params

REAL = all(shutil.which(p) for p in ("make", "gcc", "timeout", "ccache", "distcc", "distccd"))
real = pytest.mark.skipif(not REAL, reason="needs make, gcc, coreutils' timeout, ccache, distcc and distccd")

MAKEFILE = """\
CFLAGS ?= -O2
OBJS = main.o greet.o util.o
hello: $(OBJS)
\t$(CC) -o $@ $(OBJS)
%.o: %.c
\t$(CC) $(CFLAGS) -MD -c -o $@ $<
nodeps:
\t$(CC) $(CFLAGS) -c -o plain.o util.c
clean:
\trm -f hello *.o *.d
"""
GREET_H = '#define GREETING "hello from a cached build"\nconst char *greet(void);\nint twice(int n);\n'
MAIN_C = '#include <stdio.h>\n#include "greet.h"\nint main(void) { puts(greet()); return twice(0); }\n'
GREET_C = '#include "greet.h"\nconst char *greet(void) { return GREETING; }\n'
UTIL_C = 'int twice(int n) { return 2 * n; }\n'
OBJECTS = ("main.o", "greet.o", "util.o")


def no_ccache(path):
    return None


def ccache_4_7(program):
    return (4, 7, 5), frozenset(["file-storage", "http-storage", "redis+unix-storage", "redis-storage"])


def planned(chdir, check_mode=False, **overrides):
    return module.plan(params(chdir, **overrides), host_cpus=lambda: 3, ccache_program=lambda path: "/usr/bin/ccache",
                       ccache_version=ccache_4_7, check_mode=check_mode)


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "hello"
    root.mkdir()
    for name, text in (("Makefile", MAKEFILE), ("greet.h", GREET_H), ("main.c", MAIN_C), ("greet.c", GREET_C),
                       ("util.c", UTIL_C)):
        (root / name).write_text(text)
    return root


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def distccd(tmp_path_factory):
    """A distccd on 127.0.0.1 for this module's tests; its DISTCC_HOSTS entry."""
    if not REAL:
        pytest.skip("needs distccd")
    port = free_port()
    log = tmp_path_factory.mktemp("distccd") / "distccd.log"
    with open(log, "w") as handle:
        proc = subprocess.Popen(["distccd", "--daemon", "--no-detach", "--listen", "127.0.0.1", "--port", str(port),
                                 "--allow", "127.0.0.1", "--jobs", "2", "--log-stderr", "--log-level", "info"],
                                stdin=subprocess.DEVNULL, stdout=handle, stderr=handle, start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("distccd did not start: %s" % log.read_text()[-2000:])
                time.sleep(0.1)
        yield "127.0.0.1:%d/2" % port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


@pytest.fixture
def managed_host(monkeypatch):
    """The module runs as on a managed host (its warnings go into its result)."""
    monkeypatch.setattr(_internal, "is_controller", False)
    monkeypatch.setattr(ansible_warnings, "_global_warnings", {})


def build(capsys, check_mode=False, **args):
    """Run the module with these arguments; its result (what Ansible would read), its exit code and its output.
    Each run's warnings are its own (ansible-core keeps them for the process)."""
    ansible_warnings._global_warnings.clear()
    if check_mode:
        args["_ansible_check_mode"] = True
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exit_info:
            module.main()
    out = capsys.readouterr().out
    return json.loads(out), exit_info.value.code, out


def warnings(result):
    return [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]


def objects(tree):
    return {name: (tree / name).read_bytes() for name in OBJECTS}


def assert_accounted(facts):
    """Every object ran somewhere, or came from the cache: the sums the docs promise."""
    assert sum(facts["jobs_per_host"].values()) == facts["objects"]
    assert facts["remote_objects"] + sum(facts["local_reasons"].values()) + facts["cache_hits"] == facts["objects"]
    assert facts["jobs_per_host"].get("cache_hits", 0) == facts["cache_hits"] == facts["ccache"]["hits"]


# the plan, without a host


def test_without_ccache_the_commands_and_environment_are_todays(tmp_path):
    """ccache off (the default): byte for byte what distcc_build planned before the option existed."""
    for name in ("make", "cmake", "kernel/scripts"):
        (tmp_path / name).mkdir(parents=True)
    (tmp_path / "make" / "Makefile").write_text("all:\n")
    (tmp_path / "cmake" / "CMakeLists.txt").write_text("")
    for name in ("Makefile", "Kbuild", "scripts/Kbuild.include"):
        (tmp_path / "kernel" / name).write_text("all:\n")
    t = str(tmp_path)
    count = count_program_path(t + "/make/.distrant")
    account = account_program_path(t + "/cmake/.distrant")
    cases = [
        (dict(chdir=t + "/make", hosts="10.0.0.1/4"),
         {"cmd": ["make", "-j4", "CC=distcc gcc", "CXX=distcc g++"], "prepare": None, "configure": None,
          "env": {"DISTCC_IO_TIMEOUT": "60", "DISTCC_BACKOFF_PERIOD": "10",
                  "DISTCC_LOG": t + "/make/.distrant/client.log",
                  "DISTCC_HOSTS": "10.0.0.1/4", "LC_ALL": "C"}}),
        (dict(chdir=t + "/make", distcc=False),
         {"cmd": ["make", "-j3", "CC=%s gcc" % count, "CXX=%s g++" % count], "prepare": None, "configure": None,
          "env": {"DISTCC_IO_TIMEOUT": "60", "DISTCC_BACKOFF_PERIOD": "10",
                  "DISTCC_LOG": t + "/make/.distrant/client.log",
                  "DISTCC_HOSTS": "", "LC_ALL": "C", "DISTRANT_COMPILE_LOG": t + "/make/.distrant/compile.log"}}),
        (dict(chdir=t + "/cmake", hosts="10.0.0.1/4", cpu_breakdown=True),
         {"cmd": ["ninja", "-j4"], "prepare": None,
          "configure": ["cmake", "-S", t + "/cmake", "-B", t + "/cmake/_build", "-G", "Ninja", "-DCMAKE_C_COMPILER=gcc",
                        "-DCMAKE_CXX_COMPILER=g++", "-DCMAKE_C_COMPILER_LAUNCHER=%s;distcc" % account,
                        "-DCMAKE_CXX_COMPILER_LAUNCHER=%s;distcc" % account],
          "env": {"DISTCC_IO_TIMEOUT": "60", "DISTCC_BACKOFF_PERIOD": "10",
                  "DISTCC_LOG": t + "/cmake/.distrant/client.log", "DISTCC_HOSTS": "10.0.0.1/4", "LC_ALL": "C",
                  "DISTRANT_CPU_LOG": t + "/cmake/.distrant/cpu.log"}}),
        (dict(chdir=t + "/kernel", hosts="10.0.0.1/4", env={"FOO": "1"}, make_args=["V=1"]),
         {"cmd": ["make", "-j4", "CC=distcc gcc", "V=1"], "prepare": ["make", "-j4", "CC=distcc gcc", "V=1", "prepare"],
          "configure": None,
          "env": {"FOO": "1", "DISTCC_IO_TIMEOUT": "60", "DISTCC_BACKOFF_PERIOD": "10",
                  "DISTCC_LOG": t + "/kernel/.distrant/client.log", "DISTCC_HOSTS": "10.0.0.1/4", "LC_ALL": "C"}}),
    ]
    for overrides, expected in cases:
        # ccache is never looked for when the option is off
        p = module.plan(params(**overrides), host_cpus=lambda: 3, ccache_program=None, ccache_version=None)
        got = dict(cmd=p.cmd, prepare=p.prepare_cmd, configure=p.configure_cmd, env=p.env)
        assert json.dumps(got) == json.dumps(expected)
        assert p.ccache is None


def test_ccache_goes_in_front_of_the_compiler_and_distcc_becomes_its_prefix(tmp_path):
    (tmp_path / "Makefile").write_text("all:\n")
    p = planned(tmp_path, hosts="10.0.0.1/4", ccache=True, ccache_dir="/var/cache/distrant-ccache",
                ccache_max_size="20G", ccache_remote_storage="redis://:secret@10.200.1.5:6379")
    # the compilers by their absolute path (see the next test)
    assert p.cmd == ["make", "-j4", "CC=/usr/bin/ccache %s" % shutil.which("gcc"),
                     "CXX=/usr/bin/ccache %s" % shutil.which("g++")]
    assert {k: v for k, v in p.env.items() if k.startswith("CCACHE_")} == {
        "CCACHE_PREFIX": "distcc", "CCACHE_DEPEND": "1", "CCACHE_INODECACHE": "1",
        "CCACHE_STATSLOG": str(tmp_path / ".distrant/ccache-stats.log"),
        "CCACHE_DIR": "/var/cache/distrant-ccache", "CCACHE_MAXSIZE": "20G",
        "CCACHE_REMOTE_STORAGE": "redis://:secret@10.200.1.5:6379"}
    assert module.would(p).endswith(
        ", through /usr/bin/ccache in depend mode (CCACHE_PREFIX=distcc, CCACHE_DIR=/var/cache/distrant-ccache, "
        "remote storage redis://***@10.200.1.5:6379)")
    # cpu_breakdown's accounting program stays first; a local build's counting program is ccache's prefix
    p = planned(tmp_path, hosts="10.0.0.1/4", ccache=True, cpu_breakdown=True, client="/opt/distcc/bin/distcc",
                check_mode=True)
    assert p.cmd[2] == "CC=%s /usr/bin/ccache %s" % (p.account, shutil.which("gcc"))
    assert p.env["CCACHE_PREFIX"] == "/opt/distcc/bin/distcc"
    p = planned(tmp_path, distcc=False, ccache=True)
    assert p.cmd[2] == "CC=/usr/bin/ccache %s" % shutil.which("gcc") and p.env["CCACHE_PREFIX"] == p.counter
    # CMake: ccache is the compilers' launcher
    (tmp_path / "CMakeLists.txt").write_text("")
    p = planned(tmp_path, hosts="10.0.0.1/4", ccache=True, build_system="cmake")
    assert "-DCMAKE_C_COMPILER_LAUNCHER=/usr/bin/ccache" in p.configure_cmd and p.env["CCACHE_PREFIX"] == "distcc"


def test_ccache_keeps_headers_hashes_between_compiles_unless_env_says_otherwise(tmp_path, monkeypatch):
    (tmp_path / "Makefile").write_text("all:\n")
    assert planned(tmp_path, hosts="10.0.0.1/4", ccache=True).env["CCACHE_INODECACHE"] == "1"
    p = planned(tmp_path, hosts="10.0.0.1/4", ccache=True, env={"CCACHE_INODECACHE": "0"})
    assert p.env["CCACHE_INODECACHE"] == "0"
    assert "CCACHE_INODECACHE" not in planned(tmp_path, hosts="10.0.0.1/4").env
    # ccache's own way to turn it off, in env or in the environment the module runs in
    assert "CCACHE_INODECACHE" not in planned(tmp_path, hosts="10.0.0.1/4", ccache=True,
                                              env={"CCACHE_NOINODECACHE": "1"}).env
    monkeypatch.setenv("CCACHE_INODECACHE", "false")
    assert "CCACHE_INODECACHE" not in planned(tmp_path, hosts="10.0.0.1/4", ccache=True).env


def test_ccache_gets_the_compiler_by_its_path_on_the_builds_path_not_what_make_finds_first(tmp_path):
    # kbuild_lean puts a wrapper named gcc first on make's PATH and rewrites it at every build: ccache would hash
    # its mtime (a miss at every build) and hand distcc its path, which distccd refuses; the build's own PATH has
    # the real compiler, whose path distccd takes (/usr/bin/gcc) and whose mtime and size ccache hashes
    (tmp_path / "Makefile").write_text("all:\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("gcc-13", "g++-13"):
        (bin_dir / name).write_text("#!/bin/sh\n")
        (bin_dir / name).chmod(0o755)
    p = planned(tmp_path, hosts="10.0.0.1/4", ccache=True, compiler="gcc-13", cxx_compiler="g++-13",
                env={"PATH": str(bin_dir)})
    assert p.cmd[2:] == ["CC=/usr/bin/ccache %s/gcc-13" % bin_dir, "CXX=/usr/bin/ccache %s/g++-13" % bin_dir]
    # a path is kept; a compiler not found (check mode: the play installs it first) is left to make
    p = planned(tmp_path, hosts="10.0.0.1/4", ccache=True, compiler="/opt/gcc/bin/gcc", cxx_compiler="g++-99",
                env={"PATH": str(bin_dir)}, check_mode=True)
    assert p.cmd[2:] == ["CC=/usr/bin/ccache /opt/gcc/bin/gcc", "CXX=/usr/bin/ccache g++-99"]
    # without ccache the words are the names, as before
    p = planned(tmp_path, hosts="10.0.0.1/4", compiler="gcc-13", env={"PATH": str(bin_dir)})
    assert p.cmd[2] == "CC=distcc gcc-13"


@pytest.mark.parametrize("overrides, message", [
    (dict(ccache_dir="/var/cache/c"), r"^ccache_dir is for ccache: true; set ccache: true, or drop it$"),
    (dict(ccache_max_size="5G", ccache_remote_storage="http://h/c"),
     r"^ccache_max_size, ccache_remote_storage are for ccache: true"),
    (dict(ccache=True, ccache_max_size="lots"), r"ccache_max_size must be a size ccache reads.*got 'lots'"),
    (dict(ccache=True, env={"CCACHE_PREFIX": "icecc"}), r"env may not set CCACHE_PREFIX with ccache: true"),
    (dict(ccache=True, ccache_dir="/c", env={"CCACHE_DIR": "/d"}), r"ccache_dir \(CCACHE_DIR\) given both"),
    (dict(ccache=True, ccache_remote_storage="redis://:pw@cache:"),
     r"^ccache_remote_storage: redis://\*\*\*@cache: has no valid port \(''\); ccache would fail every compile"),
    (dict(ccache=True, ccache_remote_storage="s3://u:pw@bucket/c"),
     r"^ccache_remote_storage s3://\*\*\*@bucket/c: the installed ccache \(/usr/bin/ccache\) has no s3 storage"),
])
def test_bad_ccache_options_fail_before_anything_changes(tmp_path, overrides, message):
    (tmp_path / "Makefile").write_text("all:\n")
    with pytest.raises(PlanError, match=message):
        planned(tmp_path, hosts="10.0.0.1/4", **overrides)
    assert not (tmp_path / TreeState.DIR).exists()


def test_ccache_missing_fails_and_says_to_install_it_but_not_in_check_mode(tmp_path):
    (tmp_path / "Makefile").write_text("all:\n")
    with pytest.raises(PlanError, match=r"no ccache program on this host's PATH; install the ccache package"):
        module.plan(params(tmp_path, hosts="10.0.0.1/4", ccache=True), ccache_program=no_ccache)
    p = module.plan(params(tmp_path, hosts="10.0.0.1/4", ccache=True), ccache_program=no_ccache, check_mode=True)
    assert p.cmd[2] == "CC=ccache %s" % shutil.which("gcc")
    with pytest.raises(PlanError, match=r"needs ccache 4.0 or newer .* is 3.7.12"):
        module.plan(params(tmp_path, hosts="10.0.0.1/4", ccache=True), ccache_program=lambda path: "/usr/bin/ccache",
                    ccache_version=lambda program: ((3, 7, 12), frozenset()))


# real builds: gcc through ccache through distcc to the distccd above


@real
def test_a_warm_rebuild_is_served_from_the_cache_with_the_same_objects(tree, distccd, tmp_path, capsys, managed_host):
    host = distccd.split("/")[0]
    # the objects of a distributed build without ccache
    result, code, dummy = build(capsys, chdir=str(tree), hosts=distccd)
    assert code == 0 and result["ansible_facts"]["distcc_build"]["ccache"] is None
    without = objects(tree)
    args = dict(chdir=str(tree), hosts=distccd, ccache=True, ccache_dir=str(tmp_path / "cache"), clean="clean")
    result, code, dummy = build(capsys, **args)
    assert code == 0, result.get("msg")
    cold = result["ansible_facts"]["distcc_build"]
    assert result["cmd"] == ["make", "-j2", "CC=%s %s" % (shutil.which("ccache"), shutil.which("gcc")),
                             "CXX=%s %s" % (shutil.which("ccache"), shutil.which("g++"))]
    stats = cold["ccache"]
    assert (stats["misses"], stats["hits"], stats["uncacheable_reasons"]) == (3, 0, {"called_for_link": 1})
    assert stats["preprocessed_on_master"] == 0 and stats["errors"] == 0 and stats["remote_storage"] is None
    assert stats["dir"] == str(tmp_path / "cache") and stats["cache_files"] > 0 and stats["max_size"] is None
    assert (cold["objects"], cold["jobs_per_host"], cold["cache_hits"], cold["remote_share"]) == (3, {host: 3}, 0, 1.0)
    assert_accounted(cold)
    first = objects(tree)
    assert first == without

    result, code, dummy = build(capsys, **args)
    assert code == 0 and warnings(result) == []
    warm = result["ansible_facts"]["distcc_build"]
    stats = warm["ccache"]
    assert (stats["hits"], stats["direct_hits"], stats["misses"]) == (3, 3, 0)
    # the hits ran nowhere: no compile in the client log, none on a host, no local reason
    assert (warm["objects"], warm["cache_hits"], warm["jobs_per_host"]) == (3, 3, {"cache_hits": 3})
    assert (warm["remote_objects"], warm["local_reasons"], warm["remote_share"]) == (0, {}, None)
    assert_accounted(warm)
    assert not re.search(r"compile \S+\.c on ", (tree / TreeState.DIR / "client.log").read_text())
    progress = json.loads((tree / TreeState.DIR / "progress.json").read_text())
    assert progress["objects"] == 3 and progress["jobs_per_host"] == {"cache_hits": 3}
    assert objects(tree) == first
    hello = subprocess.run([str(tree / "hello")], stdout=subprocess.PIPE, check=True)
    assert hello.stdout == b"hello from a cached build\n"


@real
def test_a_changed_header_define_or_compiler_misses(tree, distccd, tmp_path, capsys, managed_host):
    host = distccd.split("/")[0]
    args = dict(chdir=str(tree), hosts=distccd, ccache=True, ccache_dir=str(tmp_path / "cache"), clean="clean")
    assert build(capsys, **args)[1] == 0

    def rebuild(**more):
        result, code, dummy = build(capsys, **dict(args, **more))
        assert code == 0, result.get("msg")
        facts = result["ansible_facts"]["distcc_build"]
        assert_accounted(facts)
        return facts

    # a header main.c and greet.c include: those two miss, util.c hits
    (tree / "greet.h").write_text(GREET_H.replace("cached build", "changed header"))
    facts = rebuild()
    assert (facts["ccache"]["misses"], facts["ccache"]["hits"]) == (2, 1)
    assert facts["jobs_per_host"] == {host: 2, "cache_hits": 1}
    hello = subprocess.run([str(tree / "hello")], stdout=subprocess.PIPE, check=True)
    assert hello.stdout == b"hello from a changed header\n"
    # a define in CFLAGS: everything misses
    facts = rebuild(make_args=["CFLAGS=-O2 -DEXTRA=1"])
    assert (facts["ccache"]["misses"], facts["ccache"]["hits"], facts["jobs_per_host"]) == (3, 0, {host: 3})
    # another compiler (gcc-12 is the binary gcc points at, under another name): everything misses
    if shutil.which("gcc-12"):
        facts = rebuild(compiler="gcc-12")
        assert (facts["ccache"]["misses"], facts["ccache"]["hits"]) == (3, 0)
        assert rebuild(compiler="gcc-12")["ccache"]["hits"] == 3
    # and the first flags again: hits
    assert rebuild()["ccache"]["hits"] == 3


@real
def test_a_compile_without_a_dependency_file_is_preprocessed_on_the_master(tree, distccd, tmp_path, capsys,
                                                                           managed_host):
    result, code, dummy = build(capsys, chdir=str(tree), hosts=distccd, ccache=True, target="nodeps",
                                env={"CCACHE_DIR": str(tmp_path / "cache")})
    assert code == 0
    facts = result["ansible_facts"]["distcc_build"]
    assert facts["ccache"]["preprocessed_on_master"] == 1 and facts["ccache"]["misses"] == 1
    # the cache directory from ccache's own configuration (here CCACHE_DIR in env)
    assert facts["ccache"]["dir"] == str(tmp_path / "cache")
    assert [w for w in warnings(result) if w.startswith("ccache preprocessed 1 compiles on the master: their command "
                                                        "lines have no -MD or -MMD")]


@real
def test_a_remote_storage_that_fails_does_not_fail_the_build(tree, distccd, tmp_path, capsys, managed_host):
    # a port nothing listens on, then a server that accepts connections and never answers
    refused = "redis://:secret@127.0.0.1:%d" % free_port()
    result, code, out = build(capsys, chdir=str(tree), hosts=distccd, ccache=True, ccache_dir=str(tmp_path / "cache"),
                              ccache_remote_storage=refused)
    assert code == 0 and "secret" not in out
    stats = result["ansible_facts"]["distcc_build"]["ccache"]
    assert stats["misses"] == 3 and stats["remote_storage"] == {
        "url": "redis://***@127.0.0.1:%s" % refused.rsplit(":", 1)[1], "hits": 0, "misses": 0, "errors": 3,
        "timeouts": 0}
    assert [w for w in warnings(result) if w.startswith("ccache's remote storage redis://***@127.0.0.1:")
            and "failed 3 times (errors 3, timeouts 0)" in w]
    # a local hit does not ask the remote storage
    result, code, dummy = build(capsys, chdir=str(tree), hosts=distccd, ccache=True, clean="clean",
                                ccache_dir=str(tmp_path / "cache"), ccache_remote_storage=refused)
    stats = result["ansible_facts"]["distcc_build"]["ccache"]
    assert code == 0 and stats["hits"] == 3 and stats["remote_storage"]["errors"] == 0 and warnings(result) == []
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = "http://127.0.0.1:%d/ccache|operation-timeout=300" % silent.getsockname()[1]
        result, code, dummy = build(capsys, chdir=str(tree), hosts=distccd, ccache=True, clean="clean",
                                    ccache_dir=str(tmp_path / "other-cache"), ccache_remote_storage=url)
    assert code == 0
    facts = result["ansible_facts"]["distcc_build"]
    # each miss waited for the server once (its operation-timeout); ccache 4.7 counts that as an error
    assert facts["ccache"]["misses"] == 3 and facts["ccache"]["remote_storage"]["errors"] == 3
    assert facts["ccache"]["remote_storage"]["timeouts"] == 0 and facts["wall_seconds"] >= 0.3


@real
def test_a_local_build_through_ccache_counts_its_hits(tree, tmp_path, capsys, managed_host):
    args = dict(chdir=str(tree), distcc=False, ccache=True, ccache_dir=str(tmp_path / "cache"), clean="clean")
    facts = build(capsys, **args)[0]["ansible_facts"]["distcc_build"]
    assert (facts["objects"], facts["local_reasons"], facts["cache_hits"]) == (3, {"local_build": 3}, 0)
    facts = build(capsys, **args)[0]["ansible_facts"]["distcc_build"]
    assert (facts["objects"], facts["local_reasons"], facts["jobs_per_host"]) == (3, {}, {"cache_hits": 3})
    assert_accounted(facts)


@real
def test_check_mode_and_a_missing_ccache(tree, capsys, managed_host):
    result, code, dummy = build(capsys, check_mode=True, chdir=str(tree), hosts="10.0.0.1/4", ccache=True)
    assert code == 0 and result["cmd"][2] == "CC=%s %s" % (shutil.which("ccache"), shutil.which("gcc"))
    assert "through %s in depend mode (CCACHE_PREFIX=distcc)" % shutil.which("ccache") in result["msg"]
    # no ccache on make's PATH: a failure that says what to install, before the tree is touched
    result, code, dummy = build(capsys, chdir=str(tree), hosts="10.0.0.1/4", ccache=True,
                                env={"PATH": os.path.dirname(shutil.which("make"))
                                     if not os.path.exists(os.path.join(os.path.dirname(shutil.which("make")),
                                                                        "ccache")) else "/nonexistent"})
    assert code == 1 and "install the ccache package (apt-get install ccache)" in result["msg"]
    assert not (tree / TreeState.DIR).exists() and not glob.glob(str(tree / "*.o"))


@real
@pytest.mark.skipif(not (shutil.which("cmake") and shutil.which("ninja")), reason="needs cmake and ninja")
def test_a_cmake_tree_gets_ccache_as_its_launcher(tree, distccd, tmp_path, capsys, managed_host):
    (tree / "CMakeLists.txt").write_text("cmake_minimum_required(VERSION 3.13)\nproject(hello C)\n"
                                         "add_executable(hello main.c greet.c util.c)\n")
    (tree / "Makefile").unlink()
    args = dict(chdir=str(tree), hosts=distccd, ccache=True, ccache_dir=str(tmp_path / "cache"), clean="clean")
    result, code, dummy = build(capsys, **args)
    assert code == 0, result.get("msg")
    assert "-DCMAKE_C_COMPILER_LAUNCHER=%s" % shutil.which("ccache") in result["configure_cmd"]
    facts = result["ansible_facts"]["distcc_build"]
    # Ninja's compile lines write dependency files (-MD -MT -MF): depend mode, nothing preprocessed here
    assert (facts["ccache"]["misses"], facts["ccache"]["preprocessed_on_master"], facts["remote_objects"]) == (3, 0, 3)
    facts = build(capsys, **args)[0]["ansible_facts"]["distcc_build"]
    assert (facts["ccache"]["hits"], facts["jobs_per_host"]) == (3, {"cache_hits": 3})
    assert_accounted(facts)


# the include server: the module's default place (the distcc_master role's), or DISTRANT_PUMP_PATH
PUMP_PATH = os.environ.get("DISTRANT_PUMP_PATH") or module.ARGUMENT_SPEC["pump_path"]["default"]


@real
@pytest.mark.skipif(not os.path.isfile(os.path.join(PUMP_PATH, "include_server", "include_server.py")),
                    reason="needs the include server the distcc_master role builds (distcc_master_pump)")
def test_in_pump_mode_a_miss_is_still_preprocessed_on_the_worker(tree, distccd, tmp_path, capsys, managed_host):
    hosts = distccd + ",cpp,lzo"
    args = dict(chdir=str(tree), hosts=hosts, pump=True, pump_path=PUMP_PATH, ccache=True,
                ccache_dir=str(tmp_path / "cache"), clean="clean")
    facts = build(capsys, **args)[0]["ansible_facts"]["distcc_build"]
    assert (facts["pump"], facts["remote_preprocessed"], facts["pump_fallbacks"]) == (True, 3, 0)
    assert (facts["ccache"]["misses"], facts["ccache"]["preprocessed_on_master"]) == (3, 0)
    assert " on localhost completed ok" not in (tree / TreeState.DIR / "client.log").read_text().replace(
        "compile (null) on localhost completed ok", "")
    # the dependency files the workers wrote are what ccache's depend mode reads: a changed header misses
    (tree / "greet.h").write_text(GREET_H.replace("cached build", "pumped header"))
    facts = build(capsys, **args)[0]["ansible_facts"]["distcc_build"]
    assert (facts["ccache"]["misses"], facts["ccache"]["hits"], facts["remote_preprocessed"]) == (2, 1, 2)
    assert_accounted(facts)
