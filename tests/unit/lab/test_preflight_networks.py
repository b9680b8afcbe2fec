"""lab/preflight_networks.py: a scenario's subnet routed elsewhere on the host is refused.

The routes are `ip -json route` as recorded on a lab host where an interrupted libvirt lab
had left its bridge (virbr2) on 10.200.31.0/24, next to the Docker network a molecule
scenario had just created on the same subnet (br-a0b2c56eb2f7): apt in the containers
failed with "Temporary failure resolving", because their replies left through virbr2.
"""
from __future__ import annotations

import importlib.util
import ipaddress
import json
import pathlib

import pytest

_PATH = pathlib.Path(__file__).resolve().parents[3] / "lab" / "preflight_networks.py"
_SPEC = importlib.util.spec_from_file_location("preflight_networks", _PATH)
preflight = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(preflight)

RECORDED = json.loads(
    '[{"dst":"default","gateway":"192.0.2.1","dev":"eth0","flags":[]},'
    '{"dst":"10.200.31.0/24","dev":"virbr2","protocol":"kernel","scope":"link","prefsrc":"10.200.31.1",'
    '"flags":["linkdown"]},'
    '{"dst":"10.200.31.0/24","dev":"br-a0b2c56eb2f7","protocol":"kernel","scope":"link",'
    '"prefsrc":"10.200.31.1","flags":[]},'
    '{"dst":"172.17.0.0/16","dev":"docker0","protocol":"kernel","scope":"link","prefsrc":"172.17.0.1",'
    '"flags":["linkdown"]},'
    '{"dst":"192.0.2.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"192.0.2.2","flags":[]},'
    '{"dst":"192.168.121.0/24","dev":"virbr1","protocol":"kernel","scope":"link","prefsrc":"192.168.121.1",'
    '"flags":["linkdown"]}]'
)


@pytest.fixture
def routes(monkeypatch):
    class Done:
        stdout = json.dumps(RECORDED)

    monkeypatch.setattr(preflight.subprocess, "run", lambda *a, **k: Done())
    return preflight.host_routes()


def test_host_routes_parses_recorded_output(routes):
    assert (ipaddress.ip_network("10.200.31.0/24"), "virbr2") in routes
    assert all(dst != "default" for dst, _dev in routes)


def test_libvirt_bridge_on_the_subnet_is_refused_with_the_fix(routes):
    wanted = {"distrant-trixie": ipaddress.ip_network("10.200.31.0/24")}
    problems = preflight.route_problems(wanted, {"docker0", "br-a0b2c56eb2f7"}, routes)
    assert len(problems) == 1
    assert "through virbr2" in problems[0]
    assert "lab/libvirt.sh clean 10.200.31" in problems[0]


def test_docker_bridge_of_the_scenario_is_not_a_problem(routes):
    wanted = {"distrant": ipaddress.ip_network("172.17.5.0/24")}
    assert preflight.route_problems(wanted, {"docker0"}, routes) == []
    wanted = {"distrant-default": ipaddress.ip_network("10.200.21.0/24")}
    assert preflight.route_problems(wanted, {"docker0"}, routes) == []


def test_other_interfaces_are_named_without_libvirt_hint(routes):
    wanted = {"distrant": ipaddress.ip_network("192.0.2.128/25")}
    problems = preflight.route_problems(wanted, set(), routes)
    assert problems and "through eth0" in problems[0] and "libvirt" not in problems[0]


@pytest.mark.parametrize("net, expected", [
    ({"Name": "bridge", "Driver": "bridge", "Id": "b1", "Options": {}}, "docker0"),
    ({"Name": "x", "Driver": "bridge", "Id": "a0b2c56eb2f7ffff", "Options": {}}, "br-a0b2c56eb2f7"),
    ({"Name": "y", "Driver": "bridge", "Id": "1",
      "Options": {"com.docker.network.bridge.name": "lab0"}}, "lab0"),
    ({"Name": "host", "Driver": "host", "Id": "2"}, None),
])
def test_bridge_device(net, expected):
    assert preflight.bridge_device(net) == expected


def test_the_hint_names_the_lab_that_holds_the_route_not_the_wanted_subnet(routes):
    wanted = {"wide": ipaddress.ip_network("10.200.0.0/16")}
    problems = preflight.route_problems(wanted, {"docker0", "br-a0b2c56eb2f7"}, routes)
    assert len(problems) == 1 and "lab/libvirt.sh clean 10.200.31" in problems[0]
