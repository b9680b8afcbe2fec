# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each bench runs: its knobs (DISTRANT_BENCH_*), the benchmark's catalog of setups, the team's
host lists and the backoff cases. Pure functions of their inputs; the action plugin
distrant.distcc.distcc_bench_plan feeds them the controller's environment and the hosts' facts.

A knob is read from its option when given (``repeats``: the playbook passes its extra var
``-e distcc_bench_repeats=5``), else from the environment (``DISTRANT_BENCH_REPEATS``), else
its default. A bad value raises
BenchError naming the variable, what it must be and what it got.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import re

from ansible_collections.distrant.distcc.plugins.plugin_utils._bench_configure import VARIANTS as CONFIGURE_VARIANTS
from ansible_collections.distrant.distcc.plugins.plugin_utils._policy import PolicyError, host_list


class BenchError(ValueError):
    """A knob or an input of a bench that cannot be used (the message says which and how to fix it)."""


def _given(name, options, environ):
    """(value, where): the option if set (``distcc_<name>`` in the playbook), else DISTRANT_<NAME> from the
    environment, else (None, DISTRANT_<NAME>). ``name`` is the variable's without its prefix: BENCH_REPEATS."""
    option = name.lower()
    value = options.get(option[len("bench_"):] if option.startswith("bench_") else option)
    if value is not None and value != "":
        return value, "distcc_" + option
    value = environ.get("DISTRANT_" + name, "")
    if str(value).strip():
        return value, "DISTRANT_" + name
    return None, "DISTRANT_" + name


def whole_number(name, options, environ, default, low=1, high=None):
    """A knob that is a whole number in [low, high]."""
    value, where = _given(name, options, environ)
    if value is None:
        return default
    try:
        number = int(str(value).strip()) if not isinstance(value, bool) else None
    except ValueError:
        number = None
    if number is None or number < low or (high is not None and number > high):
        bounds = "%d..%d" % (low, high) if high is not None else ">= %d" % low
        raise BenchError("%s must be a whole number %s, got %r" % (where, bounds, value))
    return number


def share(name, options, environ, default):
    """A knob that is a share of the objects, between 0 and 1."""
    value, where = _given(name, options, environ)
    if value is None:
        return default
    try:
        number = float(str(value).strip())
    except ValueError:
        number = -1.0
    if not 0 <= number <= 1:
        raise BenchError("%s must be a number between 0 and 1 (a share of the objects), got %r" % (where, value))
    return number


def text(name, options, environ, default):
    """A knob that is a word or words (surrounding blanks dropped)."""
    value = _given(name, options, environ)[0]
    return default if value is None else str(value).strip()


def word_list(name, options, environ):
    """A comma list (or a YAML list as an extra var), blanks dropped."""
    value = _given(name, options, environ)[0]
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def scaling(options, environ):
    """DISTRANT_BENCH_SCALING: 'auto', True or False."""
    value, where = _given("BENCH_SCALING", options, environ)
    if value is None:
        return "auto"
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in ("auto", "true", "false"):
        return {"true": True, "false": False}.get(word, "auto")
    raise BenchError("%s must be auto, true or false, got %r" % (where, value))


def project(options, environ):
    """DISTRANT_BENCH_PROJECT: {} (the kernel), or project.yml's variables for the distcc_project role.

    KIND:LOCATION (debian:yaml-cpp) gives {'distcc_project_source': {KIND: LOCATION}}; a JSON
    object is taken as project.yml's variables and must hold distcc_project_source.
    """
    value, where = _given("BENCH_PROJECT", options, environ)
    if value is None:
        return {}
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            value = json.loads(value)
        except ValueError as error:
            raise BenchError("%s is not a valid JSON object (%s), got %r" % (where, error, value)) from None
    if isinstance(value, dict):
        if "distcc_project_source" not in value:
            raise BenchError("%s must name a source: a JSON object with distcc_project_source (project.yml's "
                             "variables), got %r" % (where, value))
        return dict(value)
    kind, colon, location = str(value).strip().partition(":")
    if not colon or not kind or not location:
        raise BenchError("%s must be KIND:LOCATION (e.g. debian:yaml-cpp) or a JSON object with "
                         "distcc_project_source (project.yml's variables), got %r" % (where, value))
    return {"distcc_project_source": {kind: location}}


def configure_plan(options, environ):
    """make bench-configure: DISTRANT_BENCH_REPEATS rounds (default 2) of every configure variant of
    _bench_configure, for the project of DISTRANT_BENCH_PROJECT, which it needs."""
    chosen = project(options, environ)
    if not chosen:
        raise BenchError("make bench-configure measures a project's configure step: set DISTRANT_BENCH_PROJECT "
                         "to an autotools project (e.g. debian:coreutils), as for make bench")
    return {"repeats": whole_number("BENCH_REPEATS", options, environ, 2), "project": chosen,
            "variants": list(CONFIGURE_VARIANTS)}


@dataclasses.dataclass(frozen=True)
class Knobs:
    """The settings of make bench (playbooks/bench.yml)."""

    repeats: int = 3
    target: str = "all"  # "all": the whole job from a fresh config; else make targets of a prepared tree
    config: str = "tinyconfig"  # the config target of the reset (target "all" only)
    min_remote_share: float = 0.9
    setup_names: tuple = ()  # a subset of the catalog, by name (empty: all)
    scaling: object = "auto"  # 'auto', True or False: the pump-<k>w rows
    project: dict = dataclasses.field(default_factory=dict)  # project.yml's variables ({}: the kernel)


def benchmark_knobs(options, environ):
    """The Knobs of make bench from the options (extra vars) and the environment."""
    return Knobs(
        repeats=whole_number("BENCH_REPEATS", options, environ, 3),
        target=text("BENCH_TARGET", options, environ, "all"),
        config=text("BENCH_CONFIG", options, environ, "tinyconfig"),
        min_remote_share=share("BENCH_MIN_REMOTE_SHARE", options, environ, 0.9),
        setup_names=tuple(word_list("BENCH_SETUPS", options, environ)),
        scaling=scaling(options, environ),
        project=project(options, environ),
    )


@dataclasses.dataclass(frozen=True)
class Cluster:
    """What the benchmark's setups are made of: the master and its workers, as the lab has them."""

    master_cpus: float
    workers: tuple  # ({address, cpus}, ...) in the inventory's order
    hosts_file: str = ""  # /etc/distcc/hosts as the distcc_master role wrote it (the auto setups)
    client: str = "distcc"  # the distcc client of the auto setups (the role's, else Debian's)
    kbuild_lean: bool = True  # site.yml's distcc_site_kbuild_lean (the auto setups, kernel only)


# The setups of make bench, in the report's order. `share` is the setup's min_remote_share over the
# knob's (a localhost slot halves it); "auto" settings follow the distcc_master role's (Cluster).
AUTO_FULL_ENVIRONMENT = {"DISTRANT_DISTCC_UNBUFFERED": "1", "DISTRANT_DISTCC_NO_MEMO": "1"}
DESCRIPTIONS = {
    "local": "gcc on the master alone, make -j<master CPUs> (the baseline)",
    "seed": 'the original recipe, -j5 with DISTCC_HOSTS="localhost <workers>"',
    "auto": "the collection's policy: the host list the distcc_master role wrote (/etc/distcc/hosts), the distcc"
            " client it built (distcc_master_client), site.yml's kbuild_lean (distcc_site_kbuild_lean)",
    "auto-full": "auto with Debian's distcc client, the include server answering with distcc's own unbuffered code"
                 " (DISTRANT_DISTCC_UNBUFFERED) and evaluating every computed include anew (DISTRANT_DISTCC_NO_MEMO),"
                 " and all of Kbuild's per-object work on the master (kbuild_lean off: its empty shells,"
                 " check-local-export, the include server's directory files): how auto built before",
    "auto-prepared": "auto on a prepared tree (make clean between builds, Kbuild's generated files and tools kept):"
                     " how the headline was measured before, to show the whole job from a fresh tree loses nothing",
    "breakdown": "auto again, with the master's CPU measured per part (make and Kbuild, the distcc client, the include"
                 " server; distcc_build's cpu_breakdown): where the master's CPU goes per object; on a tcp farm, the"
                 " workers' too (the compilers distccd runs, measured by an accounting program on its PATH, against"
                 " distccd and the rest). Its time carries the cost of measuring and is never a calibration point",
    "breakdown-full": "auto-full with the master's CPU measured per part, beside breakdown: what the client and"
                      " kbuild_lean save per object",
    "plain": "distcc's manual without pump mode (2 jobs per worker CPU, no localhost under a fifth)",
    "pump-localhost": "pump mode with a compile slot on the master too (localhost/1)",
}
# Setups a project does not get: they differ from auto by what only a kernel has (Kbuild, its include server load).
KERNEL_ONLY = ("auto-full", "breakdown-full")
_LOCALHOST = re.compile(r"(^|\s)localhost")


def _specs(cluster):
    """The workers as the host list policy takes them: {address, cpus}."""
    try:
        return [{"address": w["address"], "cpus": w["cpus"]} for w in cluster.workers]
    except (KeyError, TypeError):
        raise BenchError("the benchmark's workers must be {address, cpus} each, got %r" % (cluster.workers,)) from None


def _host_list(workers, master_cpus, **kwargs):
    try:
        return host_list(list(workers), master_cpus, **kwargs)
    except PolicyError as error:
        raise BenchError("cannot build a host list for the benchmark: %s" % error) from None


def catalog(cluster, min_remote_share=0.9):
    """Every setup of make bench for this cluster (before the knobs pick among them), in order."""
    share = float(min_remote_share)
    workers = _specs(cluster)
    addresses = [w["address"] for w in workers]
    plain = _host_list(workers, cluster.master_cpus, pump=False)
    pump_local = _host_list(workers, cluster.master_cpus, pump=True, localhost=True)
    auto_share = share / (2 if _LOCALHOST.search(cluster.hosts_file or "") else 1)
    lean = bool(cluster.kbuild_lean)

    def setup(name, **fields):
        return dict({"name": name, "description": DESCRIPTIONS[name]}, **fields)

    auto = {"kbuild_lean": lean, "client": cluster.client, "min_remote_share": auto_share, "jobs": "auto", "hosts": ""}
    full = {"kbuild_lean": False, "client": "distcc", "environment": dict(AUTO_FULL_ENVIRONMENT),
            "min_remote_share": auto_share, "jobs": "auto", "hosts": ""}
    return [
        setup("local", distcc=False, jobs="auto", hosts=""),
        setup("seed", distcc=True, min_remote_share=share / 2, prepare=[], jobs=5,
              hosts=" ".join(["localhost"] + addresses)),
        setup("auto", distcc=True, **auto),
        setup("auto-full", distcc=True, **full),
        setup("auto-prepared", distcc=True, reset="clean", **auto),
        setup("breakdown", distcc=True, cpu_breakdown=True, **auto),
        setup("breakdown-full", distcc=True, cpu_breakdown=True, **full),
        setup("plain", distcc=True, min_remote_share=share / (2 if "localhost" in plain["distcc_hosts"] else 1),
              jobs=plain["make_jobs"], hosts=plain["distcc_hosts"]),
        setup("pump-localhost", distcc=True, min_remote_share=share / 2, jobs=pump_local["make_jobs"],
              hosts=pump_local["distcc_hosts"]),
    ]


def scaling_setups(cluster, min_remote_share=0.9):
    """pump-1w..pump-<N>w: pump mode on the first k workers only, no localhost (checks the scaling model)."""
    out = []
    workers = _specs(cluster)
    for k in range(1, len(workers) + 1):
        hosts = _host_list(workers[:k], cluster.master_cpus, pump=True, localhost=False)
        out.append({"name": "pump-%dw" % k, "workers": k, "distcc": True, "jobs": hosts["make_jobs"],
                    "min_remote_share": float(min_remote_share), "hosts": hosts["distcc_hosts"],
                    "kbuild_lean": bool(cluster.kbuild_lean), "client": cluster.client,
                    "description": "pump mode, the first %d worker(s) only (checks the model)" % k})
    return out


def setups(knobs, cluster):
    """The setups make bench runs: the catalog as the target, the project and the knobs allow."""
    available = catalog(cluster, knobs.min_remote_share)
    if knobs.target != "all" or knobs.project:
        available = [s for s in available if "reset" not in s]  # a prepared tree needs the whole job
    if knobs.project:
        available = [s for s in available if s["name"] not in KERNEL_ONLY]
    scale = len(cluster.workers) >= 2 if knobs.scaling == "auto" else bool(knobs.scaling)
    if scale:
        available += scaling_setups(cluster, knobs.min_remote_share)
    if not knobs.setup_names:
        return available
    names = [s["name"] for s in available]
    unknown = [n for n in knobs.setup_names if n not in names]
    if unknown:
        raise BenchError("DISTRANT_BENCH_SETUPS (distcc_bench_setups) names %s, not among this run's setups: "
                         "a comma list of %s" % (", ".join(unknown), ", ".join(names)))
    return [s for s in available if s["name"] in knobs.setup_names]


def fresh(knobs, setup):
    """Whether a run of the setup starts from an unpacked tree with a fresh .config (else make clean)."""
    return knobs.target == "all" and setup.get("reset", "fresh") == "fresh" and not knobs.project


def benchmark_plan(knobs, cluster):
    """What playbooks/bench.yml runs, as the action plugin returns it."""
    chosen = setups(knobs, cluster)
    return {
        "repeats": knobs.repeats,
        "target": knobs.target,
        "config": knobs.config,
        "min_remote_share": knobs.min_remote_share,
        "scaling": knobs.scaling,
        "project": knobs.project,
        "setups": chosen,
        "fresh_setups": [s["name"] for s in chosen if fresh(knobs, s)],
    }


# The team benchmark (playbooks/bench_team.yml)

def first_host_list(hosts_file):
    """The host list of a /etc/distcc/hosts file: its first line that is neither blank nor a comment."""
    for line in (hosts_file or "").splitlines():
        if line.strip() and not line.startswith("#"):
            return line
    raise BenchError("/etc/distcc/hosts has no host list (only comments or blank lines): run site.yml first")


def own_farm_host_list(team, addresses):
    """The host list a master would have on a farm of its own: the workers in the inventory's order (no
    rotation, no --randomize), with the same limits and localhost entry as the team's list."""
    words = [w for w in team.split() if not w.startswith("--")]
    own = [w for w in words if w.startswith("localhost")]
    for address in addresses:
        own += [w for w in words if re.match(re.escape(address) + "(/|,|$)", w)]
    return " ".join(own)


def team_plan(options, environ, masters, workers, hosts_file, config="tinyconfig"):
    """What playbooks/bench_team.yml runs on one master.

    ``workers``: [{address, stats_port}] in the inventory's order; ``hosts_file``: this master's
    /etc/distcc/hosts. ``config``: the kernel config of the fresh tree (distcc_master_kernel_config).
    """
    repeats = whole_number("BENCH_REPEATS", options, environ, 1)
    target = text("BENCH_TARGET", options, environ, "all")
    if len(masters) < 2 or not workers:
        raise BenchError("the team benchmark needs at least two masters and a worker (DISTRANT_MASTERS=2 make lab); "
                         "this lab has %d master(s), %d worker(s)" % (len(masters), len(workers)))
    team = first_host_list(hosts_file)
    own = own_farm_host_list(team, [w["address"] for w in workers])
    return {
        "repeats": repeats,
        "target": target,
        "reset": ["distclean", config] if target == "all" else ["clean"],  # make targets, untimed
        "host_lists": {"team": team, "own": own},
        "own_farm_differs": own != team,  # the own-farm build is measured apart only then
        "stats_endpoints": ["%s:%s" % (w["address"], w.get("stats_port") or 3633) for w in workers],
    }


# The backoff benchmark (playbooks/bench_backoff.yml)

BACKOFF_CASES = ("transient", "gone")
_PUMP_ENTRY = re.compile(r"[0-9.]+/[0-9]+,cpp,lzo")


def backoff_plan(options, environ, hosts_file, network="10.200.1.0/24"):
    """What playbooks/bench_backoff.yml runs: every (period, case), the first worker's entry of the host list
    and an entry for an address of the network that nobody has (.250)."""
    value, where = _given("BENCH_BACKOFF_PERIODS", options, environ)
    periods = []
    for word in word_list("BENCH_BACKOFF_PERIODS", options, environ) or ["0", "10", "60"]:
        try:
            periods.append(int(word))
        except ValueError:
            periods.append(-1)
        if periods[-1] < 0:
            raise BenchError("%s must be a comma list of seconds >= 0 (e.g. 0,10,60), got %r" % (where, value))
    entry = _PUMP_ENTRY.search(hosts_file or "")
    if not entry:
        raise BenchError("/etc/distcc/hosts has no pump entry (ADDRESS/LIMIT,cpp,lzo) of a worker: run site.yml "
                         "with the workers up first")
    try:
        net = ipaddress.ip_network(str(network), strict=False)
        gone = net[250]
    except (ValueError, IndexError):
        raise BenchError("the network %r has no address .250 to list as a worker that is gone" % (network,)) from None
    return {
        "periods": periods,
        "cases": [[period, case] for period in periods for case in BACKOFF_CASES],
        "entry": entry.group(0),
        "gone": "%s/4,cpp,lzo" % gone,
    }


# The ccache benchmark (playbooks/bench_ccache.yml)

# What the edited rows change: a .c file the tinyconfig job compiles, and a header most of its objects include.
CCACHE_SOURCE = "kernel/fork.c"
CCACHE_HEADER = "include/linux/kernel.h"
# The comment appended to them starts with this (it is removed again, whatever happens).
CCACHE_MARKER = "/* distrant bench-ccache"


def ccache_plan(options, environ, masters, caches, remote_storage, config="tinyconfig"):
    """What playbooks/bench_ccache.yml runs.

    ``masters``: the lab's masters (the first builds every row but the last, the second the last);
    ``caches``: the hosts of distcc_caches; ``remote_storage``: {master: {shown, missing}}, each master's
    URL of the farm's cache without its secret and why it has none (distcc_master_exports.ccache's
    remote_storage_shown and remote_storage_missing with ccache on). ``config``: the config target of the
    fresh tree.
    """
    repeats = whole_number("BENCH_REPEATS", options, environ, 2)
    if len(masters) < 2 or not caches:
        raise BenchError("the ccache benchmark needs two masters and a cache host (DISTRANT_MASTERS=2 "
                         "DISTRANT_CACHE=worker-1 make lab); this lab has %d master(s) and %s"
                         % (len(masters), "cache host(s) %s" % ", ".join(caches) if caches else "no cache host"))
    for master in masters[:2]:
        storage = (remote_storage or {}).get(master) or {}
        if not storage.get("shown"):
            raise BenchError("%s has no URL of the farm's cache on %s%s: run site.yml first (make lab)"
                             % (master, caches[0], " (%s)" % storage["missing"] if storage.get("missing") else ""))
    return {
        "repeats": repeats,
        "target": "all",
        "reset": ["distclean", config],  # make targets, untimed: an unpacked tree with a fresh .config
        "clean": ["clean"],
        "first": masters[0],
        "other": masters[1],
        "cache_host": caches[0],
        "remote_storage": remote_storage[masters[0]]["shown"],
        "source": CCACHE_SOURCE,
        "header": CCACHE_HEADER,
        "marker": CCACHE_MARKER,
    }
