"""The site summary's "previous build": compared only with a build of the same kind, else what differed."""

from __future__ import annotations

import copy
import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.distrant.distcc.plugins.filter.distcc import FilterModule
from ansible_collections.distrant.distcc.plugins.plugin_utils._previous_build import previous_build

# a site report as playbooks/site.yml writes it (the build facts cut to what the comparison reads)
REPORT = {
    "master": "master",
    "kernel_source": "https://cdn.kernel.org/pub/linux/kernel/v6.x/linux-6.1.158.tar.xz",
    "target": "",
    "clean": "clean",
    "build": {"wall_seconds": 185.2, "hosts": "10.200.1.3/8,cpp,lzo", "distcc": True, "config": "tinyconfig",
              "kernel_version": "6.1.158", "objects": 451},
}


def changed(**build):
    report = copy.deepcopy(REPORT)
    for key, value in build.items():
        if key in ("target", "clean"):
            report[key] = value
        else:
            report["build"][key] = value
    return report


def test_no_previous_build_says_nothing():
    assert previous_build("", REPORT) == "" and previous_build(None, REPORT) == ""


def test_the_same_kind_of_build_gives_its_time():
    now = changed(wall_seconds=120.0)
    assert previous_build(REPORT, now) == "previous build 185.2 s"
    assert previous_build(json.dumps(REPORT), now) == "previous build 185.2 s"  # as the file lookup reads it


@pytest.mark.parametrize("now, words", [
    (changed(hosts="10.200.1.3/8,cpp,lzo 10.200.1.4/8,cpp,lzo"),
     "hosts '10.200.1.3/8,cpp,lzo' then, '10.200.1.3/8,cpp,lzo 10.200.1.4/8,cpp,lzo' now"),
    (changed(hosts="", distcc=False), "hosts '10.200.1.3/8,cpp,lzo' then, none (local) now; distcc on then, off now"),
    (changed(target="kernel/"), "target the default goal then, 'kernel/' now"),
    (changed(config="defconfig", kernel_version="6.6.1"),
     "config tinyconfig then, defconfig now; kernel 6.1.158 then, 6.6.1 now"),
    (changed(clean="none"), "clean clean then, none now"),
])
def test_another_kind_of_build_is_not_compared_and_what_differed_is_named(now, words):
    assert previous_build(REPORT, now) == "previous build 185.2 s is not comparable, it differed: " + words


def test_a_report_from_before_target_and_clean_were_kept_says_so():
    old = copy.deepcopy(REPORT)
    del old["target"], old["clean"]
    assert previous_build(old, REPORT) == ("previous build 185.2 s is not comparable, it differed: target not "
                                           "recorded then, the default goal now; clean not recorded then, clean now")


def test_the_filter_names_a_report_it_cannot_read():
    flt = FilterModule().filters()["distcc_previous_build"]
    assert flt(REPORT, REPORT) == "previous build 185.2 s"
    with pytest.raises(AnsibleFilterError, match="distcc_previous_build: the previous build's report is not JSON"):
        flt("{not json", REPORT)
    with pytest.raises(AnsibleFilterError, match="has no build facts"):
        flt({"master": "m"}, REPORT)
