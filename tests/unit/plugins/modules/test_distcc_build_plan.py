"""distcc_build's plan: what the module decides before anything runs, called without a host."""

from __future__ import annotations

import os
import subprocess

import pytest

from ansible_collections.distrant.distcc.plugins.module_utils._build_run import clean
from ansible_collections.distrant.distcc.plugins.module_utils._host_list import MAX_JOBS
from ansible_collections.distrant.distcc.plugins.module_utils._kbuild import KBUILD_CMD_LEAN, host_compiler_wrapper
from ansible_collections.distrant.distcc.plugins.module_utils._tree import TreeState
from ansible_collections.distrant.distcc.plugins.module_utils._pump import PumpError
from ansible_collections.distrant.distcc.plugins.modules import distcc_build as module
from conftest import build_params as params


def pump_ok(path):
    return None


def pump_broken(path):
    raise PumpError("the include server in %s does not import (PY_SSIZE_T_CLEAN)" % path)


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "Makefile").write_text("all:\n")
    return tmp_path


@pytest.fixture
def kernel(tree):
    (tree / "Kbuild").write_text("")
    (tree / "scripts").mkdir()
    (tree / "scripts" / "Kbuild.include").write_text("")
    return tree


def test_pump_build_on_two_workers(kernel):
    p = module.plan(params(kernel, hosts="10.200.1.3/4,cpp,lzo 10.200.1.4/4,cpp,lzo"), pump_installed=pump_ok)
    assert p.pump is True and p.kernel is True
    assert p.cmd == ["make", "-j8", "CC=distcc gcc"]
    assert p.prepare == ["prepare"] and p.prepare_cmd == ["make", "-j8", "CC=distcc gcc", "prepare"]
    assert p.env["DISTCC_HOSTS"] == "10.200.1.3/4,cpp,lzo 10.200.1.4/4,cpp,lzo"
    # the prepare targets are made in plain distcc mode (no include server yet)
    assert p.prepare_hosts == "10.200.1.3/4,lzo 10.200.1.4/4,lzo"
    assert p.env["DISTCC_LOG"] == os.path.join(str(kernel), ".distrant", "client.log")
    assert p.env["DISTCC_IO_TIMEOUT"] == "60" and p.env["DISTCC_BACKOFF_PERIOD"] == "10"
    assert p.backoff_period == 10 and p.state.dir == str(kernel / TreeState.DIR)


def test_plain_mode_drops_cpp_and_a_project_gets_no_prepare(tree):
    p = module.plan(params(tree, hosts="10.200.1.3/4,cpp,lzo", pump="false", target="all check"),
                    pump_installed=pump_broken)
    assert p.pump is False and p.kernel is False and p.prepare_cmd is None
    assert p.env["DISTCC_HOSTS"] == "10.200.1.3/4,lzo"
    assert p.cmd == ["make", "-j4", "CC=distcc gcc", "CXX=distcc g++", "all", "check"]
    assert p.build_system == "make" and p.build_dir == str(tree) and p.configure_cmd is None


def test_local_build_sizes_jobs_from_the_hosts_cpus(tree):
    p = module.plan(params(tree, distcc=False), host_cpus=lambda: 3)
    # the program that counts a local build's objects is in front of the compiler, its log in the environment
    assert p.counter == TreeState(str(tree)).dir + "/" + os.path.basename(p.counter)
    assert p.cmd == ["make", "-j3", "CC=%s gcc" % p.counter, "CXX=%s g++" % p.counter]
    assert p.env["DISTCC_HOSTS"] == "" and p.entries == []
    assert p.env["DISTRANT_COMPILE_LOG"] == TreeState(str(tree)).path("compile_log")
    assert module.plan(params(tree, hosts="10.0.0.1/4")).counter is None


def test_env_overrides_and_a_backoff_period_from_env(tree):
    p = module.plan(params(tree, hosts="10.200.1.3/2", env={"DISTCC_BACKOFF_PERIOD": "0", "CCACHE_DISABLE": 1}))
    assert p.backoff_period == 0 and p.env["CCACHE_DISABLE"] == "1"


@pytest.mark.parametrize("overrides, message", [
    ({"hosts": "10.200.1.3/4,cpp"}, "has ,cpp without ,lzo"),
    ({"hosts": "10.200.1.3/4,lzo", "pump": "true"}, "no host has the ,cpp option"),
    ({"hosts": "10.200.1.3/4,cpp,lzo", "pump": "maybe"}, "pump must be auto, true or false"),
    ({"distcc": False, "pump": "true"}, "pump: true needs distcc"),
    ({"hosts": "10.200.1.3/4", "jobs": "0"}, "jobs must be an integer from 1 to %d" % MAX_JOBS),
    ({"hosts": "10.200.1.3/4", "jobs": "many"}, "jobs must be an integer"),
    ({"hosts": "10.200.1.3/4000 10.200.1.4/4000"}, "jobs: auto gives 8000"),
    ({"hosts": "10.200.1.3/4", "timeout": 0}, "timeout must be at least 1 second"),
    ({"hosts": "10.200.1.3/4", "min_remote_share": 1.5}, "min_remote_share must be between 0 and 1"),
    ({"distcc": False, "min_remote_share": 0.5}, "min_remote_share 0.5 needs distcc"),
    ({"hosts": "10.200.1.3/4", "env": {"A": ["x"]}}, "env values must be strings or numbers"),
    ({"hosts": ""}, "no distcc hosts: hosts is empty"),
    ({"hosts_file": "/nonexistent/hosts"}, "hosts_file /nonexistent/hosts does not exist"),
    ({"hosts": "@build-host,lzo/4"}, "the /LIMIT comes before the options"),
])
def test_bad_parameters_are_refused_before_anything_runs(tree, overrides, message):
    with pytest.raises(module.PlanError, match=message.replace("(", "[(]").replace(")", "[)]")):
        module.plan(params(tree, **overrides), pump_installed=pump_ok)
    assert not (tree / TreeState.DIR).exists()


def test_a_broken_include_server_is_refused_in_pump_mode(tree):
    with pytest.raises(module.PlanError, match="does not import .*Nothing was changed"):
        module.plan(params(tree, hosts="10.200.1.3/4,cpp,lzo"), pump_installed=pump_broken)


def test_not_a_tree(tmp_path):
    with pytest.raises(module.PlanError, match="cannot tell how to build .*set build_system"):
        module.plan(params(tmp_path, hosts="10.200.1.3/4"))
    with pytest.raises(module.PlanError, match="is not a directory"):
        module.plan(params(tmp_path / "missing", hosts="10.200.1.3/4"))


@pytest.fixture
def cmake_tree(tmp_path):
    (tmp_path / "CMakeLists.txt").write_text("project(x CXX)\n")
    return tmp_path


@pytest.fixture
def autotools_tree(tmp_path):
    script = tmp_path / "configure"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    (tmp_path / "CMakeLists.txt").write_text("project(x C)\n")  # configure comes first
    return tmp_path


def test_cmake_builds_apart_with_ninja_and_distcc_as_the_launcher(cmake_tree):
    p = module.plan(params(cmake_tree, hosts="10.200.1.3/4,lzo 10.200.1.4/4,lzo", configure_args=["-DX=1"]))
    build = str(cmake_tree / "_build")
    assert p.build_system == "cmake" and p.build_dir == build and p.configure_needed
    assert p.cmd == ["ninja", "-j8"]
    assert p.configure_cmd == ["cmake", "-S", str(cmake_tree), "-B", build, "-G", "Ninja",
                               "-DCMAKE_C_COMPILER=gcc", "-DCMAKE_CXX_COMPILER=g++",
                               "-DCMAKE_C_COMPILER_LAUNCHER=distcc", "-DCMAKE_CXX_COMPILER_LAUNCHER=distcc", "-DX=1"]
    # the progress and the logs stay in the source tree, where the action plugin looks for them
    assert p.state.dir == str(cmake_tree / TreeState.DIR)


def test_cmake_local_baseline_has_the_counting_launcher_and_make_generator(cmake_tree):
    p = module.plan(params(cmake_tree, distcc=False, cmake_generator="make", build_dir="out"), host_cpus=lambda: 2)
    assert p.cmd == ["make", "-j2"] and p.build_dir == str(cmake_tree / "out")
    assert "-DCMAKE_CXX_COMPILER_LAUNCHER=%s" % p.counter in p.configure_cmd and "Unix Makefiles" in p.configure_cmd


def test_autotools_configures_once_then_makes_with_distcc(autotools_tree):
    p = module.plan(params(autotools_tree, hosts="10.200.1.3/4"))
    assert p.build_system == "autotools" and p.configure_cmd == ["./configure"] and p.configure_needed
    assert p.cmd == ["make", "-j4", "CC=distcc gcc", "CXX=distcc g++"]
    (autotools_tree / "config.status").write_text("")
    (autotools_tree / "Makefile").write_text("all:\n")
    assert not module.plan(params(autotools_tree, hosts="10.200.1.3/4")).configure_needed
    assert module.plan(params(autotools_tree, hosts="10.200.1.3/4", clean="distclean")).configure_needed
    out_of_tree = module.plan(params(autotools_tree, hosts="10.200.1.3/4", build_dir="/srv/b", configure_args=["-q"]))
    assert out_of_tree.configure_cmd == [str(autotools_tree / "configure"), "-q"]


@pytest.mark.parametrize("fixture, overrides, message", [
    ("cmake_tree", {"clean": "distclean"}, "distclean is for make and autotools trees"),
    ("cmake_tree", {"build_system": "autotools"}, "build_system autotools needs .*configure; run autoreconf"),
    ("tree", {"build_system": "cmake"}, "build_system cmake needs .*CMakeLists.txt"),
    ("cmake_tree", {"build_system": "make"}, "is not a source tree make can build"),
    ("tree", {"configure_args": ["--prefix=/x"]}, "configure_args are for autotools and cmake trees"),
    ("kernel", {"build_system": "cmake"}, "is a kernel tree, which is built with make"),
])
def test_build_system_mistakes_are_refused(request, fixture, overrides, message):
    path = request.getfixturevalue(fixture)
    with pytest.raises(module.PlanError, match=message):
        module.plan(params(path, hosts="10.200.1.3/4", **overrides))
    assert not (path / TreeState.DIR).exists()


class _NoCommands:
    def run_command(self, *args, **kwargs):
        raise AssertionError("a command ran: %r" % (args,))


def test_an_autotools_tree_never_configured_is_not_cleaned(autotools_tree):
    # gnulib's GNUmakefile ships in release tarballs (GNU grep's) and fails before configure has run
    (autotools_tree / "GNUmakefile").write_text("include $(srcdir)/maint.mk\n")
    values = params(autotools_tree, hosts="10.200.1.3/4", clean="clean")
    p = module.plan(values)
    assert p.configure_needed
    clean(_NoCommands(), p)


def test_cpu_breakdown_puts_the_accounting_program_in_front_of_distcc(kernel):
    p = module.plan(params(kernel, hosts="10.200.1.3/4,cpp,lzo", cpu_breakdown=True), pump_installed=pump_ok)
    account = p.account
    assert os.path.dirname(account) == str(kernel / TreeState.DIR)
    assert p.cmd == ["make", "-j4", "CC=%s distcc gcc" % account]
    assert p.env["DISTRANT_CPU_LOG"] == os.path.join(str(kernel), ".distrant", "cpu.log")
    local = module.plan(params(kernel, distcc=False, cpu_breakdown=True), host_cpus=lambda: 2)
    assert local.cmd == ["make", "-j2", "CC=%s %s gcc" % (account, local.counter)]
    off = module.plan(params(kernel, hosts="10.200.1.3/4,lzo"))
    assert off.account is None and "DISTRANT_CPU_LOG" not in off.env


def test_cpu_breakdown_in_a_cmake_tree_is_part_of_the_launcher(cmake_tree):
    p = module.plan(params(cmake_tree, hosts="10.200.1.3/4,lzo", cpu_breakdown=True))
    assert "-DCMAKE_C_COMPILER_LAUNCHER=%s;distcc" % p.account in p.configure_cmd
    assert "-DCMAKE_CXX_COMPILER_LAUNCHER=%s;distcc" % p.account in p.configure_cmd


def test_include_server_options_are_for_pump_mode_and_leave_the_socket_to_the_module(kernel):
    ok = module.plan(params(kernel, hosts="10.200.1.3/4,cpp,lzo", include_server_options=["--no_force_dirs"]),
                     pump_installed=pump_ok)
    assert ok.pump is True
    with pytest.raises(module.PlanError, match=r"are for pump mode.*list workers with ,cpp,lzo"):
        module.plan(params(kernel, hosts="10.200.1.3/4,lzo", include_server_options=["--no_force_dirs"]))
    with pytest.raises(module.PlanError, match="may not set --port"):
        module.plan(params(kernel, hosts="10.200.1.3/4,cpp,lzo", include_server_options=["--port=/tmp/x"]),
                    pump_installed=pump_ok)


def test_make_args_go_to_both_make_commands_before_the_targets(kernel):
    p = module.plan(params(kernel, hosts="10.200.1.3/4,cpp,lzo", target="kernel/",
                           make_args=["cmd_check_local_export=", "KCFLAGS=-pipe -g0"]), pump_installed=pump_ok)
    assert p.cmd == ["make", "-j4", "CC=distcc gcc", "cmd_check_local_export=", "KCFLAGS=-pipe -g0", "kernel/"]
    assert p.prepare_cmd == ["make", "-j4", "CC=distcc gcc", "cmd_check_local_export=", "KCFLAGS=-pipe -g0",
                             "prepare"]


def test_make_args_refused_for_ninja(cmake_tree):
    with pytest.raises(module.PlanError, match="make_args .* are for make, and this tree builds with ninja"):
        module.plan(params(cmake_tree, hosts="10.200.1.3/4", make_args=["V=1"]), pump_installed=pump_ok)


def test_make_args_may_not_set_the_compiler_words(kernel):
    with pytest.raises(module.PlanError, match="make_args may not set CC"):
        module.plan(params(kernel, hosts="10.200.1.3/4", make_args=["CC=clang"]), pump_installed=pump_ok)


# The lines kbuild_lean looks for, as Linux 6.1 has them (scripts/Kbuild.include, scripts/Makefile.build),
# and Kbuild.include's `cmd` from Linux 6.3 on (empty commands run nothing there already).
KBUILD_INCLUDE_61 = ("# printing commands\n"
                     "cmd = @set -e; $(echo-cmd) $($(quiet)redirect) $(delete-on-interrupt) $(cmd_$(1))\n"
                     "cmd_and_fixdep =" + " " * 61 + "\\\n"
                     "\t$(cmd);" + " " * 62 + "\\\n"
                     "\tscripts/basic/fixdep $(depfile) $@ '$(make-cmd)' > $(dot-target).cmd;\\\n"
                     "\trm -f $(depfile)\n")
KBUILD_INCLUDE_63 = ("# print and execute commands\n"
                     "cmd = @$(if $(cmd_$(1)),set -e; $($(quiet)log_print) $(delete-on-interrupt) $(cmd_$(1)),:)\n")
MAKEFILE_BUILD_61 = ("cmd_check_local_export = $(srctree)/scripts/check-local-export $@\n\n"
                     "define rule_cc_o_c\n\t$(call cmd_and_fixdep,cc_o_c)\n\t$(call cmd,check_local_export)\n")


@pytest.fixture
def kernel61(kernel):
    (kernel / "scripts" / "Kbuild.include").write_text(KBUILD_INCLUDE_61)
    (kernel / "scripts" / "Makefile.build").write_text(MAKEFILE_BUILD_61)
    return kernel


def test_kbuild_lean_on_linux_61_in_pump_mode(kernel61):
    p = module.plan(params(kernel61, hosts="10.200.1.3/4,cpp,lzo", kbuild_lean=True, target="kernel/"),
                    pump_installed=pump_ok)
    lean = ["cmd=@$(if $(cmd_$(1)),set -e; $(echo-cmd) $($(quiet)redirect) $(delete-on-interrupt) $(cmd_$(1)),:)",
            "cmd_check_local_export=",
            "cmd_and_fixdep=$(cmd); scripts/basic/fixdep $(depfile) $@ '$(make-cmd)' > $(dot-target).cmd"]
    assert p.cmd == ["make", "-j4", "CC=distcc gcc"] + lean + ["kernel/"]
    assert p.prepare_cmd == ["make", "-j4", "CC=distcc gcc"] + lean + ["prepare"]
    assert p.include_server_options == ["--no_force_dirs"]
    assert p.kbuild_lean == ["no_empty_shells", "no_check_local_export", "no_depfile_rm", "no_force_dirs",
                             "host_compiles"]
    # the host compiles: a wrapper named gcc, first on make's PATH, with a client log of its own
    host_cc = str(kernel61 / ".distrant" / "host-cc")
    assert p.host_cc == {"dir": host_cc, "log": str(kernel61 / ".distrant" / "host-client.log")}
    assert p.env["PATH"].split(os.pathsep)[0] == host_cc


def test_host_compiles_with_a_relative_tree_put_an_absolute_directory_on_path(kernel61, monkeypatch):
    monkeypatch.chdir(kernel61.parent)
    p = module.plan(params(kernel61.name, hosts="10.200.1.3/4,cpp,lzo", kbuild_lean=True), pump_installed=pump_ok)
    assert p.host_cc["dir"] == str(kernel61 / ".distrant" / "host-cc")
    assert p.env["PATH"].split(os.pathsep)[0] == p.host_cc["dir"]


def test_host_compiles_stay_on_the_master_with_llvm_in_the_environment(kernel61, monkeypatch):
    monkeypatch.setenv("LLVM", "1")
    p = module.plan(params(kernel61, hosts="10.200.1.3/4,cpp,lzo", kbuild_lean=True), pump_installed=pump_ok)
    assert p.host_cc is None and "host_compiles" not in p.kbuild_lean


@pytest.mark.parametrize("change", [dict(make_args=["HOSTCC=clang"]), dict(make_args=["LLVM=1"]),
                                    dict(make_args=["HOSTCC:=clang"]), dict(env={"LLVM": "1"}),
                                    dict(compiler="clang"), dict(distcc=False)])
def test_host_compiles_stay_with_a_host_compiler_of_the_callers_or_without_distcc(kernel61, change):
    p = module.plan(dict(params(kernel61, hosts="10.200.1.3/4,cpp,lzo", kbuild_lean=True), **change),
                    pump_installed=pump_ok, host_cpus=lambda: 2)
    assert "host_compiles" not in p.kbuild_lean and p.host_cc is None and "PATH" not in p.env


def test_the_host_compiler_wrapper_runs_the_client_with_gcc_and_its_own_log(tmp_path):
    """The wrapper's shell text, run: the client gets gcc and the arguments, PATH without the wrapper's directory
    (so that the client's own compiler lookup finds the real gcc), and the host compiles' log; paths with blanks."""
    wrapper_dir = tmp_path / "a tree" / ".distrant" / "host-cc"
    wrapper_dir.mkdir(parents=True)
    client = tmp_path / "my bin" / "distcc"
    client.parent.mkdir()
    client.write_text('#!/bin/sh\nprintf "%s|" "$@"; printf "\\n%s\\n%s\\n" "$PATH" "$DISTCC_LOG"\n')
    client.chmod(0o755)
    log = str(tmp_path / "a tree" / ".distrant" / "host-client.log")
    wrapper = wrapper_dir / "gcc"
    wrapper.write_text(host_compiler_wrapper(str(wrapper_dir), str(client), log))
    wrapper.chmod(0o755)
    env = dict(os.environ, PATH="%s:/usr/bin:/bin" % wrapper_dir)
    env.pop("_DISTCC_SAFEGUARD", None)
    out = subprocess.run(["gcc", "-c", "-o", "a b.o", "a b.c"], env=env, check=True, capture_output=True,
                         text=True).stdout.splitlines()
    assert out == ["gcc|-c|-o|a b.o|a b.c|", "/usr/bin:/bin", log]
    # wherever its directory is on PATH (something put another first), it is taken off
    env["PATH"] = "/usr/bin:%s:/bin" % wrapper_dir
    out = subprocess.run([str(wrapper), "-c", "x.c"], env=env, check=True, capture_output=True, text=True).stdout
    assert out.splitlines() == ["gcc|-c|x.c|", "/usr/bin:/bin", log]


def test_the_host_compiler_wrapper_run_by_distcc_itself_runs_the_real_compiler(tmp_path):
    """A client that runs gcc on the master by that name (no rewrite to x86_64-linux-gnu-gcc) finds the wrapper
    first on make's PATH: with distcc's safeguard variable set, the wrapper runs the next gcc on PATH, never the
    client again (which would stop as a recursion and fail the compile)."""
    wrapper_dir = tmp_path / "host-cc"
    wrapper_dir.mkdir()
    real = tmp_path / "bin"
    real.mkdir()
    (real / "gcc").write_text('#!/bin/sh\necho "real gcc $*"\n')
    (real / "gcc").chmod(0o755)
    wrapper = wrapper_dir / "gcc"
    wrapper.write_text(host_compiler_wrapper(str(wrapper_dir), str(tmp_path / "no-client"), str(tmp_path / "log")))
    wrapper.chmod(0o755)
    env = dict(os.environ, PATH="%s:%s:/usr/bin:/bin" % (wrapper_dir, real), _DISTCC_SAFEGUARD="1")
    out = subprocess.run(["gcc", "-E", "x.c"], env=env, check=True, capture_output=True, text=True).stdout
    assert out == "real gcc -E x.c\n"


def test_kbuild_lean_leaves_what_the_caller_set_and_what_a_newer_kbuild_does_itself(kernel):
    (kernel / "scripts" / "Kbuild.include").write_text(KBUILD_INCLUDE_63)
    p = module.plan(params(kernel, hosts="10.200.1.3/4,cpp,lzo", kbuild_lean=True,
                           include_server_options=["--no_force_dirs"]), pump_installed=pump_ok)
    assert p.cmd == ["make", "-j4", "CC=distcc gcc"] and p.kbuild_lean == ["host_compiles"]
    assert p.include_server_options == ["--no_force_dirs"]
    (kernel / "scripts" / "Kbuild.include").write_text(KBUILD_INCLUDE_61)
    (kernel / "scripts" / "Makefile.build").write_text(MAKEFILE_BUILD_61)
    p = module.plan(params(kernel, hosts="10.200.1.3/4,lzo", kbuild_lean=True, make_args=["cmd_check_local_export=:"]),
                    pump_installed=pump_ok)
    assert p.cmd[-3:-1] == ["cmd_check_local_export=:", KBUILD_CMD_LEAN]
    assert p.kbuild_lean == ["no_empty_shells", "no_depfile_rm", "host_compiles"]
    assert p.include_server_options == []  # plain mode
    p = module.plan(params(kernel, hosts="10.200.1.3/4,lzo", kbuild_lean=True, make_args=["cmd_and_fixdep=$(cmd)"]),
                    pump_installed=pump_ok)
    assert "no_depfile_rm" not in p.kbuild_lean and [a for a in p.cmd if a.startswith("cmd_and_fixdep")] == [
        "cmd_and_fixdep=$(cmd)"]


def test_kbuild_lean_is_for_kernel_trees(tree):
    with pytest.raises(module.PlanError, match="kbuild_lean is for Linux kernel trees .* drop it"):
        module.plan(params(tree, hosts="10.200.1.3/4", kbuild_lean=True))


def test_without_kbuild_lean_nothing_is_added(kernel61):
    p = module.plan(params(kernel61, hosts="10.200.1.3/4,cpp,lzo"), pump_installed=pump_ok)
    assert p.cmd == ["make", "-j4", "CC=distcc gcc"] and p.kbuild_lean == []
    assert p.include_server_options == []


def test_the_client_goes_in_the_compiler_words_and_must_be_a_program(kernel, tmp_path):
    client = tmp_path / "bin" / "distcc"
    client.parent.mkdir()
    client.write_text("#!/bin/sh\n")
    client.chmod(0o755)
    p = module.plan(params(kernel, hosts="10.200.1.3/4,cpp,lzo", client=str(client)), pump_installed=pump_ok)
    assert p.cmd == ["make", "-j4", "CC=%s gcc" % client]
    for bad, why in [(str(tmp_path / "nowhere" / "distcc"), "no such executable file"), ("my distcc", "got 'my distcc'"),
                     (str(kernel / "Kbuild"), "no such executable file"), ("./distcc", "not an absolute path")]:
        with pytest.raises(module.PlanError, match="client must be the distcc client.*%s" % why):
            module.plan(params(kernel, hosts="10.200.1.3/4,cpp,lzo", client=bad), pump_installed=pump_ok)
    # a local build has no client, whatever it names
    local = module.plan(params(kernel, distcc=False, client="my distcc"), host_cpus=lambda: 2)
    assert local.cmd == ["make", "-j2", "CC=%s gcc" % local.counter]


def test_check_mode_takes_a_client_that_the_run_would_build_first(kernel, tmp_path):
    """site.yml --check on a master whose client the role would build in the same run."""
    missing = str(tmp_path / "bin" / "distcc")
    p = module.plan(params(kernel, hosts="10.200.1.3/4,cpp,lzo", client=missing), pump_installed=pump_ok,
                    check_mode=True)
    assert p.cmd == ["make", "-j4", "CC=%s gcc" % missing]
    with pytest.raises(module.PlanError, match="not an absolute path"):
        module.plan(params(kernel, hosts="10.200.1.3/4,cpp,lzo", client="bin/distcc"), pump_installed=pump_ok,
                    check_mode=True)


def test_an_ssh_host_list_plans_as_a_tcp_one(kernel):
    # [USER]@HOST/LIMIT entries: the same -j, pump mode and host list as TCP ones
    p = module.plan(params(kernel, hosts="@10.200.1.3/4,lzo,cpp distcc-ssh@10.200.1.4/4,cpp,lzo"),
                    pump_installed=pump_ok)
    assert p.jobs == 8 and p.pump
    assert p.env["DISTCC_HOSTS"] == "@10.200.1.3/4,lzo,cpp distcc-ssh@10.200.1.4/4,cpp,lzo"
    assert p.prepare_hosts == "@10.200.1.3/4,lzo distcc-ssh@10.200.1.4/4,lzo"
