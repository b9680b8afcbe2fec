"""Fail clearly when a molecule scenario's Docker networks cannot be created, or cannot work.

Docker network names and subnets are global per daemon: a subnet already used by another
network makes molecule's create step fail with a terse "Pool overlaps" error much later.
A subnet the host already routes elsewhere (a libvirt lab's bridge on the same network, a VPN)
is worse: Docker creates the network, and the containers' replies, DNS included, leave by the
other interface, so apt fails inside them with "Temporary failure resolving".
Usage: preflight_networks.py molecule/<scenario>/molecule.yml
"""
from __future__ import annotations

import ipaddress
import json
import subprocess
import sys

import yaml


def bridge_device(net: dict) -> str | None:
    """The host interface of a Docker bridge network."""
    if net.get("Driver") != "bridge":
        return None
    name = (net.get("Options") or {}).get("com.docker.network.bridge.name")
    if name:
        return name
    return "docker0" if net.get("Name") == "bridge" else "br-" + net.get("Id", "")[:12]


def host_routes() -> list[tuple[ipaddress.IPv4Network, str]]:
    """(destination, device) of the host's IPv4 routes, from `ip -json route`."""
    try:
        out = subprocess.run(["ip", "-json", "route"], check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as err:
        print(f"WARNING: the host's routes could not be read ({err}): not checked", file=sys.stderr)
        return []
    routes = []
    for route in json.loads(out or "[]"):
        dst = route.get("dst", "")
        if dst in ("", "default") or "dev" not in route:
            continue
        try:
            routes.append((ipaddress.ip_network(dst, strict=False), route["dev"]))
        except ValueError:
            continue
    return routes


def route_problems(wanted: dict, docker_devices: set[str], routes: list) -> list[str]:
    """Routes to a wanted subnet through an interface that is not one of Docker's bridges."""
    problems = []
    for want_name, want in wanted.items():
        for dst, dev in routes:
            if dev in docker_devices or dst.version != want.version or not dst.overlaps(want):
                continue
            hint = ""
            if dev.startswith("virbr"):
                net = ".".join(str(dst.network_address).split(".")[:3])  # the lab that holds it
                hint = (f" (a libvirt network: the libvirt lab on {net} is up or was interrupted; "
                        f"'DISTRANT_NETWORK={net} make lab-down' or 'lab/libvirt.sh clean {net}' removes it)")
            problems.append(
                f"subnet {want} of network '{want_name}' is already routed by the host through {dev} "
                f"({dst}){hint}: the containers would have no network"
            )
    return problems


def existing_networks() -> dict[str, tuple[list, dict, str | None]]:
    """Each Docker network's subnets, labels and host interface, by name."""
    names = subprocess.run(
        ["docker", "network", "ls", "--format", "{{.Name}}"],
        check=True, capture_output=True, text=True,
    ).stdout.split()
    if not names:
        return {}
    data = json.loads(subprocess.run(
        ["docker", "network", "inspect", *names], check=True, capture_output=True, text=True,
    ).stdout)
    result = {}
    for net in data:
        subnets = []
        for cfg in (net.get("IPAM") or {}).get("Config") or []:
            try:
                subnets.append(ipaddress.ip_network(cfg.get("Subnet", ""), strict=False))
            except ValueError:
                continue
        result[net["Name"]] = (subnets, net.get("Labels") or {}, bridge_device(net))
    return result


def main(path: str) -> int:
    with open(path, encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    wanted = {}
    for platform in config.get("platforms", []):
        for net in platform.get("docker_networks", []) or []:
            for ipam in net.get("ipam_config", []) or []:
                wanted[net["name"]] = ipaddress.ip_network(ipam["subnet"], strict=False)
    problems = []
    networks = existing_networks()
    for name, (subnets, labels, _device) in networks.items():
        for want_name, want in wanted.items():
            for subnet in subnets:
                if not subnet.overlaps(want):
                    continue
                if name == want_name and labels.get("owner") == "molecule":
                    continue  # left over by an earlier run of this scenario: molecule reuses it
                problems.append(
                    f"subnet {want} of network '{want_name}' ({path}) overlaps {subnet} "
                    f"of the existing Docker network '{name}'"
                )
    problems += route_problems(wanted, {dev for _s, _l, dev in networks.values() if dev}, host_routes())
    if problems:
        print("ERROR: " + "\n       ".join(problems), file=sys.stderr)
        print("       Remove what holds the subnet if it is stale ('docker network rm NAME' for a "
              "Docker network), or give the scenario another subnet in its molecule.yml.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
