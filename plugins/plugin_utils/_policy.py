# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sizing policy of a distcc farm, on the controller (the filter plugins use it).

distcc's manual: run about twice as many jobs as there are remote CPUs, and leave
localhost out of DISTCC_HOSTS when the master has less than a fifth of the cluster's CPU
(make, the client and the preprocessor already keep it busy). Measured in this project's
lab, a master with exactly a fifth (the 1+4 CPU topology) is also faster without
localhost, so localhost is listed only above a fifth; in pump mode too (there the
master has CPU to spare, but on the 1+4 topology giving it a compile slot saturated it
and made the build slower: 71.4 s against 68.5 s for the workers alone). CPU counts come from the
cgroup quota when there is one: a container's nproc reports the host's cores.

Each rule has one owner: the cgroup quota is read and parsed in module_utils._cgroup, make's
-j for a host list (the sum of the hosts' limits, within MAX_JOBS) is module_utils._host_list's
make_jobs, used here and by distcc_build on the host.
"""

from __future__ import annotations

import ipaddress
import math

from ansible.module_utils.parsing.convert_bool import BOOLEANS, boolean

from ansible_collections.distrant.distcc.plugins.module_utils._host_list import MAX_JOBS, make_jobs

# More CPUs than any machine has (Linux's default NR_CPUS is 8192; jobs are capped at MAX_JOBS).
MAX_CPUS = 4096

# Master CPU share of the cluster under which localhost is left out of DISTCC_HOSTS.
LOCALHOST_MIN_SHARE = 0.2


class PolicyError(ValueError):
    """Input that the policy cannot size a farm from; the message says what to fix."""


def effective_cpus(vcpus, quota_cpus=None):
    """CPUs a host can really use: its vCPUs (validated), capped by a cgroup CPU quota in CPUs if any
    (module_utils._cgroup reads and parses the quota)."""
    try:
        cpus = float(vcpus)
    except (TypeError, ValueError):
        raise PolicyError("vcpus must be a number, got %r" % (vcpus,))
    if not 0 < cpus <= MAX_CPUS:
        raise PolicyError("vcpus must be a number above 0 and at most %d, got %r" % (MAX_CPUS, vcpus))
    if quota_cpus is None:
        return cpus
    try:
        quota = float(quota_cpus)
    except (TypeError, ValueError):
        raise PolicyError("the cgroup quota must be a number of CPUs, got %r" % (quota_cpus,))
    return min(cpus, quota) if quota > 0 else cpus


def worker_jobs(cpus):
    """Jobs a worker's distccd accepts (and its /LIMIT): twice its CPUs, at least 2."""
    return max(2, 2 * int(math.ceil(float(cpus) - 1e-9)))


def flag(name, value, allow_auto=False):
    """A boolean option as YAML, ``-e`` (a string) or an inventory gives it; ``auto`` where allowed.

    ``-e flag=false`` arrives as the string "false", which Python would take as true.
    """
    if allow_auto and isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    if isinstance(value, bool):
        return value
    if isinstance(value, (str, int)) and not isinstance(value, bool) and (
            str(value).strip().lower() in [str(b).lower() for b in BOOLEANS]):
        return boolean(str(value).strip().lower(), strict=True)
    raise PolicyError("%s must be %strue or false (yes/no, 1/0 also do), got %r"
                      % (name, "auto, " if allow_auto else "", value))


def cluster_network(network, name="distcc_network_cidr"):
    """The IPv4 network of a CIDR string with no host bits set, or PolicyError saying what is wrong."""
    try:
        net = ipaddress.ip_network(str(network).strip())
    except ValueError as exc:
        raise PolicyError("%s = %r is not an IPv4 network (%s); write it as a CIDR such as 10.200.1.0/24"
                          % (name, network, exc))
    if net.version != 4:
        raise PolicyError("%s = %s is IPv6; distcc's host list and ACL take IPv4 only" % (name, network))
    return net


def validate_address(address, what="address"):
    try:
        parsed = ipaddress.ip_address(str(address))
    except ValueError:
        raise PolicyError("%s %r is not an IP address" % (what, address))
    if parsed.version != 4:
        raise PolicyError("%s %s: IPv6 is not supported (distccd's ACL and this collection's roles are IPv4 only); "
                          "give the worker an IPv4 address in distcc_network_cidr" % (what, address))
    return str(parsed)


# How a master of a team orders the shared workers (host_list's ``order``): distcc's client takes
# the first host in its list with a free slot, so masters that list the workers alike all fill the
# first one; ``rotate`` starts each master's list at another worker (by its place in the team).
WORKER_ORDERS = ("rotate", "inventory", "randomize")
# How a master reaches its workers (the farm's distcc_transport): distccd's TCP port, or ssh running distccd --inetd.
TRANSPORTS = ("tcp", "ssh")


def host_list(workers, master_cpus, lzo=False, localhost="auto", localhost_min_share=LOCALHOST_MIN_SHARE, pump=False,
              self_address=None, order="rotate", team_index=0, transport="tcp"):
    """Build DISTCC_HOSTS and the matching make -j for a master and its workers.

    ``workers``: list of dicts with ``address``, ``cpus`` (effective) and optionally ``jobs``
    (an explicit /LIMIT). ``localhost``: ``auto`` (by the CPU share rule), true or false. ``pump``: the workers preprocess (``,cpp,lzo``; implies lzo).
    ``self_address``: the master's own address when it is a worker too: that worker is left out (a host
    never sends its compiles to itself through TCP) and the master compiles as ``localhost`` unless
    ``localhost`` is false. ``order``: one of WORKER_ORDERS; ``team_index``: this master's place in
    its team (``rotate`` starts its list at worker ``team_index`` modulo their number). ``transport``:
    one of TRANSPORTS, ``tcp`` (``ADDRESS/LIMIT`` entries) or ``ssh`` (``@ADDRESS/LIMIT``: ssh runs distccd on
    the worker, its account, key and host key from the ssh configuration of the build user).
    Returns a dict: ``hosts`` (list of entries), ``distcc_hosts`` (the string),
    ``make_jobs``, ``localhost`` (bool), ``localhost_slots``, ``master_share``, ``remote_slots``,
    ``self_worker`` (a worker was this master), ``order``.
    """
    if not isinstance(workers, (list, tuple)):
        raise PolicyError("workers must be a list of {address, cpus}, got %s %r"
                          % ("a string" if isinstance(workers, str) else "a mapping" if isinstance(workers, dict)
                             else "a number" if isinstance(workers, (int, float)) else "a value", workers))
    lzo = flag("lzo", lzo)
    pump = flag("pump", pump)
    localhost = flag("localhost", localhost, allow_auto=True)
    if order not in WORKER_ORDERS:
        raise PolicyError("order must be one of %s, got %r" % (", ".join(WORKER_ORDERS), order))
    if transport not in TRANSPORTS:
        raise PolicyError("transport must be one of %s, got %r" % (", ".join(TRANSPORTS), transport))
    try:
        team_index = int(team_index)
    except (TypeError, ValueError):
        raise PolicyError("team_index must be a whole number (this master's place in its team), got %r" % (team_index,))
    if team_index < 0:
        raise PolicyError("team_index must be 0 or more, got %d" % team_index)
    if self_address not in (None, ""):
        self_address = validate_address(self_address, "self_address")
    try:
        master_cpus = effective_cpus(master_cpus)
    except PolicyError as exc:
        raise PolicyError("master_cpus: %s" % exc)
    self_worker = False
    entries = []
    remote_cpus = 0.0
    remote_slots = 0
    seen = set()
    for index, worker in enumerate(workers):
        if not isinstance(worker, dict) or "address" not in worker:
            raise PolicyError("worker #%d must be a dict with an address, got %r" % (index, worker))
        address = validate_address(worker["address"], "worker #%d address" % index)
        if address in seen:
            raise PolicyError("worker address %s is listed twice" % address)
        seen.add(address)
        if address == self_address:
            self_worker = True
            continue
        try:
            cpus = effective_cpus(worker.get("cpus", 1))
        except PolicyError as exc:
            raise PolicyError("worker %s cpus: %s" % (address, exc))
        jobs = worker.get("jobs")
        if jobs in (None, "", "auto"):
            jobs = worker_jobs(cpus)
            if jobs > MAX_JOBS:
                raise PolicyError("worker %s: %s CPUs make %d jobs, more than make can run (%d); give it explicit, "
                                  "smaller jobs" % (address, worker.get("cpus"), jobs, MAX_JOBS))
        else:
            try:
                jobs = int(jobs)
            except (TypeError, ValueError):
                jobs = 0
            if not 1 <= jobs <= MAX_JOBS:
                raise PolicyError("worker %s: jobs must be auto or an integer from 1 to %d, got %r"
                                  % (address, MAX_JOBS, worker.get("jobs")))
        remote_cpus += cpus
        remote_slots += jobs
        entries.append("%s%s/%d%s" % ("@" if transport == "ssh" else "", address, jobs,
                                      ",cpp,lzo" if pump else ",lzo" if lzo else ""))
    if entries and order == "rotate":
        start = team_index % len(entries)
        entries = entries[start:] + entries[:start]
    share = master_cpus / (master_cpus + remote_cpus)
    if localhost == "auto":
        use_local = not entries or self_worker or share > localhost_min_share + 1e-9
    else:
        use_local = localhost or not entries
    local_slots = max(1, int(math.floor(master_cpus + 1e-9))) if use_local else 0
    hosts = (["localhost/%d" % local_slots] if use_local else []) + entries
    # distcc's own option, first in DISTCC_HOSTS: a new order for every compile
    options = ["--randomize"] if order == "randomize" and len(entries) > 1 else []
    if remote_slots + local_slots > MAX_JOBS:
        raise PolicyError("the farm adds up to %d jobs, more than make can run (%d); give the workers explicit, "
                          "smaller jobs" % (remote_slots + local_slots, MAX_JOBS))
    return {
        "hosts": hosts,
        "distcc_hosts": " ".join(options + hosts),
        "make_jobs": make_jobs([remote_slots, local_slots]),
        "localhost": use_local,
        "localhost_slots": local_slots,
        "master_share": round(share, 4),
        "remote_slots": remote_slots,
        "pump": pump and bool(entries),
        "self_worker": self_worker,
        "order": order,
        "transport": transport,
    }


COMPILER_MATCHES = ("major.minor", "major")


def major_minor(version, match="major.minor"):
    """'12.2.0' -> '12.2' (distcc needs the same compiler release on both sides, patch level aside),
    or '12' with match 'major' (the gcc release series, as Debian's versioned gcc-12 names it)."""
    return ".".join(str(version).split(".")[:match.count(".") + 1]) if version else None


def compiler_check(master, master_versions, workers, compilers, match="major.minor"):
    """Compare every worker's compilers with the master's, by major.minor (or by major: ``match``).

    ``master_versions`` and each value of ``workers`` (host -> versions) map a compiler name to
    its full version, or None when it is missing. Returns dict(ok, differs, want, table): the
    hosts whose compilers differ (or are missing), the master's major.minor (or major) per compiler,
    and a table of every host and version with the differing ones marked, for an error message.
    """
    if match not in COMPILER_MATCHES:
        raise PolicyError("match must be one of %s, not %r" % (", ".join(COMPILER_MATCHES), match))
    compilers = list(compilers)
    missing = [name for name in compilers if not (master_versions or {}).get(name)]
    if missing:
        raise PolicyError("the master %s has no %s; install %s there (the distcc_master role does with its "
                          "default distcc_master_packages)" % (master, ", ".join(missing), " and ".join(missing)))
    want = dict((name, major_minor(master_versions[name], match)) for name in compilers)
    widths = [max(28, len(master) + 9)] + [max(10, len(name) + 2) for name in compilers]
    for host in workers:
        widths[0] = max(widths[0], len(host) + 2)

    def row(cells, mark=""):
        return "".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip() + mark

    lines = [row(["host"] + compilers), row([master + " (master)"] + [master_versions[n] for n in compilers])]
    differs = []
    for host in sorted(workers):
        versions = workers[host] or {}
        bad = [name for name in compilers if major_minor(versions.get(name), match) != want[name]]
        if bad:
            differs.append(host)
        lines.append(row([host] + [versions.get(name) or "missing" for name in compilers],
                         "   <- differs (%s)" % ", ".join(bad) if bad else ""))
    return dict(ok=not differs, differs=differs, want=want, table="\n".join(lines))
