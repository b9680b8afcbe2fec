"""A local build's objects, counted from the command lines its counting program logged."""

from __future__ import annotations

import pytest

from ansible_collections.distrant.distcc.plugins.module_utils._compile_count import CompileLog, is_object

# Command lines of Linux 6.1's Kbuild and of a plain Makefile, as the counting program logs them
KBUILD_FORK = ("gcc -Wp,-MMD,kernel/.fork.o.d -nostdinc -I./arch/x86/include -include ./include/linux/kconfig.h "
               "-D__KERNEL__ -O2 -DKBUILD_MODFILE='\"kernel/fork\"' -c -o kernel/fork.o kernel/fork.c")
ENTRY_64 = "gcc -Wp,-MMD,arch/x86/entry/.entry_64.o.d -D__ASSEMBLY__ -c -o arch/x86/entry/entry_64.o arch/x86/entry/entry_64.S"
ASM_OFFSETS = "gcc -Wp,-MMD,arch/x86/kernel/.asm-offsets.s.d -S -o arch/x86/kernel/asm-offsets.s arch/x86/kernel/asm-offsets.c"
CC_OPTION = "gcc -Werror -mno-sse -c -x c /dev/null -o .tmp_1234/tmp"
AS_INSTR = "gcc -D__ASSEMBLY__ -Wa,--fatal-warnings -c -x assembler-with-cpp -o /dev/null -"
LINK = "gcc -o hello main.o greet.o"
DEPS_ONLY = "gcc -MM -MT main.c main.c"


@pytest.mark.parametrize("line, counted", [
    (KBUILD_FORK, True), (ENTRY_64, True), (ASM_OFFSETS, True), ("g++ -c -o fmt.cc.o ../src/fmt.cc", True),
    (CC_OPTION, False), (AS_INSTR, False), (LINK, False), (DEPS_ONLY, False), ("gcc --version", False),
])
def test_an_object_is_a_compile_of_a_source_file(line, counted):
    assert is_object(line.split(" ")) is counted


def test_the_log_counts_objects_on_localhost_fed_in_pieces():
    text = "\n".join(l.replace(" ", "\x1f") for l in (CC_OPTION, KBUILD_FORK, AS_INSTR, ENTRY_64, LINK)) + "\n"
    log = CompileLog()
    for start in range(0, len(text), 37):  # as the progress thread reads a growing file
        log.feed(text[start:start + 37])
    assert log.feed("", final=True).counts() == {
        "objects": 2, "jobs_per_host": {"localhost": 2}, "remote_objects": 0, "local_reasons": {"local_build": 2},
        "local_fallbacks": 0, "failed_remote": 0, "remote_preprocessed": 0, "pump_fallbacks": 0,
        "pump_switched_off": False}
    assert CompileLog().counts()["jobs_per_host"] == {} and CompileLog().counts()["local_reasons"] == {}
