"""One lab for the whole test session, apart from any lab a user has running."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("METING_LAB_PREFIX", "mtt-")
os.environ.setdefault("METING_LAB_DIR", "/var/lib/meting-lab-test")

from meting.lab import lab as lab_module
from meting.lab import netns

# The lab's own ranges are the only special-purpose addresses the probes may reach
# (probe/guard.py); the scanner processes the tests start inherit this.
os.environ["METING_ALLOWED_NETWORKS"] = netns.LAB_NETWORKS


@dataclass
class Lab:
    info: dict[str, Any]
    plan: dict[str, Any]

    @property
    def scan(self) -> str:
        return str(self.info["scanner_namespace"])

    @property
    def trust_store(self) -> str:
        return str(self.info["trust_store"])

    def run(self, *argv: str, timeout: float = 30,
            stdin: str = "") -> subprocess.CompletedProcess[str]:
        """Run a command in the scanner namespace."""
        return subprocess.run(netns.exec_argv(self.scan, list(argv)), input=stdin,
                              capture_output=True, text=True, timeout=timeout, check=False)

    def dig(self, name: str, rtype: str, server: str | None = None, cd: bool = False) -> str:
        flags = ["+dnssec", "+timeout=2", "+retry=1"] + (["+cdflag"] if cd else [])
        return self.run("kdig", f"@{server or self.info['resolver']}", *flags, name, rtype).stdout

    def restore(self) -> None:
        """The session's lab again after a test rebuilt or removed it (same scenarios and
        addresses, new keys): the other lab tests may run after it in any order."""
        info = lab_module.up(domains=self.info["domains"])
        plan = json.loads((Path(os.environ["METING_LAB_DIR"]) / "plan.json").read_text())
        targets = [(d["web_host"], d["mail_domain"]) for d in plan["domains"]]
        assert targets == [(d["web_host"], d["mail_domain"]) for d in self.plan["domains"]]
        self.info.clear()
        self.info.update(info)
        self.plan.clear()
        self.plan.update(plan)  # new keys, so new TLSA records
        assert lab_module.status()["healthy"]

    def is_up(self) -> bool:
        """Whether the lab on disk is still the session's: same size, scenarios, changes and
        keys (a test that rebuilt it, e.g. the demo, leaves another one)."""
        found = lab_module.read_info(lab_module.state_dir())
        return found == self.info

    def scenario(self, name: str) -> dict[str, Any]:
        return next(d for d in self.plan["domains"] if d["scenario"] == name)


def lab_possible(*commands: str) -> None:
    """Skip where the lab cannot be built (no root, on a developer's machine); fail loudly
    where it should run: as root, or in CI (``CI`` or ``METING_LAB_REQUIRED`` set)."""
    required = os.environ.get("CI") or os.environ.get("METING_LAB_REQUIRED")
    if os.geteuid() != 0:
        if required:
            pytest.fail("the lab tests must run here (CI) but need root (network namespaces)",
                        pytrace=False)
        pytest.skip("the lab needs root (network namespaces)")
    missing = sorted(c for c in {*lab_module.REQUIRED, *commands} if shutil.which(c) is None)
    if missing:
        pytest.fail(f"the lab tests need {', '.join(missing)}: run scripts/setup",
                    pytrace=False)


@pytest.fixture()
def lab_ready() -> None:
    lab_possible()


@pytest.fixture(scope="session")
def session_lab() -> Iterator[Lab]:
    lab_possible()
    info = lab_module.up(domains=20)
    plan = json.loads((Path(os.environ["METING_LAB_DIR"]) / "plan.json").read_text())
    yield Lab(info, plan)
    lab_module.down()


@pytest.fixture(scope="module")
def lab(session_lab: Lab) -> Lab:
    """The session's lab, built again first where a module before left another one: a
    test that replaces the lab need not rebuild it when nothing after it uses it (the
    demo before the population test, which builds a lab of its own)."""
    if not session_lab.is_up():
        session_lab.restore()
    return session_lab
