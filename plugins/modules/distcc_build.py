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
      - Entries are C(localhost[/LIMIT]), C(HOST[:PORT][/LIMIT][,OPTIONS]) (TCP) or
        C([USER]@HOST[/LIMIT][:COMMAND][,OPTIONS]) (SSH, in that order - distcc ignores a C(/LIMIT) after the
        options without a word); IPv4 addresses or names. An SSH entry's port, key and host key come from ssh's
        configuration (the master role's, named by C(DISTCC_SSH) in O(env)).
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
    description:
      - C(false) builds locally with the same command otherwise (the baseline).
      - A local build counts its objects too, through a small program in front of the compiler (C(<count> gcc),
        built with O(compiler), else the master's C(cc), into C(<chdir>/.distrant/) on first use) that logs each
        compiler run's command line and then becomes the compiler (one exec, well under a millisecond per
        compile). When no such program can be built the build runs uncounted (RV(ansible_facts.distcc_build.objects)
        0) and the task warns why.
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
  unreachable_timeout:
    description:
      - Seconds the action plugin goes on polling a master that does not answer its polls (an SSH connection
        that fails, C(sudo) too slow to answer, as in C(Timeout waiting for privilege escalation prompt)), while the
        build goes on there. A poll without answer is retried after 2, 4 and 8 s, then every 10 s, each retry
        printed with how long the master has been silent, since when and why; when the master answers again the
        task goes on and returns the build's result.
      - A master silent for longer (or past the build's O(timeout) and 180 s) ends the task as unreachable, as
        Ansible ends any task whose host it cannot reach, with a message that the build may still be running and
        where its job file (its result and facts once it ends), progress file, make log and client log are on the
        host. C(0) gives up at the first poll without answer.
      - Only with the action plugin's polling, that is not with C(async) set on the task nor in check mode.
    type: int
    default: 300
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
        does not use Debian's C(distcc-pump) wrapper, which is broken on Python >= 3.10 (see docs/design.md).
      - A host with C(,cpp) must also have C(,lzo) (distcc requires it and otherwise compiles locally).
      - A tree that is not a kernel is read first for headers pump mode cannot cover, a computed
        C(#include_next MACRO); distcc 3.4's include server leaves the header it names out of what it sends,
        so a compile that needs it fails on the worker (and distcc switches pump mode off halfway) or uses a
        header of the worker's system. With C(auto) such a tree is built in plain distcc mode from the start,
        with one warning; C(true) builds it in pump mode anyway, also with a warning. See
        RV(ansible_facts.distcc_build.pump_blockers).
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
      - The default, 10 s, was measured in the lab (see docs/benchmarks.md); one failed compile no longer sends every
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
  ccache:
    description:
      - Put ccache in front of the distcc client, for warm rebuilds (the same tree after C(make clean), a branch
        switched back, another tree of the same commit). The compiler words become C(ccache gcc) (C(<account>
        ccache gcc) with O(cpu_breakdown), and the compilers' launcher of a CMake tree) and C(CCACHE_PREFIX) is
        O(client) (in a local build, the program that counts its objects), so that a compile ccache misses is
        compiled by distcc, on the workers, as without ccache; a hit runs no compiler anywhere.
      - ccache runs in depend mode (C(CCACHE_DEPEND=1)); it never runs the preprocessor for a compile whose
        command line writes a dependency file (C(-MD), C(-MMD), or C(-Wp,-MD,...)/C(-Wp,-MMD,...) as Kbuild
        passes), and in pump mode the workers still preprocess. For a compile without one, ccache 4.7 logs
        C(Disabling depend mode), runs the preprocessor on the master to look the result up (the direct mode's
        lookup first) and then compiles through distcc as usual; the facts count those compiles
        (C(preprocessed_on_master) of RV(ansible_facts.distcc_build.ccache)) and the task warns.
      - The counters of this build alone come from a stats log of its own (C(CCACHE_STATSLOG), in
        C(<chdir>/.distrant/)), not from ccache's counters of the cache directory, which other builds sharing
        it change at the same time; the whole cache's size is read after the build.
      - Needs ccache 4 on the master (Debian's package C(ccache)); the task fails before anything is changed
        when it is missing. In check mode a missing ccache is taken as installed by an earlier task.
      - The compiler words change with it, so a build with O(clean=none) after one without (or the other way
        round) makes Kbuild compile everything again (from the cache, when it has the objects).
      - ccache keeps the headers' hashes between compiles (C(CCACHE_INODECACHE=1), by device, inode, size and
        times). A kernel object names 300 to 700 headers in its dependency file, hashed once per build instead of
        at every compile; this cuts ccache's own CPU per miss by about a third. C(CCACHE_NOINODECACHE=1) or
        C(CCACHE_INODECACHE=false) in C(env) or in the task's environment turns it off (it overrides
        C(inode_cache) of ccache.conf otherwise).
      - C(env) may not set C(CCACHE_PREFIX), C(CCACHE_DEPEND) or C(CCACHE_STATSLOG); other ccache settings
        (C(CCACHE_SLOPPINESS), C(CCACHE_COMPILERCHECK), ...) pass through it.
      - With O(cpu_breakdown), C(client_seconds) is ccache's and what it runs (the distcc client of each miss).
        Kbuild's host compiles (O(kbuild_lean)) do not go through ccache.
    type: bool
    default: false
  ccache_dir:
    description:
      - The cache directory (C(CCACHE_DIR)), created when missing; it must be writable by the build's user. Builds
        of several users or trees may share it (their counters are apart, see O(ccache)).
      - By default ccache's own (its configuration's C(cache_dir), else C(~/.cache/ccache) of the build's user).
      - Only with O(ccache).
    type: path
  ccache_max_size:
    description:
      - The cache's maximum size (C(CCACHE_MAXSIZE)) for the ccache runs of this build, e.g. C(20G), C(500M)
        (ccache's suffixes k, M, G, T and Ki, Mi, Gi, Ti; C(0) for no limit); ccache evicts the oldest entries
        beyond it. By default the cache's configuration (ccache's default is 5 GB).
      - Only with O(ccache).
    type: str
  ccache_remote_storage:
    description:
      - ccache's remote storage (C(CCACHE_REMOTE_STORAGE)), shared by the masters, e.g.
        C(redis://:secret@10.200.1.5:6379) or C(http://10.200.1.5:8080/ccache), with ccache's attributes after
        C(|) (C(|connect-timeout=100|operation-timeout=2000)); several separated by spaces. The installed
        ccache must have the storage (C(ccache --version)'s features, Debian 12's 4.7 has C(http) and
        C(redis)); the task fails before the build otherwise, and for a URL ccache cannot parse (no host, a
        port that is no number), with which ccache 4.7 fails every compile (it says C(Cannot parse URL)).
      - A remote storage that fails never fails the build; ccache counts the failure and goes on with the local
        cache alone, and the task warns (C(remote_storage) of RV(ansible_facts.distcc_build.ccache)). Measured with
        ccache 4.7.5; a refused connection costs nothing noticeable, while a server that accepts the connection
        and never answers costs each compile the local cache misses ccache's C(operation-timeout) once (10 s by
        default, after which that compile's ccache no longer asks it), so give a shared cache a short
        C(operation-timeout). A hit in the local cache does not ask the remote storage.
      - User names and passwords in it are left out of the facts and messages.
      - Only with O(ccache).
    type: str
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

- name: A warm rebuild through ccache, with a cache the masters share
  distrant.distcc.distcc_build:
    chdir: /srv/distcc-build/linux-6.1
    clean: clean
    ccache: true
    ccache_dir: /var/cache/distrant-ccache
    ccache_max_size: 20G
    ccache_remote_storage: "http://10.200.1.5:8080/ccache|operation-timeout=2000"

- name: A directory target with explicit hosts
  distrant.distcc.distcc_build:
    chdir: /srv/distcc-build/linux-6.1
    target: kernel/
    hosts: 10.200.1.3/8,lzo
    jobs: 8
"""

RETURN = r"""
unanswered_polls:
  description:
    - Each time the master did not answer the action plugin's polls while the build ran (see O(unreachable_timeout)),
      in order; empty when every poll was answered. Not returned with C(async) set on the task nor in check mode.
  returned: when the action plugin polled the build
  type: list
  elements: dict
  contains:
    since:
      description: When the first poll without answer was sent, on the controller's clock (HH:MM:SS).
      type: str
    seconds:
      description: How long the master was silent, from that poll to the end of the last one without answer.
      type: int
    polls:
      description: Polls without answer in a row.
      type: int
    reason:
      description: Why the last one got no answer (the connection's or privilege escalation's message).
      type: str
  sample: [{"since": "07:12:02", "seconds": 26, "polls": 3, "reason": "Timeout (12s) waiting for privilege escalation prompt"}]
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
        transport:
          description:
            - How the build reached its workers - C(tcp) (distccd's port, C(HOST/LIMIT) entries), C(ssh)
              (C([USER]@HOST/LIMIT) entries, ssh running C(distccd --inetd) on the worker) or C(mixed) (both).
            - None for a local build and for a host list of localhost alone.
          type: str
          returned: always
          sample: ssh
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
              (RV(ansible_facts.distcc_build.objects) minus C(not_distributable) and minus
              RV(ansible_facts.distcc_build.cache_hits)); null when there were none.
          type: float
          returned: always
          sample: 1.0
        local_reasons:
          description:
            - Objects compiled on the master, by reason (from the client log); a reason with no object is left
              out. The counts plus RV(ansible_facts.distcc_build.remote_objects) (plus
              RV(ansible_facts.distcc_build.cache_hits) with O(ccache)) add up to
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
            - C(local_build) - a local build (O(distcc=false)), every object, compiled on the master by choice.
          type: dict
          returned: always
          sample: {"not_distributable": 1}
        pump_switched_off:
          description: Pump mode was given up for the rest of the build after a discrepancy (C(now using plain distcc)).
          type: bool
          returned: always
          sample: false
        pump_blockers:
          description:
            - The headers of a tree that is not a kernel that pump mode cannot cover (a computed
              C(#include_next MACRO)), read before the build when pump mode would be used; C(count) of them,
              the C(first) ten (C(file), C(line), C(text), C(reason)), and C(plain_from_start), true when
              O(pump=auto) built the tree in plain distcc mode because of them.
            - A count of 0 and C(plain_from_start) false when none were found or the tree was not read (a kernel
              tree, a build without pump mode).
          type: dict
          returned: always
          sample: {"count": 1, "first": [{"file": "lib/wrap.h", "line": 3, "text": "#include_next WRAPPED_H",
                   "reason": "computed #include_next (the include server leaves its header out)"}],
                   "plain_from_start": true}
        pump_not_covered:
          description:
            - The compiles the include server gave up on in pump mode (its C(Include server not covering) lines, kept
              in C(include_server.log) of the tree's state directory), C(count), and the C(first) ten
              (C(translation_unit), C(reason)). Each such file was preprocessed on the master and compiled on a
              worker; with the role's include server (patches 0007 and 0008) a give-up no longer cuts a later
              file's headers, so this is a cost on the master, not a switch-off of pump mode.
            - A count of 0 without pump mode.
          type: dict
          returned: always
          sample: {"count": 1, "first": [{"translation_unit": "lib/selinux-at.c",
                   "reason": "File: 'lib/selinux/selinux.h': include_next not parsed"}]}
        jobs_per_host:
          description:
            - Compiles completed on each host, localhost included (from the client log).
            - A local build (O(distcc=false)) has them all on C(localhost), from its compile log.
            - With O(ccache), the objects ccache served from its cache, compiled nowhere, are in a bucket of their
              own, C(cache_hits) (only when there are), so that the values still add up to
              RV(ansible_facts.distcc_build.objects); the progress line shows it beside the hosts.
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
          description:
            - Compiles of a source file that completed (the sum of RV(ansible_facts.distcc_build.jobs_per_host));
              compiler probes (of C(/dev/null) or stdin), links and preprocessing are not objects.
            - With O(ccache), the objects served from the cache count too (RV(ansible_facts.distcc_build.cache_hits)),
              so that they are RV(ansible_facts.distcc_build.remote_objects) plus the counts of
              RV(ansible_facts.distcc_build.local_reasons) plus the cache hits.
            - With distcc, from distcc's client log (C(DISTCC_LOG)). In a local build (O(distcc=false)), from the
              compile log of the program in front of the compiler (C(<chdir>/.distrant/compile.log)), counted the
              same way, all on C(localhost) for the reason C(local_build); 0 only when that program could not be
              built (the task warns).
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
              failure, compiler probes of the build system). In a local build (O(distcc=false)), the compiler
              (and the program that counts its objects).
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
        cache_hits:
          description:
            - With O(ccache), the objects ccache served from its cache (local or remote storage) and no compiler
              made, on the master or a worker; they have no line in distcc's client log, are counted in
              RV(ansible_facts.distcc_build.objects) and in the C(cache_hits) bucket of
              RV(ansible_facts.distcc_build.jobs_per_host), and in no local reason. 0 without O(ccache).
          type: int
          returned: always
          sample: 437
        ccache:
          description:
            - With O(ccache), ccache's counters of this build alone (from its own stats log, see O(ccache)), with its
              settings and the whole cache's size after it; null without O(ccache).
            - C(hits) - compiles served from the cache, C(direct_hits) without running the preprocessor (depend
              mode's hits, which ccache counts as direct), C(preprocessed_hits) after running it on the master.
            - C(misses) - compiles ccache did not find, compiled through distcc and stored.
            - C(uncacheable) - compiler runs ccache passed on to distcc as they were, C(uncacheable_reasons) by
              ccache's counter (C(called_for_link), C(called_for_preprocessing), C(multiple_source_files),
              C(no_input_file) for compiler probes, C(compile_failed), C(unsupported_compiler_option), ...).
            - C(errors), C(error_reasons) - ccache's own errors (C(internal_error), C(missing_cache_file),
              C(could_not_find_compiler), ...).
            - C(preprocessed_on_master) - compiles for which depend mode could not be used (no C(-MD)/C(-MMD))
              and ccache ran the preprocessor on the master (hit or miss); 0 when every compile writes its
              dependency file, as in Kbuild.
            - C(remote_storage) - with O(ccache_remote_storage), its C(url) (without credentials) and its C(hits),
              C(misses), C(errors) and C(timeouts) (ccache 4.7 counts an HTTP server that does not answer in
              time as an error; ccache 4.11 counts a failed lookup as a miss as well as an error); null without it.
            - C(program), C(dir) (the cache directory used), C(max_size) (O(ccache_max_size), null for the cache's
              configuration), C(stats_log), C(cache_size_kib) and C(cache_files) (the whole cache after the build,
              the entries of other builds included, null when C(ccache --print-stats) could not be read).
          type: dict
          returned: always
          sample: {"hits": 437, "direct_hits": 437, "preprocessed_hits": 0, "misses": 14, "uncacheable": 3,
                   "uncacheable_reasons": {"called_for_link": 3}, "errors": 0, "error_reasons": {},
                   "preprocessed_on_master": 0,
                   "remote_storage": {"url": "redis://***@10.200.1.5:6379", "hits": 420, "misses": 31,
                                      "errors": 0, "timeouts": 0},
                   "program": "/usr/bin/ccache", "dir": "/var/cache/distrant-ccache", "max_size": "20G",
                   "stats_log": "/srv/distcc-build/linux-6.1/.distrant/ccache-stats.log",
                   "cache_size_kib": 51234, "cache_files": 912}
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

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distrant.distcc.plugins.module_utils._build_plan import PlanError, plan
from ansible_collections.distrant.distcc.plugins.module_utils._build_run import facts, report, result, run, would
from ansible_collections.distrant.distcc.plugins.module_utils._tree import BUILD_SYSTEMS

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
    unreachable_timeout=dict(type="int", default=300),
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
    ccache=dict(type="bool", default=False),
    ccache_dir=dict(type="path"),
    ccache_max_size=dict(type="str"),
    ccache_remote_storage=dict(type="str", no_log=True),
)


def _make_value(module, chdir, target):
    """The last line make prints for a target of the tree's Makefile ("" when it prints nothing or fails)."""
    rc, out, dummy = module.run_command(["make", "-s", target], cwd=chdir)
    return out.strip().splitlines()[-1] if rc == 0 and out.strip() else ""


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        p = plan(module.params, check_mode=module.check_mode)
    except PlanError as exc:
        module.fail_json(msg=str(exc))
    if module.check_mode:
        module.exit_json(msg=would(p), **result(p))
    measured = run(module, p)
    report(module, p, measured, facts(p, measured, lambda target: _make_value(module, p.build_dir, target)))


if __name__ == "__main__":
    main()
