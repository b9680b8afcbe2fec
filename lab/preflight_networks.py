"""Fail clearly when a molecule scenario's Docker networks cannot be created.

Docker network names and subnets are global per daemon: a subnet already used by another
network makes molecule's create step fail with a terse "Pool overlaps" error much later.
Usage: preflight_networks.py molecule/<scenario>/molecule.yml
"""
from __future__ import annotations

import ipaddress
import json
import subprocess
import sys

import yaml


def existing_networks() -> dict[str, list[ipaddress.IPv4Network]]:
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
        result[net["Name"]] = (subnets, net.get("Labels") or {})
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
    for name, (subnets, labels) in existing_networks().items():
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
    if problems:
        print("ERROR: " + "\n       ".join(problems), file=sys.stderr)
        print("       Remove that network ('docker network rm NAME') if it is stale, or give the "
              "scenario another subnet in its molecule.yml.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
