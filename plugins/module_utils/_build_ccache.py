# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""distcc_build's ccache option: ccache in front of the distcc client, in depend mode, with the build's own
stats log (what it decides in the plan, sets up, reads after the build and reports; see _ccache for ccache's
formats).

The compiler words become ``ccache <compiler>`` (after cpu_breakdown's accounting program when there is one)
and ``CCACHE_PREFIX`` is the distcc client (a local build: the program that counts its objects), so that a
compile ccache misses is compiled by distcc as without ccache. ``CCACHE_DEPEND=1``: ccache looks results up
from the source and the headers the compiler's dependency file (``-MD``/``-MMD``) named at the last compile,
and never runs the preprocessor for a compile that has one, so pump mode still preprocesses on the workers.
``CCACHE_INODECACHE=1`` (unless env or the environment sets it or ``CCACHE_NOINODECACHE``): headers' hashes are
kept between compiles.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Optional

from ansible_collections.distrant.distcc.plugins.module_utils._build_types import PlanError
from ansible_collections.distrant.distcc.plugins.module_utils._ccache import (
    INODE_CACHE_ENV,
    MAX_SIZE,
    NO_INODE_CACHE_ENV,
    OWN_ENV,
    STATS_LOG_ENV,
    CcacheError,
    cache_totals,
    find_ccache,
    read_stats_log,
    redact,
    storage_schemes,
    summary,
    url_problems,
    version_info,
)

OPTIONS = (("ccache_dir", "CCACHE_DIR"), ("ccache_max_size", "CCACHE_MAXSIZE"),
           ("ccache_remote_storage", "CCACHE_REMOTE_STORAGE"))
MIN_VERSION = (4, 0)  # the stats log and the counter ids read here are ccache 4's


@dataclass
class CcacheSettings:
    """ccache's part of the Plan."""

    program: str  # the ccache program (found on PATH; in check mode "ccache" when not installed yet)
    prefix: str  # CCACHE_PREFIX: the distcc client, or a local build's counting program
    stats_log: str  # CCACHE_STATSLOG, in the tree's .distrant/
    dir: Optional[str] = None  # CCACHE_DIR (None: ccache's own, from its configuration or the user's home)
    max_size: Optional[str] = None  # CCACHE_MAXSIZE
    remote_storage: Optional[str] = None  # CCACHE_REMOTE_STORAGE


class Ccache:
    """ccache in front of the distcc client (the ccache option)."""

    @staticmethod
    def plan(state, params, prefix, find=find_ccache, versions=version_info, check_mode=False):
        """The settings (None without the ccache option); PlanError before anything changed for what cannot run."""
        given = [name for name, dummy in OPTIONS if params.get(name) not in (None, "")]
        if not params.get("ccache"):
            if given:
                raise PlanError("%s %s for ccache: true; set ccache: true, or drop %s"
                                % (", ".join(given), "is" if len(given) == 1 else "are",
                                   "it" if len(given) == 1 else "them"))
            return None
        env = params["env"]
        own = [name for name in OWN_ENV if name in env]
        if own:
            raise PlanError("env may not set %s with ccache: true: the module sets it (ccache in depend mode, distcc "
                            "as its prefix, the build's stats log)" % ", ".join(own))
        twice = ["%s (%s)" % (name, variable) for name, variable in OPTIONS if name in given and variable in env]
        if twice:
            raise PlanError("%s given both as an option and in env; give it once" % ", ".join(twice))
        max_size = params.get("ccache_max_size")
        if max_size not in (None, "") and not MAX_SIZE.match(str(max_size).strip()):
            raise PlanError("ccache_max_size must be a size ccache reads, a number with k, M, G, T, Ki, Mi, Gi or Ti "
                            "(e.g. 20G; 0 for no limit), got %r" % max_size)
        remote = params.get("ccache_remote_storage") or None
        problems = url_problems(remote or "")
        if problems:
            raise PlanError("ccache_remote_storage: %s; ccache would fail every compile with it. Write it as "
                            "redis://[:PASSWORD@]HOST[:PORT] or http://HOST[:PORT]/PATH" % "; ".join(problems))
        program = find(env.get("PATH", os.environ.get("PATH", os.defpath)))
        if program is None:
            if not check_mode:
                raise PlanError("ccache: true but there is no ccache program on this host's PATH; install the ccache "
                                "package (apt-get install ccache), or build without ccache. Nothing was changed.")
            program = "ccache"  # the play installs it before this task runs for real
        else:
            try:
                version, features = versions(program)
            except CcacheError as exc:
                raise PlanError("ccache: true but %s. Nothing was changed." % exc)
            if version < MIN_VERSION:
                raise PlanError("ccache: true needs ccache 4.0 or newer (its stats log), %s is %s; install a newer "
                                "ccache package" % (program, ".".join(str(n) for n in version)))
            unsupported = [s for s in storage_schemes(remote or "") if "%s-storage" % s not in features]
            if unsupported:
                raise PlanError("ccache_remote_storage %s: the installed ccache (%s) has no %s storage (its features: "
                                "%s)" % (redact(remote), program, ", ".join(unsupported),
                                         ", ".join(sorted(features)) or "none"))
        return CcacheSettings(program=program, prefix=prefix, stats_log=state.path("ccache_stats_log"),
                              dir=params.get("ccache_dir") or None,
                              max_size=str(max_size).strip() if max_size not in (None, "") else None,
                              remote_storage=remote)

    @staticmethod
    def compiler(cc, name, params):
        """The compiler word behind ccache: the compiler's absolute path on the build's PATH (a name with a / as it is).

        ccache finds a bare name on make's PATH, where kbuild_lean puts a wrapper named gcc first (rewritten at every
        build): its mtime would change ccache's hash of the compiler at every build (no hit ever), and ccache hands
        its prefix, the distcc client, the wrapper's path, which distccd's whitelist refuses (only names, and
        /usr/bin/NAME, are taken). The real compiler's path is hashed by its own mtime and size (an upgrade misses)
        and distccd takes /usr/bin/gcc as gcc. Without ccache, or not found (check mode), the name as it is."""
        if not cc or "/" in name:
            return name
        return shutil.which(name, path=params["env"].get("PATH", os.environ.get("PATH", os.defpath))) or name

    @staticmethod
    def env(plan):
        """ccache's settings in the build's environment (none without the option)."""
        cc = plan.ccache
        if not cc:
            return
        plan.env.update(CCACHE_PREFIX=cc.prefix, CCACHE_DEPEND="1", CCACHE_STATSLOG=cc.stats_log)
        # each header's hash kept between compiles (by device, inode, size and times): a kernel object's 300 to 700
        # headers are hashed once per build, not at every compile (a third of ccache's CPU per miss)
        # (unless the build's env or this process's environment says otherwise, either way)
        if not any(name in env for env in (plan.env, os.environ) for name in (INODE_CACHE_ENV, NO_INODE_CACHE_ENV)):
            plan.env[INODE_CACHE_ENV] = "1"
        for name, value in (("CCACHE_DIR", cc.dir), ("CCACHE_MAXSIZE", cc.max_size),
                            ("CCACHE_REMOTE_STORAGE", cc.remote_storage)):
            if value is not None:
                plan.env[name] = value

    @staticmethod
    def setup(module, plan):
        """The cache directory, created when missing and writable by this user, before anything changes in the tree."""
        cc = plan.ccache
        if not cc or not cc.dir:
            return
        try:
            os.makedirs(cc.dir, exist_ok=True)
        except OSError as exc:
            module.fail_json(msg="ccache_dir %s cannot be created: %s. Nothing was changed or built; give a directory "
                                 "this user may write (the distcc_master role makes it)" % (cc.dir, exc))
        if not os.access(cc.dir, os.W_OK | os.X_OK):
            module.fail_json(msg="ccache_dir %s is not writable by this user (uid %d). Nothing was changed or built; "
                                 "make it the build user's (or a group's it is in, with mode 2775)"
                                 % (cc.dir, os.getuid()))

    @staticmethod
    def finish(plan, measured):
        """The counters of the build's own stats log, the settings, and the whole cache's size after it."""
        cc = plan.ccache
        if not cc:
            return
        log = read_stats_log(cc.stats_log)
        stats = summary(log.counters, log.preprocessed_sources)
        env = dict(os.environ, **plan.env)
        env.pop(STATS_LOG_ENV, None)
        totals = cache_totals(cc.program, env) or {}
        remote = dict(stats.pop("remote_storage"), url=redact(cc.remote_storage)) if cc.remote_storage else None
        measured.ccache = dict(stats, remote_storage=remote, program=cc.program, dir=_cache_dir(cc, env),
                               max_size=cc.max_size, stats_log=cc.stats_log, cache_size_kib=totals.get("size_kib"),
                               cache_files=totals.get("files"))

    @staticmethod
    def facts(plan, measured):
        return dict(ccache=measured.ccache, cache_hits=measured.counts.get("cache_hits", 0))

    @staticmethod
    def warnings(plan, measured):
        """What the task warns of: compiles ccache preprocessed on the master, remote storage that failed."""
        stats = measured.ccache
        if not stats:
            return []
        found = []
        if stats["preprocessed_on_master"]:
            found.append("ccache preprocessed %d compiles on the master: their command lines have no -MD or -MMD, so "
                         "its depend mode could not be used for them (pump mode or not); add -MD to the compile flags "
                         "to keep preprocessing off the master" % stats["preprocessed_on_master"])
        remote = stats["remote_storage"]
        if remote and remote["errors"] + remote["timeouts"]:
            found.append("ccache's remote storage %s failed %d times (errors %d, timeouts %d): those compiles went on "
                         "with the local cache alone, the build did not fail; is the cache host up?"
                         % (remote["url"], remote["errors"] + remote["timeouts"], remote["errors"], remote["timeouts"]))
        return found

    @staticmethod
    def would(plan):
        cc = plan.ccache
        if not cc:
            return ""
        return (", through %s in depend mode (CCACHE_PREFIX=%s%s%s)"
                % (cc.program, cc.prefix, ", CCACHE_DIR=%s" % cc.dir if cc.dir else "",
                   ", remote storage %s" % redact(cc.remote_storage) if cc.remote_storage else ""))


def _cache_dir(cc, env):
    """The cache directory the build used (ccache_dir, else what ccache's configuration says)."""
    if cc.dir:
        return cc.dir
    try:
        out = subprocess.run([cc.program, "--get-config", "cache_dir"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             universal_newlines=True, timeout=30, check=False, env=env).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return out.strip() or None
