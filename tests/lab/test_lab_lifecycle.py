"""Up twice is harmless; down leaves nothing behind. The session's lab is brought up again
afterwards, so these tests may run in any order."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from meting.lab import lab as lab_module
from meting.lab import netns
from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab


def running(pid: int) -> bool:
    """Alive and not a zombie (a killed child of this process that nobody reaped yet)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_up_again_keeps_the_running_lab(lab: Lab) -> None:
    ns = lab.info["scanner_namespace"]
    before = netns.pids_in(f"{lab_module.prefix()}auth")
    info = lab_module.up(domains=20)
    assert info == lab.info
    assert netns.pids_in(f"{lab_module.prefix()}auth") == before
    assert ns in netns.existing(lab_module.prefix())


def test_down_removes_every_namespace_process_and_file(lab: Lab) -> None:
    prefix = lab_module.prefix()
    state = Path(os.environ["METING_LAB_DIR"])
    namespaces = netns.existing(prefix)
    assert len(namespaces) >= 9
    pids = [p for ns in namespaces for p in netns.pids_in(ns)]
    assert pids
    lab_module.down()
    assert netns.existing(prefix) == []
    assert not state.exists()
    alive = [p for p in pids if running(p)]
    assert alive == []
    assert json.dumps(lab_module.status()) == json.dumps(
        {"healthy": False, "up": False, "scenarios": []})
    restore(lab)


def restore(lab: Lab) -> None:
    """The session's lab again, as the other lab tests know it (same plan, new servers)."""
    info = lab_module.up(domains=lab.info["domains"])
    plan = json.loads((Path(os.environ["METING_LAB_DIR"]) / "plan.json").read_text())
    targets = [(d["web_host"], d["mail_domain"]) for d in plan["domains"]]
    assert targets == [(d["web_host"], d["mail_domain"]) for d in lab.plan["domains"]]
    lab.info.update(info)
    lab.plan.clear()
    lab.plan.update(plan)  # new keys, so new TLSA records
    assert lab_module.status()["healthy"]
