"""`meting lab up --catalogue FILE` as a user runs it: the documented example's scenario
is served, listed with its expected statuses, and judged as it expects."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from meting.checks.tests import MAIL_COLUMNS, WEB_COLUMNS
from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "own-scenarios.yaml"


def meting(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "meting.cli", *args], capture_output=True,
                          text=True, timeout=timeout, check=False)


def test_own_scenarios_are_served_listed_and_judged_as_expected(lab: Lab) -> None:
    try:
        up = meting("lab", "up", "--domains", str(lab.info["domains"]),
                    "--catalogue", str(EXAMPLE))
        assert up.returncode == 0, up.stderr
        status = meting("lab", "status", "--json")
        assert status.returncode == 0, status.stdout[-2000:]
        report = json.loads(status.stdout)
        [own] = [s for s in report["scenarios"] if s["name"] == "own-hsts-one-day"]
        assert own["catalogue"] == str(EXAMPLE)
        assert own["healthy"] is True
        assert own["expected"]["web"]["hsts"] == "failed"
        assert own["expected"]["mail"]["dmarc_policy"] == "failed"
        assert {s["catalogue"] for s in report["scenarios"]} == {"meting", str(EXAMPLE)}
        for kind, target, columns in (("web", own["web_host"], WEB_COLUMNS),
                                      ("mail", own["mail_domain"], MAIL_COLUMNS)):
            checked = meting("lab", "exec", "--", sys.executable, "-m", "meting.cli", "check",
                             kind, target, "--json")
            assert checked.returncode in (0, 1), checked.stderr  # 1: a column failed
            judged = json.loads(checked.stdout)["columns"]
            assert {c: judged[c]["status"] for c in columns} == own["expected"][kind]
    finally:
        lab.restore()
