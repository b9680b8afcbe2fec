# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What distcc_build decides before it runs (Plan) and what it measures while it runs (Measured)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.distrant.distcc.plugins.module_utils._tree import TreeState


class PlanError(Exception):
    """Parameters the build cannot run with; the message says what to fix. Nothing was changed."""


@dataclass
class Layout:
    """How the tree is built: from its files (and the build_system option)."""

    build_system: str  # make, autotools or cmake
    kernel: bool  # a Linux kernel tree (Kbuild)
    build_dir: str  # where the build tool runs
    tool: str  # make or ninja
    configure_cmd: Optional[List[str]]  # ./configure or cmake, None for make
    configure_needed: bool  # run configure_cmd at this build
    configured: bool  # the build directory already has what its build tool reads


@dataclass
class Step:
    """One command of the build, in the order they run: clean, configure, prepare, build."""

    name: str
    argv: List[str]


@dataclass
class Plan(Layout):
    """Everything decided before anything runs (see _build_plan.plan): the tree's Layout, and
    the host list, the commands and the environment of the build, with each feature's part."""

    # the tree
    chdir: str
    state: TreeState  # the build's own files in the tree
    # the host list and the build
    distcc: bool
    entries: List[Dict[str, Any]]
    jobs: int
    cmd: List[str]  # the build step
    env: Dict[str, str]  # the build's environment (over the module's)
    clean: str  # none, clean or distclean
    timeout: int
    client: str
    compiler: str
    cxx_compiler: str
    artifact: Optional[str]
    min_remote_share: float
    # features (_build_features): prepare
    prepare: List[str] = field(default_factory=list)
    prepare_cmd: Optional[List[str]] = None
    prepare_hosts: str = ""
    # pump
    pump: bool = False
    pump_path: str = ""
    pump_blockers: List[Dict[str, Any]] = field(default_factory=list)  # the first headers pump mode cannot cover
    pump_blockers_count: int = 0
    include_server_env: Dict[str, Any] = field(default_factory=dict)  # the caller's env, not the build's
    include_server_options: List[str] = field(default_factory=list)
    # kbuild_lean
    kbuild_lean: List[str] = field(default_factory=list)
    host_cc: Optional[Dict[str, str]] = None  # dict(dir, log) of the host compiler's wrapper
    # cpu_breakdown
    account: Optional[str] = None  # the accounting program in front of the compiler
    # a local build: the program in front of the compiler that counts its objects (_compile_count)
    counter: Optional[str] = None
    # backoff
    backoff_period: int = 0
    # ccache in front of the distcc client (_build_ccache.CcacheSettings; None without it)
    ccache: Optional[Any] = None

    def steps(self):
        """The commands this build runs, in order (what check mode reports)."""
        steps = [Step("clean", [self.tool, self.clean])] if self.clean != "none" else []
        if self.configure_needed:
            steps.append(Step("configure", self.configure_cmd))
        if self.prepare_cmd:
            steps.append(Step("prepare", self.prepare_cmd))
        return steps + [Step("build", self.cmd)]


@dataclass
class Measured:
    """What run() measured of a build, for facts()."""

    started_at: str
    configure_seconds: Optional[float] = None
    backoff_at_start: List[str] = field(default_factory=list)
    ssh_opened: List[str] = field(default_factory=list)  # the SSH workers' connections this build opened
    prepare_seconds: float = 0.0
    failed_in_prepare: bool = False
    rc: int = 0
    timed_out: bool = False
    wall: float = 0.0
    user: float = 0.0
    sys: float = 0.0
    host_cpu: Optional[float] = None
    counts: Dict[str, Any] = field(default_factory=dict)  # parse_client_log's counts of the build
    pump_messages: str = ""
    include_server_cpu: Optional[Tuple[float, float]] = None
    host_compiles: Optional[Dict[str, Any]] = None
    cpu_breakdown: Optional[Dict[str, Any]] = None
    not_counted: Optional[str] = None  # why a local build's objects were not counted (None: they were)
    ccache: Optional[Dict[str, Any]] = None  # ccache's counters of the build and its settings (None without it)
