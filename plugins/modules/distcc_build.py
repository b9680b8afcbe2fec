#!/usr/bin/python
# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: distcc_build
short_description: Timed distributed (or local) make of a source tree, a kernel by default, returning facts
version_added: 0.1.0
description:
  - Runs C(make -jN CC="distcc <compiler>") (or C(CC=<compiler>) for a local baseline) in a
    source tree (a kernel tree, or any make-based C or C++ tree), as an argv list, with C(DISTCC_HOSTS)
    and a client log (C(DISTCC_LOG)).
  - Autotools and CMake trees are configured first, with the local compilers and timed apart
    (RV(ansible_facts.distcc_build.configure_seconds)); CMake puts distcc in front of the compilers
    as C(CMAKE_C_COMPILER_LAUNCHER)/C(CMAKE_CXX_COMPILER_LAUNCHER) and builds with Ninja (or make).
  - Times it (wall clock, user and system CPU of all the children) and accounts for every
    compile from the client log, returning C(ansible_facts.distcc_build).
  - One build per tree at a time; a second build on the same tree fails at once with a
    message naming the running one (a lock file in C(<chdir>/.distrant/)).
  - Writes C(<chdir>/.distrant/progress.json) while it runs (objects so far, per host), which
    the action plugin of the same name prints at a steady interval.
options:
  chdir:
    description:
      - The source tree to build (see O(build_system) for what it must hold). A kernel tree (it has C(Kbuild) and
        C(scripts/Kbuild.include)) is built with make and gets kernel defaults for O(prepare) and O(artifact),
        and the facts C(kernel_version) and C(config).
      - The build's own files (lock, progress, logs) are kept in C(<chdir>/.distrant/).
    type: path
    required: true
  build_system:
    description:
      - How the tree is built. C(make) - a C(GNUmakefile), C(makefile) or C(Makefile) in the build directory,
        built with C(CC="distcc <compiler>") and C(CXX="distcc <cxx_compiler>") (a kernel tree gets C(CC) only).
      - C(autotools) - C(<chdir>/configure) is run (with O(configure_args), C(CC=<compiler>), C(CXX=<cxx_compiler>))
        when the build directory has no C(config.status) yet or O(clean=distclean), then make as above.
      - C(cmake) - C(cmake -S <chdir> -B <build_dir> -G Ninja) (or C(Unix Makefiles), O(cmake_generator)) with
        O(configure_args) and distcc as the compilers' launcher (none for a local build), at every build (an
        existing cache makes that quick), then C(ninja -jN) (or C(make -jN)).
      - C(auto) picks C(make) for a kernel tree, else C(autotools) when the tree has an executable C(configure),
        else C(cmake) when it has C(CMakeLists.txt), else C(make) when it has a makefile, and fails otherwise.
    type: str
    choices: [auto, make, autotools, cmake]
    default: auto
  build_dir:
    description:
      - Where the build runs, relative to O(chdir) or absolute; created by the configure step when missing.
      - By default O(chdir) itself, and C(<chdir>/_build) for C(cmake) (CMake builds apart from the source).
    type: path
  configure_args:
    description: Arguments of the configure script or of cmake (e.g. C(--disable-nls), C(-DBUILD_TESTING=OFF)).
    type: list
    elements: str
    default: []
  cmake_generator:
    description: The build tool CMake generates for, C(ninja) (the package C(ninja-build)) or C(make).
    type: str
    choices: [ninja, make]
    default: ninja
  cxx_compiler:
    description: The C++ compiler distcc runs (it must be whitelisted on the workers, as the worker role does for C(g++)).
    type: str
    default: g++
  artifact:
    description:
      - What the build makes, relative to the build directory or absolute, reported with its size in the facts.
      - By default the image of a kernel tree (C(make image_name)); nothing for other trees.
    type: path
  target:
    description:
      - Make target, or several separated by spaces (e.g. C(kernel/ mm/)); by default make's default goal
        (the kernel image and what it needs).
    type: str
  make_args:
    description:
      - More arguments for make, each one word of its command line (so a value may hold spaces), after the
        compiler words and before O(target); given to the O(prepare) command too. Variable assignments such
        as C(KCFLAGS=-pipe) or C(V=1) are what this is for.
      - Not for CMake trees with the Ninja generator, and not C(CC=) or C(CXX=) (the module sets them).
    type: list
    elements: str
    default: []
  kbuild_lean:
    description:
      - For a Linux kernel tree, spare the master what Kbuild runs per object that makes no object
        (measured on Linux 6.1 in pump mode, about a third of make's CPU), namely the shells make starts for
        Kbuild's empty commands (about five per object; only where C(scripts/Kbuild.include) has Linux
        6.1's form, newer kernels start none), C(scripts/check-local-export) (a shell, C(nm) and
        C(awk) per object, a check that a source exports no static symbol, which changes no object), and
        Linux 6.1's C(rm) of the compiler's dependency file after C(fixdep) (a process per object; the
        C(.*.o.d) files stay beside the objects, C(make clean) removes them). In
        pump mode the include server also gets C(--no_force_dirs). The objects are the same; a source that
        includes C(dir/../x.h) with nothing else from C(dir) fails remotely without the directory files;
        distcc compiles it on the master and turns pump mode off for the rest of the build, as the facts say
        (C(discrepancy), RV(ansible_facts.distcc_build.pump_switched_off)).
      - With O(distcc) and O(compiler=gcc), Kbuild's host programs (C(modpost), C(relocs), kconfig's
        C(conf)...) are compiled on the workers too, through a wrapper named C(gcc) first on make's
        C(PATH) (in C(<chdir>/.distrant/host-cc)), so that the command lines Kbuild recorded stay the same.
        Every bare C(gcc) that make runs goes through it (also C(tools/)'s builds, such as objtool's, and
        C($(HOSTCC)) probes); a compile and link in one command, or anything but a C(-c) compile, runs on
        the master as before. They are counted apart (RV(ansible_facts.distcc_build.host_compiles)), not as
        objects. Not when O(make_args) sets C(HOSTCC) or C(LLVM), or O(env) or the environment sets
        C(LLVM).
      - What was applied is in the facts (RV(ansible_facts.distcc_build.kbuild_lean)). A variable set in
        O(make_args) or an option in O(include_server_options) is left as given.
      - Only for kernel trees. Leave it off to keep the check of C(check-local-export), e.g. while you change
        the kernel's sources.
    type: bool
    default: false
  jobs:
    description:
      - C(-j) of make, an integer from 1 to 4096, or C(auto).
      - C(auto) with distcc is the sum of the hosts' job limits (C(/LIMIT), distcc's default 4 for a
        remote host and 2 for localhost); without distcc it is the CPUs this host can use (cgroup
        quota included).
    type: raw
    default: auto
  hosts:
    description:
      - DISTCC_HOSTS to build with. By default the content of O(hosts_file).
    type: str
  hosts_file:
    description: File read when O(hosts) is not given (the master role writes it).
    type: path
    default: /etc/distcc/hosts
  compiler:
    description: The compiler distcc runs (it must be whitelisted on the workers).
    type: str
    default: gcc
  client:
    description:
      - The distcc client in the compiler words (C(CC=<client> <compiler>)), a command on E(PATH) or an absolute
        path, e.g. the one the distcc_master role builds (its fact C(distcc_master_hosts.client)).
      - Not used with O(distcc=false).
    type: str
    default: distcc
  clean:
    description:
      - C(none) builds incrementally; C(clean) runs C(make clean) first; C(distclean) runs
        C(make distclean) first and keeps the tree's C(.config).
    type: str
    choices: [none, clean, distclean]
    default: none
  distcc:
    description: C(false) builds locally with the same command otherwise (the baseline).
    type: bool
    default: true
  env:
    description: Extra environment variables for make, distcc and, in pump mode, the include server.
    type: dict
    default: {}
  timeout:
    description: Seconds before the build is stopped and reported as failed.
    type: int
    default: 3600
  io_timeout:
    description:
      - Seconds the distcc client waits on a silent worker (C(DISTCC_IO_TIMEOUT), distcc's default is 300)
        before it gives the job up and compiles it locally. This is what bounds the stall when a worker
        vanishes from the network in the middle of a build.
      - Raise it when single objects take longer than this to compile on the workers.
      - A C(DISTCC_IO_TIMEOUT) in O(env) wins.
    type: int
    default: 60
  pump:
    description:
      - distcc's pump mode, which moves preprocessing from the master to the workers; the master
        only scans each source for the headers it needs and ships them, with the source, to the worker.
      - C(auto) uses pump mode when a host in the list has the C(,cpp) option (the distcc_master role
        writes such a list when C(distcc_master_pump) is on); C(true) requires such a host.
      - The module starts the include server from O(pump_path) itself, with its files in a private
        directory under C(/tmp), and stops it (bounded wait) and removes the directory afterwards. It
        does not use Debian's C(distcc-pump) wrapper, which is broken on Python >= 3.10 (see the README).
      - A host with C(,cpp) must also have C(,lzo) (distcc requires it and otherwise compiles locally).
    type: raw
    default: auto
  prepare:
    description:
      - Make targets built before the distributed part starts, with the same C(CC) and C(-j) but never in pump
        mode; their time is part of RV(ansible_facts.distcc_build.wall_seconds) and reported apart as
        RV(ansible_facts.distcc_build.prepare_seconds).
      - They make what the build generates before it compiles (a kernel's C(include/generated/), its scripts,
        C(asm-offsets.h)), so that nothing the include server has read changes under it. Without this, the
        first build of a fresh kernel tree makes distcc see a remote compile fail, give pump mode up for the whole
        build (C(now using plain distcc)) and put the worker in backoff, which strands compiles on the master.
      - By default C(prepare) for a kernel tree (it has C(Kbuild) and C(scripts/Kbuild.include)), nothing for
        other trees. An empty list builds nothing first.
    type: list
    elements: str
  backoff_period:
    description:
      - Seconds distcc leaves a worker alone after a failed compile or connection to it
        (C(DISTCC_BACKOFF_PERIOD); distcc's default is 60). C(0) turns backoff off, and every compile tries
        every listed worker again, whatever its state.
      - The default, 10 s, was measured in the lab (see the README); one failed compile no longer sends every
        compile of the next minute to the master, while a worker that is down costs one attempt per 10 s
        instead of one per compile.
      - Backoff files an earlier build left for the listed hosts are removed before the build (a healthy
        worker is never skipped for an old failure); the hosts that were in backoff are reported in
        RV(ansible_facts.distcc_build.backoff_at_start).
      - A C(DISTCC_BACKOFF_PERIOD) in O(env) wins.
    type: int
    default: 10
  min_remote_share:
    description:
      - Fail when fewer than this share (0 to 1) of the objects distcc could distribute were compiled on the
        workers, naming the share and the reasons (RV(ansible_facts.distcc_build.local_reasons)). The facts are
        returned all the same.
      - A benchmark sets it so that a time measured while compiles ran on the master is never recorded as a
        distributed one. C(0) (the default) checks nothing; a build that had nothing to compile passes.
    type: float
    default: 0.0
  cpu_breakdown:
    description:
      - Measure where the master's CPU goes, returned as RV(ansible_facts.distcc_build.cpu_breakdown), split into the distcc
        client of each compile (with the compiles it ran on the master), the include server in pump mode, make
        (with the build system's shells and tools, linking) and the rest.
      - The compiler words become C(<account> distcc gcc), where C(<account>) is a small C program that runs its
        command and records, exactly, the CPU it and its children used; it is built with O(compiler) into the
        tree's C(.distrant/) on first use, and checked to run before anything else happens. Its own cost (one
        more process per compile, about a millisecond) is reported apart, so leave this off for the builds
        whose time counts.
      - The compiler words change with it, so a build with O(clean=none) after one without (or the other way
        round) makes Kbuild compile everything again.
    type: bool
    default: false
  include_server_options:
    description:
      - Options for pump mode's include server, after the module's own (C(--port), C(--pid_file), C(-d1)), e.g.
        C(--no_force_dirs) (do not send an empty file for each directory a compile's headers were found
        through, which the include server otherwise does for includes such as C(dir/../x.h)).
      - See C(include_server --help) on the master. An option the include server does not know stops it
        before the build, with its message.
    type: list
    elements: str
    default: []
  pump_path:
    description:
      - Directory holding the fixed include server (C(include_server/include_server.py) and its C
        extension), as the distcc_master role installs it with C(distcc_master_pump).
    type: path
    default: /usr/local/lib/distrant-distcc/pump
attributes:
  check_mode:
    support: full
    description: Reports the command that would run and builds nothing.
  diff_mode:
    support: none
    description: Nothing to diff.
author:
  - distrant.distcc contributors (@distrant)
"""

EXAMPLES = r"""
- name: Build the kernel across the farm
  distrant.distcc.distcc_build:
    chdir: /srv/distcc-build/linux-6.1
    clean: clean
  become: true
  become_user: distcc-build

- name: The same build on the master alone, as a baseline
  distrant.distcc.distcc_build:
    chdir: /srv/distcc-build/linux-6.1
    clean: clean
    distcc: false
    jobs: 1

- name: Pump mode (the master role installed the include server with distcc_master_pump)
  distrant.distcc.distcc_build:
    chdir: /srv/distcc-build/linux-6.1
    hosts: localhost/1 10.200.1.3/8,cpp,lzo
    pump: true
    clean: clean

- name: A benchmark run that may not count a build that ran on the master
  distrant.distcc.distcc_build:
    chdir: /srv/distcc-build/linux-6.1
    clean: distclean
    min_remote_share: 0.95

- name: A non-kernel tree that generates headers before it compiles
  distrant.distcc.distcc_build:
    chdir: /srv/src/myproject
    prepare: [generated-headers]
    hosts: 10.200.1.3/8,cpp,lzo

- name: A CMake project built with Ninja, distcc as the compilers' launcher
  distrant.distcc.distcc_build:
    chdir: /srv/src/yaml-cpp
    configure_args: [-DYAML_CPP_BUILD_TESTS=OFF]
    clean: clean

- name: A directory target with explicit hosts
  distrant.distcc.distcc_build:
    chdir: /srv/distcc-build/linux-6.1
    target: kernel/
    hosts: 10.200.1.3/8,lzo
    jobs: 8
"""

RETURN = r"""
cmd:
  description: The make command (argv).
  returned: always
  type: list
  elements: str
  sample: ["make", "-j8", "CC=distcc gcc"]
build_system:
  description: The build system (O(build_system), or what C(auto) detected); in check mode too.
  returned: always
  type: str
  sample: cmake
build_dir:
  description: Where the build runs (O(build_dir) made absolute, or its default).
  returned: always
  type: str
  sample: /srv/src/fmt/_build
configure_cmd:
  description: The configure step (argv) of an autotools or CMake tree, null for a make tree.
  returned: always
  type: list
  elements: str
  sample: ["cmake", "-S", "/srv/src/fmt", "-B", "/srv/src/fmt/_build", "-G", "Ninja"]
prepare_cmd:
  description: The make command of the O(prepare) targets (argv), null when there are none.
  returned: always
  type: list
  elements: str
  sample: ["make", "-j8", "CC=distcc gcc", "prepare"]
ansible_facts:
  description: Facts about the build.
  returned: when the build ran
  type: dict
  contains:
    distcc_build:
      description: The build's numbers.
      type: dict
      returned: when the build ran
      contains:
        wall_seconds:
          description: Wall-clock time of the whole job after the clean and the configure step (the O(prepare) targets, the include server and make or ninja).
          type: float
          returned: always
          sample: 185.2
        build_system: {description: The build system used (O(build_system) after detection)., type: str, returned: always, sample: cmake}
        build_dir: {description: Where the build ran., type: str, returned: always, sample: /srv/src/fmt/_build}
        configure_seconds:
          description:
            - Wall-clock time of the configure step (not part of RV(ansible_facts.distcc_build.wall_seconds)),
              null when the tree needed none.
          type: float
          returned: always
          sample: 4.2
        user_seconds: {description: User CPU of make and all its children on this host., type: float, returned: always, sample: 120.4}
        sys_seconds: {description: System CPU of make and all its children on this host., type: float, returned: always, sample: 30.1}
        host_cpu_seconds:
          description:
            - CPU this whole host used during the timed job (its cgroup's counter for a container, else
              C(/proc/stat)), the prepare targets, the include server, distccd and everything else on it included;
              null when there is no counter to read.
          type: float
          returned: always
          sample: 42.7
        jobs: {description: The -j used., type: int, returned: always, sample: 8}
        hosts: {description: DISTCC_HOSTS used (empty for a local build)., type: str, returned: always, sample: 10.200.1.3/8}
        prepare_seconds:
          description: Wall-clock time of the O(prepare) targets (included in RV(ansible_facts.distcc_build.wall_seconds)).
          type: float
          returned: always
          sample: 6.1
        prepare_targets:
          description: The O(prepare) targets that were made before the distributed part.
          type: list
          elements: str
          returned: always
          sample: [prepare]
        backoff_period:
          description: C(DISTCC_BACKOFF_PERIOD) the build ran with.
          type: int
          returned: always
          sample: 10
        backoff_at_start:
          description:
            - Hosts of the list that were in distcc's backoff when the build started (an earlier failure within the
              period); their backoff files were removed so that the build tries them again.
          type: list
          elements: str
          returned: always
          sample: ["10.200.1.3:3632"]
        remote_objects:
          description: Objects compiled on a worker.
          type: int
          returned: always
          sample: 451
        remote_share:
          description:
            - RV(ansible_facts.distcc_build.remote_objects) divided by the objects distcc could distribute
              (RV(ansible_facts.distcc_build.objects) minus C(not_distributable)); null when there were none.
          type: float
          returned: always
          sample: 1.0
        local_reasons:
          description:
            - Objects compiled on the master, by reason (from the client log); a reason with no object is left
              out. The counts plus RV(ansible_facts.distcc_build.remote_objects) add up to
              RV(ansible_facts.distcc_build.objects).
            - C(localhost_slot) - the host list has localhost and distcc picked it (with localhost listed, distcc
              does not log that it skipped a worker in backoff, so such compiles count here too).
            - C(backoff) - every listed worker was in distcc's backoff period, after an earlier failure in this
              build, so distcc had no host to send it to.
            - C(connection_failed) - the worker did not accept the connection (refused, connect timeout,
              unreachable); distcc compiled it here and put the worker in backoff.
            - C(remote_failed) - the remote compile failed (I/O timeout, the compiler failed there) and was retried
              here.
            - C(discrepancy) - in pump mode, the remote compile failed and the local retry did not, typically because
              a header changed during the build; distcc then stops pump mode for the whole build
              (RV(ansible_facts.distcc_build.pump_switched_off)).
            - C(not_distributable) - distcc does not distribute this command line (C(-E), C(-M), C(-x), profile
              options, output to stdout, ...); compiler probes that make no object are not counted at all.
          type: dict
          returned: always
          sample: {"not_distributable": 1}
        pump_switched_off:
          description: Pump mode was given up for the rest of the build after a discrepancy (C(now using plain distcc)).
          type: bool
          returned: always
          sample: false
        jobs_per_host:
          description: Compiles completed on each host, localhost included (from the client log).
          type: dict
          returned: always
          sample: {"10.200.1.3": 440, "localhost": 11}
        local_fallbacks:
          description: Objects whose remote attempt failed and that were compiled on the master (C(connection_failed),
            C(remote_failed) and C(discrepancy) of RV(ansible_facts.distcc_build.local_reasons)).
          type: int
          returned: always
          sample: 0
        failed_remote:
          description: Compiles whose remote attempt failed (connection refused, I/O timeout, compiler error there).
          type: int
          returned: always
          sample: 0
        pump: {description: Whether pump mode was used (preprocessing on the workers)., type: bool, returned: always, sample: true}
        remote_preprocessed:
          description: Compiles preprocessed and compiled on a worker in pump mode (0 without pump mode).
          type: int
          returned: always
          sample: 440
        pump_fallbacks:
          description: Compiles for which pump mode was given up and the master preprocessed after all.
          type: int
          returned: always
          sample: 0
        objects:
          description: Compiles completed (the sum of jobs_per_host); 0 when O(distcc=false), which writes no client log.
          type: int
          returned: always
          sample: 451
        rc: {description: make's exit code., type: int, returned: always, sample: 0}
        artifact:
          description:
            - Path of what the build makes, O(artifact) made absolute; for a kernel tree by default its image
              (C(make image_name)). Null for another tree when O(artifact) is not given.
          type: str
          returned: always
          sample: /srv/distcc-build/linux-6.1/arch/x86/boot/bzImage
        artifact_bytes:
          description: Its size in bytes (0 when it is missing after the build, null when there is no artifact).
          type: int
          returned: always
          sample: 563200
        kernel_version: {description: C(make kernelversion) of a kernel tree; null for other trees., type: str, returned: always, sample: 6.1.158}
        config:
          description: The configuration target the distcc_master role recorded in a kernel tree (C(unknown) if none); null for other trees.
          type: str
          returned: always
          sample: tinyconfig
        distcc: {description: Whether distcc was used., type: bool, returned: always, sample: true}
        started_at: {description: Start time (UTC ISO 8601)., type: str, returned: always, sample: "2026-11-24T07:00:00Z"}
        client_log: {description: The distcc client log of this build., type: str, returned: always, sample: /srv/distcc-build/linux-6.1/.distrant/client.log}
        cpu_breakdown:
          description:
            - With O(cpu_breakdown), where the master's CPU went during the build (prepare step included), in
              seconds and in milliseconds per object (RV(ansible_facts.distcc_build.objects)); null without it.
            - C(master_seconds) - the master's whole CPU counter (its cgroup's in a container, C(/proc/stat) on a VM),
              as RV(ansible_facts.distcc_build.host_cpu_seconds); null when it cannot be read.
            - C(client_seconds) - the distcc client processes (C(client_processes) of them) and everything they
              ran on the master (local preprocessing outside pump mode, compiles on a localhost slot or after a
              failure, compiler probes of the build system). In a local build (O(distcc=false)), the compiler;
              the per-object values are null there (no client log counts the objects).
            - C(include_server_seconds) - pump mode's include server, its start-up process included (null outside
              pump mode).
            - C(accounting_seconds) - what measuring cost (the accounting program's own CPU).
            - C(make_seconds) - every other process the build ran and waited for, exactly (make, the build
              system's shells and tools such as Kbuild's fixdep and objtool, linking).
            - C(other_seconds) - the master's CPU counter minus all of the above (the kernel's interrupts and
              threads for the network, this module, sshd; on a VM the time its host stole).
            - C(complete) - false when the accounting log has fewer lines than compiles (a compile killed, a log
              that could not be written); C(client_seconds) and C(make_seconds) are then null, and the task warns.
          type: dict
          returned: always
          sample: {"master_seconds": 44.4, "master_per_object_ms": 98.4, "objects": 451, "client_processes": 612,
                   "complete": true, "client_seconds": 9.1, "client_per_object_ms": 20.2,
                   "include_server_seconds": 14.2, "include_server_per_object_ms": 31.5, "accounting_seconds": 0.4,
                   "accounting_per_object_ms": 0.9, "make_seconds": 19.2, "make_per_object_ms": 42.6,
                   "other_seconds": 1.5, "other_per_object_ms": 3.3}
        client:
          description: The distcc client the build ran (O(client)); null with O(distcc=false).
          type: str
          returned: always
          sample: /usr/local/lib/distrant-distcc/pump/bin/distcc
        kbuild_lean:
          description:
            - What O(kbuild_lean) applied, empty without it. C(no_empty_shells) and C(no_depfile_rm) (Linux
              6.1's Kbuild), C(no_check_local_export), C(no_force_dirs) (pump mode), C(host_compiles) (with
              O(distcc) and O(compiler=gcc)).
          type: list
          elements: str
          returned: always
          sample: [no_empty_shells, no_check_local_export, no_depfile_rm, no_force_dirs, host_compiles]
        host_compiles:
          description:
            - With C(host_compiles) in RV(ansible_facts.distcc_build.kbuild_lean), the compiler runs of Kbuild's host
              programs (fixdep, kconfig, modpost, relocs, sorttable...), which are not the tree's objects and are not
              counted in RV(ansible_facts.distcc_build.objects); C(compiles) in all, C(remote) compiled on the
              workers (a host program compiled and linked in one command runs on the master), C(jobs_per_host).
              Null otherwise.
          type: dict
          returned: always
          sample: {"compiles": 11, "remote": 6, "jobs_per_host": {"10.200.1.3": 6, "localhost": 5}}
stdout_lines:
  description: The last lines of make's output.
  returned: always
  type: list
  elements: str
"""

import errno
import fcntl
import glob
import json
import math
import os
import pwd
import resource
import threading
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.distrant.distcc.plugins.module_utils._build import (
    MAX_JOBS,
    HostsError,
    BUILD_SYSTEMS,
    KBUILD_HOSTCC,
    MAKEFILES,
    TreeState,
    auto_jobs,
    backoff_hosts,
    detect_build_system,
    has_makefile,
    host_compiler_wrapper,
    is_kernel_tree,
    kbuild_lean_args,
    make_variables,
    parse_hosts,
    without_cpp,
)
from ansible_collections.distrant.distcc.plugins.module_utils._client_log import (
    ClientLog,
    distributable,
    format_reasons,
    parse_client_log,
    stranded,
)
from ansible_collections.distrant.distcc.plugins.module_utils._cgroup import cpu_used_from_fs, read_host_cpus
from ansible_collections.distrant.distcc.plugins.module_utils._cpu_account import (
    LOG_ENV as CPU_LOG_ENV,
    AccountError,
    account_program_path,
    breakdown,
    build_account_program,
    parse_account_log,
)
from ansible_collections.distrant.distcc.plugins.module_utils._pump import IncludeServer, PumpError, check_installed

TAIL_LINES = 40
PROGRESS_EVERY = 2.0


def _effective_cpus():
    """Whole CPUs this host can use (cgroup quota included, rounded up), for a local -j."""
    return max(1, int(math.ceil(read_host_cpus()["effective_cpus"] - 1e-9)))


def _host_cpu_used():
    """CPU seconds this host (its cgroup, for a container) has used so far, or None."""
    return cpu_used_from_fs(_read("/proc/1/cgroup"))[0]


def _tail(path, lines=TAIL_LINES):
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 16384))
            return handle.read().decode("utf-8", "replace").splitlines()[-lines:]
    except (IOError, OSError):
        return []


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except (IOError, OSError):
        return ""


def _make_value(module, chdir, target):
    rc, out, dummy = module.run_command(["make", "-s", target], cwd=chdir)
    return out.strip().splitlines()[-1] if rc == 0 and out.strip() else ""


def _lock(module, path):
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (IOError, OSError) as exc:
        if exc.errno not in (errno.EAGAIN, errno.EACCES):
            raise
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        module.fail_json(
            msg="another build is running on this tree (%s); wait for it to finish or stop it, "
            "then run again. Nothing was changed." % holder,
            lock=path,
        )
    handle.seek(0)
    handle.truncate()
    handle.write("pid %d, started %s" % (os.getpid(), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
    handle.flush()
    return handle


def _write_progress(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        json.dump(data, handle)
    os.rename(tmp, path)


class PlanError(Exception):
    """Parameters the build cannot run with; the message says what to fix. Nothing was changed."""


def _pump_mode(params, entries, pump_installed):
    """Resolve the pump option against the host list, before anything runs."""
    value = params["pump"]
    if isinstance(value, str) and value.strip().lower() == "auto":
        wanted = None
    else:
        try:
            wanted = boolean(value, strict=True)
        except TypeError:
            raise PlanError("pump must be auto, true or false, got %r" % (value,))
    if not params["distcc"]:
        if wanted:
            raise PlanError("pump: true needs distcc; a local build (distcc: false) has nothing to pump")
        return False
    cpp = [e["raw"] for e in entries if "cpp" in e["options"]]
    no_lzo = [e["raw"] for e in entries if "cpp" in e["options"] and "lzo" not in e["options"]]
    if no_lzo:
        raise PlanError("host %s has ,cpp without ,lzo: distcc's pump mode needs both (it would compile "
                        "everything locally); write it as HOST/LIMIT,cpp,lzo" % ", ".join(no_lzo))
    if wanted and not cpp:
        raise PlanError("pump: true but no host has the ,cpp option; list the workers as HOST/LIMIT,cpp,lzo "
                        "(the distcc_master role does with distcc_master_pump: true)")
    if wanted is False or not cpp:
        return False
    try:
        pump_installed(params["pump_path"])
    except PumpError as exc:
        raise PlanError("%s. Nothing was changed." % exc)
    return True


def _distcc_dir(env):
    """distcc's state directory for this build (DISTCC_DIR, else ~/.distcc of the environment's HOME)."""
    if env.get("DISTCC_DIR") or os.environ.get("DISTCC_DIR"):
        return env.get("DISTCC_DIR") or os.environ["DISTCC_DIR"]
    home = env.get("HOME") or os.environ.get("HOME") or pwd.getpwuid(os.getuid()).pw_dir
    return os.path.join(home, ".distcc")


def _clear_backoff(env, entries, period):
    """Remove the backoff files of the listed hosts; return those that were still in their period."""
    wanted = backoff_hosts(entries)
    found = []
    now = time.time()
    for path in sorted(glob.glob(os.path.join(_distcc_dir(env), "lock", "backoff_*"))):
        name = os.path.basename(path)
        if name not in wanted:
            continue
        try:
            age = now - os.stat(path).st_mtime
            os.unlink(path)
        except OSError:
            continue
        if age < period:
            found.append(wanted[name])
    return found


class _Progress:
    """The progress file, rewritten every PROGRESS_EVERY s from the client log while make runs."""

    def __init__(self, path, client_log, distcc=True):
        self.path = path
        self.distcc = distcc
        self.client_log = client_log
        self.client = ClientLog()
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
        _write_progress(self.path, dict(elapsed=round(time.monotonic() - self.start, 1), phase=self.phase,
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


def _stranded_warning(counts, entries, client_log):
    """A warning when objects ran on the master for another reason than a localhost slot or distcc's rules."""
    on_master = stranded(counts["local_reasons"])
    if not on_master:
        return None
    has_localhost = any(e["host"] == "localhost" for e in entries)
    return ("%d of %d objects were compiled on the master although %s: %s (see %s)"
            % (sum(on_master.values()), counts["objects"],
               "the host list gives it a slot of its own" if has_localhost else "the host list names workers only",
               format_reasons(on_master), client_log))


def _remote_share(counts):
    return round(counts["remote_objects"] / float(distributable(counts)), 4) if distributable(counts) > 0 else None


ARGUMENT_SPEC = dict(
    chdir=dict(type="path", required=True),
    target=dict(type="str"),
    make_args=dict(type="list", elements="str", default=[]),
    kbuild_lean=dict(type="bool", default=False),
    jobs=dict(type="raw", default="auto"),
    hosts=dict(type="str"),
    hosts_file=dict(type="path", default="/etc/distcc/hosts"),
    compiler=dict(type="str", default="gcc"),
    client=dict(type="str", default="distcc"),
    clean=dict(type="str", default="none", choices=["none", "clean", "distclean"]),
    distcc=dict(type="bool", default=True),
    env=dict(type="dict", default={}),
    timeout=dict(type="int", default=3600),
    io_timeout=dict(type="int", default=60),
    prepare=dict(type="list", elements="str"),
    backoff_period=dict(type="int", default=10),
    min_remote_share=dict(type="float", default=0.0),
    pump=dict(type="raw", default="auto"),
    pump_path=dict(type="path", default="/usr/local/lib/distrant-distcc/pump"),
    cpu_breakdown=dict(type="bool", default=False),
    include_server_options=dict(type="list", elements="str", default=[]),
    artifact=dict(type="path"),
    build_system=dict(type="str", default="auto", choices=["auto"] + list(BUILD_SYSTEMS)),
    build_dir=dict(type="path"),
    configure_args=dict(type="list", elements="str", default=[]),
    cmake_generator=dict(type="str", default="ninja", choices=["ninja", "make"]),
    cxx_compiler=dict(type="str", default="g++"),
)
DEFAULT_CMAKE_BUILD_DIR = "_build"


def _check_numbers(params):
    if params["timeout"] < 1:
        raise PlanError("timeout must be at least 1 second, got %d" % params["timeout"])
    if params["io_timeout"] < 1:
        raise PlanError("io_timeout must be at least 1 second, got %d" % params["io_timeout"])
    if params["backoff_period"] < 0:
        raise PlanError("backoff_period must be 0 (no backoff) or more seconds, got %d" % params["backoff_period"])
    if not 0.0 <= params["min_remote_share"] <= 1.0:
        raise PlanError("min_remote_share must be between 0 and 1 (a share of the objects), got %s"
                        % params["min_remote_share"])
    if params["min_remote_share"] > 0 and not params["distcc"]:
        raise PlanError("min_remote_share %s needs distcc; a local build (distcc: false) compiles nothing remotely"
                        % params["min_remote_share"])
    if any(not isinstance(v, (str, int, float, bool)) for v in params["env"].values()):
        raise PlanError("env values must be strings or numbers")


def _host_entries(params):
    """The parsed host list (hosts, else hosts_file); [] for a local build."""
    if not params["distcc"]:
        return []
    if params["hosts"] is not None:
        text = params["hosts"]
    else:
        if not os.path.isfile(params["hosts_file"]):
            raise PlanError("hosts_file %s does not exist; give hosts, or run the distcc_master role first"
                            % params["hosts_file"])
        text = _read(params["hosts_file"])
    try:
        entries = parse_hosts(text)
    except HostsError as exc:
        raise PlanError(str(exc))
    if not entries:
        raise PlanError("no distcc hosts: %s is empty; list hosts, or build with distcc=false"
                        % ("hosts" if params["hosts"] is not None else params["hosts_file"]))
    return entries


def _jobs(params, entries, host_cpus):
    jobs = params["jobs"]
    if jobs in (None, "", "auto"):
        jobs = auto_jobs(entries) if params["distcc"] else host_cpus()
        if jobs > MAX_JOBS:
            raise PlanError("jobs: auto gives %d, the sum of the host list's limits, more than %d; give the hosts "
                            "smaller /LIMITs or set jobs" % (jobs, MAX_JOBS))
        return jobs
    try:
        jobs = int(jobs)
    except (TypeError, ValueError):
        raise PlanError("jobs must be an integer from 1 to %d or 'auto', got %r" % (MAX_JOBS, params["jobs"]))
    if not 1 <= jobs <= MAX_JOBS:
        raise PlanError("jobs must be an integer from 1 to %d or 'auto', got %d (GNU make deadlocks with "
                        "tens of thousands of jobs)" % (MAX_JOBS, jobs))
    return jobs


def _layout(params, account=None):
    """The build system, the build directory, the build tool and the configure step, from the tree's files."""
    chdir = params["chdir"]
    if not os.path.isdir(chdir):
        raise PlanError("chdir %s is not a directory; point it at the unpacked source tree" % chdir)
    wanted = params["build_system"]
    detected = detect_build_system(chdir)
    build_system = detected if wanted == "auto" else wanted
    if build_system is None:
        raise PlanError("cannot tell how to build %s: it has no configure script, no CMakeLists.txt and no %s; "
                        "point chdir at the top of the source tree, or set build_system (make, autotools, cmake)"
                        % (chdir, ", ".join(MAKEFILES)))
    kernel = is_kernel_tree(chdir)
    if kernel and build_system != "make":
        raise PlanError("%s is a kernel tree, which is built with make, not %s" % (chdir, build_system))
    default_dir = os.path.join(chdir, DEFAULT_CMAKE_BUILD_DIR) if build_system == "cmake" else chdir
    build_dir = os.path.join(chdir, params["build_dir"]) if params["build_dir"] else default_dir
    configure_cmd = None
    # configured: the build directory has what its build tool reads (a make tree always has)
    configured = has_makefile(build_dir) or os.path.isfile(os.path.join(build_dir, "build.ninja"))
    if build_system == "make":
        if not has_makefile(build_dir):
            raise PlanError("%s is not a source tree make can build (no %s there); point chdir at the unpacked "
                            "tree, or set build_system" % (build_dir, ", ".join(MAKEFILES)))
    elif build_system == "autotools":
        script = os.path.join(chdir, "configure")
        if not os.path.isfile(script):
            raise PlanError("build_system autotools needs %s; run autoreconf -i in the tree first (or unpack a "
                            "release tarball, which has it)" % script)
        configure_cmd = [script if build_dir != chdir else "./configure"] + list(params["configure_args"])
        # an autotools tree may ship a GNUmakefile of its own (gnulib's) that works only once configure has run
        configured = os.path.isfile(os.path.join(build_dir, "config.status")) and has_makefile(build_dir)
    else:
        if not os.path.isfile(os.path.join(chdir, "CMakeLists.txt")):
            raise PlanError("build_system cmake needs %s/CMakeLists.txt" % chdir)
        if params["clean"] == "distclean":
            raise PlanError("clean: distclean is for make and autotools trees; a CMake build directory is cleaned "
                            "with clean, and configured again at every build")
        launcher = ";".join(_launcher(params, account))
        configure_cmd = ["cmake", "-S", chdir, "-B", build_dir,
                         "-G", "Ninja" if params["cmake_generator"] == "ninja" else "Unix Makefiles",
                         "-DCMAKE_C_COMPILER=%s" % params["compiler"],
                         "-DCMAKE_CXX_COMPILER=%s" % params["cxx_compiler"],
                         "-DCMAKE_C_COMPILER_LAUNCHER=%s" % launcher,
                         "-DCMAKE_CXX_COMPILER_LAUNCHER=%s" % launcher] + list(params["configure_args"])
    if params["configure_args"] and build_system == "make":
        raise PlanError("configure_args are for autotools and cmake trees; %s is built with make alone (give make "
                        "variables in make_args, or set build_system)" % chdir)
    tool = "ninja" if build_system == "cmake" and params["cmake_generator"] == "ninja" else "make"
    # CMake is configured at every build (an existing cache makes it quick), autotools when not yet or after distclean
    needed = build_system == "cmake" or (build_system == "autotools"
                                         and (params["clean"] == "distclean" or not configured))
    return dict(build_system=build_system, kernel=kernel, build_dir=build_dir, configure_cmd=configure_cmd,
                configure_needed=needed, configured=configured, tool=tool)


def _launcher(params, account):
    """What goes in front of the compiler: distcc, the accounting program, both or nothing."""
    return ([account] if account else []) + ([params["client"]] if params["distcc"] else [])


def _compiler_words(params, layout, account=None):
    """CC=/CXX= for make (CMake puts distcc in front of the compiler itself, as its launcher)."""
    if layout["build_system"] == "cmake":
        return []
    prefix = "".join(word + " " for word in _launcher(params, account))
    words = ["CC=%s%s" % (prefix, params["compiler"])]
    if not layout["kernel"]:
        words.append("CXX=%s%s" % (prefix, params["cxx_compiler"]))
    return words


def plan(params, host_cpus=_effective_cpus, pump_installed=check_installed, check_mode=False):
    """Everything decided before anything runs, from the parameters and the tree's files.

    Returns the commands, the host lists, the environment and the tree's state files; raises
    PlanError (nothing changed) for parameters the build cannot run with. Reads files only, so
    that unit tests call it on a directory of their own. In check mode a client program that does
    not exist yet is taken (the play would build it first, as the distcc_master role does).
    """
    chdir = params["chdir"]
    state = TreeState(chdir)
    account = account_program_path(state.dir) if params["cpu_breakdown"] else None
    layout = _layout(params, account)
    _check_numbers(params)
    entries = _host_entries(params)
    pump = _pump_mode(params, entries, pump_installed)
    options = list(params["include_server_options"])
    if options and not pump:
        raise PlanError("include_server_options %s are for pump mode, and this build is not in pump mode (pump: %s); "
                        "drop them, or list workers with ,cpp,lzo" % (options, params["pump"]))
    own = [o for o in options if o.split("=", 1)[0] in ("--port", "--pid_file")]
    if own:
        raise PlanError("include_server_options may not set %s: the module gives the include server its socket and "
                        "pid file itself" % ", ".join(own))
    client = params["client"]
    if params["distcc"] and "/" in client and not os.path.isabs(client):
        raise PlanError("client must be the distcc client, a command or an absolute path to a program, got %r "
                        "(not an absolute path)" % client)
    if params["distcc"] and (not client.strip() or any(c.isspace() for c in client)
                             or ("/" in client and not check_mode
                                 and not (os.path.isfile(client) and os.access(client, os.X_OK)))):
        raise PlanError("client must be the distcc client, a command or an absolute path to a program, got %r%s"
                        % (client, "" if "/" not in client else " (no such executable file)"))
    jobs = _jobs(params, entries, host_cpus)
    kernel = layout["kernel"]
    lean_args, lean, host_cc = [], [], None
    if params["kbuild_lean"]:
        if not kernel:
            raise PlanError("kbuild_lean is for Linux kernel trees (Kbuild), and %s is not one; drop it" % chdir)
        lean_args, lean = kbuild_lean_args(chdir, params["make_args"])
        if pump and "--no_force_dirs" not in options:
            options.append("--no_force_dirs")
            lean.append("no_force_dirs")
        llvm = params["env"].get("LLVM", os.environ.get("LLVM", ""))
        if params["distcc"] and params["compiler"] == KBUILD_HOSTCC and not str(llvm).strip() \
                and not make_variables(params["make_args"]) & {"HOSTCC", "LLVM"}:
            # Kbuild's host programs (modpost, relocs, kconfig...) compiled on the workers too: a wrapper named
            # gcc first on make's PATH, with the host compiles' own client log (they are not the tree's objects)
            host_cc = dict(dir=os.path.abspath(state.path("host_cc")),
                           log=os.path.abspath(state.path("host_client_log")))
            lean.append("host_compiles")
    prepare = params["prepare"]
    if prepare is None:
        prepare = ["prepare"] if kernel else []
    # "[]" is an empty list written as key=value (prepare=[]): it names no target.
    prepare = [word for item in prepare for word in str(item).split() if word != "[]"]
    make_args = params["make_args"]
    if make_args and layout["tool"] != "make":
        raise PlanError("make_args %s are for make, and this tree builds with %s; drop them" % (make_args, layout["tool"]))
    ours = [a for a in make_args if a.split("=", 1)[0] in ("CC", "CXX")]
    if ours:
        raise PlanError("make_args may not set %s: the module sets the compiler words itself (see compiler, "
                        "cxx_compiler)" % ", ".join(ours))
    cmd = [layout["tool"], "-j%d" % jobs] + _compiler_words(params, layout, account) + list(make_args) + lean_args
    prepare_cmd = cmd + prepare if prepare else None
    if params["target"]:
        cmd.extend(params["target"].split())
    env = {k: str(v) for k, v in params["env"].items()}
    env.setdefault("DISTCC_IO_TIMEOUT", str(params["io_timeout"]))
    env.setdefault("DISTCC_BACKOFF_PERIOD", str(params["backoff_period"]))
    # Outside pump mode (and while the prepare targets are made) no host may carry ,cpp:
    # without an include server distcc would warn and preprocess on the master for each compile.
    hosts_text = " ".join(e["raw"] for e in entries) if pump else without_cpp(entries)
    env.update(DISTCC_LOG=state.path("client_log"), DISTCC_HOSTS=hosts_text if params["distcc"] else "", LC_ALL="C")
    if account:
        env[CPU_LOG_ENV] = state.path("cpu_log")
    if host_cc:
        env["PATH"] = host_cc["dir"] + os.pathsep + env.get("PATH", os.environ.get("PATH", os.defpath))
    backoff = env["DISTCC_BACKOFF_PERIOD"]
    return dict(
        chdir=chdir, kernel=kernel, entries=entries, pump=pump, jobs=jobs, prepare=prepare, cmd=cmd,
        prepare_cmd=prepare_cmd, env=env, state=state, build_system=layout["build_system"],
        build_dir=layout["build_dir"], tool=layout["tool"], configure_cmd=layout["configure_cmd"],
        configure_needed=layout["configure_needed"], configured=layout["configured"],
        prepare_hosts=without_cpp(entries) if params["distcc"] else "", account=account,
        backoff_period=int(backoff) if backoff.isdigit() else params["backoff_period"],
        include_server_options=options, kbuild_lean=lean, host_cc=host_cc,
    )


def _clean(module, params, p):
    """make (or ninja) clean, or make distclean (keeping a kernel's .config), before the timed build.

    A build directory that was never configured (the plan's ``configured``) has nothing to clean."""
    if not p["configured"]:
        return
    build_dir = p["build_dir"]
    config = os.path.join(build_dir, ".config")
    saved = _read(config) if params["clean"] == "distclean" and p["kernel"] and os.path.exists(config) else None
    rc, out, err = module.run_command([p["tool"], params["clean"]], cwd=build_dir)
    if rc != 0:
        module.fail_json(msg="%s %s failed (rc %d)" % (p["tool"], params["clean"], rc), rc=rc,
                         stdout_lines=(out + err).splitlines()[-TAIL_LINES:])
    if saved is not None:
        with open(config, "w") as handle:
            handle.write(saved)


def _configure(module, params, p, state):
    """configure or cmake, with the local compilers (their probes are not worth distributing); its seconds."""
    if not p["configure_needed"]:
        return None
    try:
        os.makedirs(p["build_dir"], exist_ok=True)
    except OSError as exc:
        module.fail_json(msg="cannot create the build directory %s: %s" % (p["build_dir"], exc))
    env = dict(p["env"], CC=params["compiler"], CXX=params["cxx_compiler"], DISTCC_HOSTS="localhost")
    env.pop("DISTCC_LOG", None)
    env.pop(CPU_LOG_ENV, None)
    start = time.monotonic()
    rc, out, err = module.run_command(p["configure_cmd"], cwd=p["build_dir"], environ_update=env)
    with open(state.path("configure_log"), "w") as handle:
        handle.write(out + err)
    if rc != 0:
        module.fail_json(msg="%s failed (rc %d) in %s; see the last lines below and %s"
                         % (os.path.basename(p["configure_cmd"][0]), rc, p["build_dir"], state.path("configure_log")),
                         rc=rc, stdout_lines=(out + err).splitlines()[-TAIL_LINES:])
    return time.monotonic() - start


def _write_host_cc(module, params, host_cc, lock):
    """The wrapper named like Kbuild's HOSTCC in its own directory (kbuild_lean), rewritten at every build."""
    path = os.path.join(host_cc["dir"], KBUILD_HOSTCC)
    try:
        os.makedirs(host_cc["dir"], exist_ok=True)
        with open(path + ".new", "w") as handle:
            handle.write(host_compiler_wrapper(host_cc["dir"], params["client"], host_cc["log"]))
        os.chmod(path + ".new", 0o755)
        os.rename(path + ".new", path)
    except OSError as exc:
        lock.close()
        module.fail_json(msg="cannot write %s: %s (is chdir writable by this user?)" % (path, exc))


def run(module, params, p):
    """Lock the tree, clean it, configure it, make the prepare targets then the build (with the include
    server in pump mode) under the timeout, keeping the progress file current; returns what was measured."""
    state = p["state"]
    try:
        os.makedirs(state.dir, exist_ok=True)
    except OSError as exc:
        module.fail_json(msg="cannot create %s: %s (is chdir writable by this user?)" % (state.dir, exc))
    lock = _lock(module, state.path("lock"))
    for name in ("client_log", "progress", "cpu_log", "host_client_log"):
        if os.path.exists(state.path(name)):
            os.unlink(state.path(name))
    if p["account"]:  # before anything changes in the tree
        env = dict(os.environ, **p["env"])
        for name in [k for k in env if k.startswith("DISTCC_") or k == CPU_LOG_ENV]:
            del env[name]
        if p["host_cc"]:  # the master's own gcc builds it, not the host compiles' wrapper
            env["PATH"] = os.pathsep.join(d for d in env["PATH"].split(os.pathsep) if d != p["host_cc"]["dir"])
        try:
            build_account_program(p["account"], params["compiler"], env)
        except (AccountError, OSError) as exc:
            lock.close()
            module.fail_json(msg="cpu_breakdown: %s. Nothing was changed or built; build without cpu_breakdown, or "
                                 "give a compiler that makes programs for the master" % exc)
    if p["host_cc"]:  # after the accounting program, which the master's own gcc builds
        _write_host_cc(module, params, p["host_cc"], lock)
    backoff_at_start = _clear_backoff(p["env"], p["entries"], p["backoff_period"]) if params["distcc"] else []
    if params["clean"] != "none":
        _clean(module, params, p)
    configure_seconds = _configure(module, params, p, state)

    measured = dict(started_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), backoff_at_start=backoff_at_start,
                    prepare_seconds=0.0, failed_in_prepare=False, rc=0, pump_messages="",
                    configure_seconds=configure_seconds)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    host_before = _host_cpu_used()
    progress = _Progress(state.path("progress"), state.path("client_log"), params["distcc"])
    deadline = progress.start + params["timeout"]
    outputs = []

    def make(argv, extra_env):
        # make runs under coreutils' timeout (TERM, then KILL 20 s later) for what is left of
        # the build's time; the progress thread keeps the progress file current meanwhile.
        left = max(1, int(math.ceil(deadline - time.monotonic())))
        code, out, err = module.run_command(["timeout", "--kill-after=20", str(left)] + argv, cwd=p["build_dir"],
                                            environ_update=dict(p["env"], **extra_env))
        outputs.append(out + err)
        return code

    with progress:
        if p["prepare_cmd"]:
            measured["rc"] = make(p["prepare_cmd"], {"DISTCC_HOSTS": p["prepare_hosts"]})
            measured["prepare_seconds"] = time.monotonic() - progress.start
            measured["failed_in_prepare"] = measured["rc"] != 0
        progress.phase = "build"
        include_server, pump_env = None, {}
        if measured["rc"] == 0 and p["pump"]:
            include_server = IncludeServer(params["pump_path"], options=p["include_server_options"],
                                           env=params["env"])  # the caller's env, not the build's PATH and logs
            try:
                pump_env = include_server.start()
            except PumpError as exc:
                lock.close()
                module.fail_json(msg="%s. Nothing was built." % exc)
        if measured["rc"] == 0:
            try:
                measured["rc"] = make(p["cmd"], pump_env)
            finally:
                if include_server is not None:
                    measured["pump_messages"] = include_server.stop()
                    measured["include_server_cpu"] = (include_server.startup_cpu_seconds,
                                                      include_server.server_cpu_seconds)
    measured["wall"] = time.monotonic() - progress.start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    host_after = _host_cpu_used()
    measured.update(user=after.ru_utime - before.ru_utime, sys=after.ru_stime - before.ru_stime,
                    host_cpu=host_after - host_before if None not in (host_before, host_after) else None,
                    timed_out=measured["rc"] in (124, 137))
    with open(state.path("make_log"), "w") as handle:
        handle.write("".join(outputs))
    if p["pump"]:
        with open(state.path("include_server_log"), "w") as handle:
            handle.write(measured["pump_messages"])
    measured["counts"] = progress.final()
    if p["host_cc"]:
        counts = parse_client_log(_read(p["host_cc"]["log"]))
        measured["host_compiles"] = dict(compiles=counts["objects"], remote=counts["remote_objects"],
                                         jobs_per_host=counts["jobs_per_host"])
    if p["account"]:
        counts = measured["counts"]
        measured["cpu_breakdown"] = breakdown(
            measured["host_cpu"], measured["user"] + measured["sys"], parse_account_log(_read(state.path("cpu_log"))),
            measured.get("include_server_cpu"), counts["objects"],
            # every object distcc compiled had its client process, each of which wrote a line
            compiles=counts["objects"] if params["distcc"] else None)
    lock.seek(0)
    lock.truncate()
    lock.close()
    return measured


def facts(params, p, measured, make_value):
    """The distcc_build facts of a finished build (make_value(target): a value the tree's Makefile prints)."""
    counts = measured["counts"]
    chdir = p["chdir"]
    artifact = params["artifact"]
    if artifact is None and p["kernel"]:
        artifact = make_value("image_name") or "vmlinux"
    artifact = os.path.join(p["build_dir"], artifact) if artifact else None
    marker = _read(os.path.join(chdir, ".distrant-config-target")).strip()
    return dict(
        wall_seconds=round(measured["wall"], 2),
        build_system=p["build_system"],
        build_dir=p["build_dir"],
        configure_seconds=round(measured["configure_seconds"], 2) if measured["configure_seconds"] is not None else None,
        prepare_seconds=round(measured["prepare_seconds"], 2),
        prepare_targets=p["prepare"],
        user_seconds=round(measured["user"], 2),
        sys_seconds=round(measured["sys"], 2),
        host_cpu_seconds=round(measured["host_cpu"], 2) if measured["host_cpu"] is not None else None,
        jobs=p["jobs"],
        hosts=p["env"]["DISTCC_HOSTS"],
        backoff_period=p["backoff_period"],
        backoff_at_start=measured["backoff_at_start"],
        jobs_per_host=counts["jobs_per_host"],
        remote_objects=counts["remote_objects"],
        remote_share=_remote_share(counts) if params["distcc"] else None,
        local_reasons=counts["local_reasons"],
        local_fallbacks=counts["local_fallbacks"],
        failed_remote=counts["failed_remote"],
        objects=counts["objects"],
        pump=p["pump"],
        remote_preprocessed=counts["remote_preprocessed"],
        pump_fallbacks=counts["pump_fallbacks"],
        pump_switched_off=counts["pump_switched_off"],
        rc=measured["rc"],
        artifact=artifact,
        artifact_bytes=(os.path.getsize(artifact) if os.path.isfile(artifact) else 0) if artifact else None,
        kernel_version=make_value("kernelversion") if p["kernel"] else None,
        config=(marker or "unknown") if p["kernel"] else (marker or None),
        distcc=params["distcc"],
        started_at=measured["started_at"],
        client_log=p["state"].path("client_log"),
        cpu_breakdown=measured.get("cpu_breakdown"),
        kbuild_lean=p["kbuild_lean"],
        host_compiles=measured.get("host_compiles"),
        client=params["client"] if params["distcc"] else None,
        make_log=p["state"].path("make_log"),
    )


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    try:
        p = plan(params, check_mode=module.check_mode)
    except PlanError as exc:
        module.fail_json(msg=str(exc))
    result = dict(changed=False, cmd=p["cmd"], prepare_cmd=p["prepare_cmd"], configure_cmd=p["configure_cmd"],
                  build_system=p["build_system"], build_dir=p["build_dir"], stdout_lines=[])
    if module.check_mode:
        steps = (["%s %s" % (p["tool"], params["clean"])] if params["clean"] != "none" else []) + \
                ([" ".join(p["configure_cmd"])] if p["configure_needed"] else []) + \
                ([" ".join(p["prepare_cmd"])] if p["prepare_cmd"] else []) + [" ".join(p["cmd"])]
        result.update(changed=True, msg="would run %s in %s with DISTCC_HOSTS=%r%s"
                      % (", then ".join(steps), p["build_dir"], p["env"]["DISTCC_HOSTS"], " in pump mode" if p["pump"] else "")
                      + (", the master's CPU measured by %s (built first when missing)" % p["account"]
                         if p["account"] else "")
                      + (", Kbuild's host compiles through %s/gcc (written first, first on make's PATH)"
                         % p["host_cc"]["dir"] if p["host_cc"] else ""))
        module.exit_json(**result)

    measured = run(module, params, p)
    build = facts(params, p, measured, lambda target: _make_value(module, p["build_dir"], target))
    counts = measured["counts"]
    result.update(changed=True, stdout_lines=_tail(build["make_log"]), ansible_facts=dict(distcc_build=build))
    warning = _stranded_warning(counts, p["entries"], build["client_log"]) if params["distcc"] else None
    if warning:
        module.warn(warning)
    if build["cpu_breakdown"] and not build["cpu_breakdown"]["complete"]:
        lines = build["cpu_breakdown"]["client_processes"]
        module.warn("cpu_breakdown: %d compiles but %d lines in %s (a process killed, or a log it could not write); "
                    "the client's and make's shares are left out" % (counts["objects"], lines, p["state"].path("cpu_log")))
    rc = measured["rc"]
    if measured["timed_out"]:
        module.fail_json(msg="the build did not finish within %d s and was stopped; the tree is as make left it"
                         % params["timeout"], rc=rc, **result)
    if rc != 0:
        module.fail_json(msg="%s %sfailed (rc %d) in %s; the tree is as %s left it, see the last lines below and %s"
                         % (p["tool"], "%s (the prepare step) " % " ".join(p["prepare"]) if measured["failed_in_prepare"]
                            else "", rc, p["build_dir"], p["tool"], build["make_log"]), rc=rc, **result)
    share = build["remote_share"]
    if params["min_remote_share"] > 0 and share is not None and share < params["min_remote_share"]:
        module.fail_json(msg="only %d of %d objects distcc could distribute (%.1f%%) were compiled on the workers, "
                             "less than min_remote_share %s; on the master: %s. The build itself succeeded; see %s"
                         % (counts["remote_objects"], distributable(counts), 100 * share, params["min_remote_share"],
                            format_reasons(counts["local_reasons"]) or "none",
                            build["client_log"]), remote_share_failed=True, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
