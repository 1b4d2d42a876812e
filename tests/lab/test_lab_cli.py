"""The `meting lab` command as a user runs it, and the lab's isolation."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab


def meting(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "meting.cli", *args], capture_output=True,
                          text=True, timeout=120, check=False)


def test_status_json_lists_every_scenario_with_expectations(lab: Lab) -> None:
    result = meting("lab", "status", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["healthy"] is True
    scenarios = {s["name"]: s for s in report["scenarios"]}
    assert len(scenarios) == len([d for d in lab.plan["domains"] if not d["generated"]])
    s = scenarios["no-mx"]
    assert set(s) >= {"name", "web_host", "mail_domain", "healthy", "expected"}
    assert s["mail_domain"] == "geen-mx.nl"
    assert s["expected"]["mail"]["starttls"] == "info"
    assert len(s["expected"]["web"]) == 11 and len(s["expected"]["mail"]) == 13


def test_exec_runs_in_the_scanner_namespace(lab: Lab) -> None:
    result = meting("lab", "exec", "--", "ip", "-o", "addr", "show", "dev", "eth0")
    assert result.returncode == 0, result.stderr
    for address in lab.plan["scanner"]:
        assert address in result.stdout
    env = meting("lab", "exec", "--", "sh", "-c", "echo $METING_RESOLVER $METING_TRUST_STORE")
    assert env.stdout.split() == [lab.info["resolver"], lab.info["trust_store"]]


def test_scanner_has_no_route_out_of_the_lab(lab: Lab) -> None:
    v4 = lab.run("ip", "-4", "route").stdout.strip().splitlines()
    v6 = [r for r in lab.run("ip", "-6", "route").stdout.strip().splitlines()
          if not r.startswith("fe80::")]
    assert [r.split()[0] for r in v4] == ["198.18.0.0/15"]
    assert [r.split()[0] for r in v6] == ["2001:db8::/32"]
    assert "default" not in " ".join(v4 + v6)


def test_check_json_shape(lab: Lab) -> None:
    """`meting check web|mail X --json` as scripts rely on it (ARCHITECTURE.md)."""
    for kind, target, column in (("web", "www.perfect.nl", "dnssec"),
                                 ("mail", "geen-dkim.nl", "dkim")):
        result = meting("lab", "exec", "--", sys.executable, "-m", "meting.cli", "check", kind,
                        target, "--json")
        assert result.returncode == (0 if kind == "web" else 1), result.stderr  # 1: failed
        data = json.loads(result.stdout)
        assert (data["target"], data["kind"]) == (target, kind)
        verdict = data["columns"][column]
        assert set(verdict) == {"status", "explanation", "name"}
        assert set(verdict["explanation"]) == set(verdict["name"]) == {"nl", "en"}
        assert verdict["status"] == ("passed" if kind == "web" else "failed")
        assert all(set(v) == {"status", "explanation", "name"}
                   for v in data["subtests"].values())


def test_check_refuses_a_bad_name(lab: Lab) -> None:
    result = meting("lab", "exec", "--", sys.executable, "-m", "meting.cli", "check", "web",
                    "exa mple.nl")
    assert result.returncode == 2
    assert "not a valid domain name" in result.stderr


def test_a_resolver_that_does_not_answer_gives_error_not_failed(lab: Lab) -> None:
    silent_resolver = lab.plan["scanner"][0]  # nothing listens on 53 there
    for kind, target in (("web", "www.perfect.nl"), ("mail", "perfect.nl")):
        result = lab.run("env", f"METING_RESOLVER={silent_resolver}", "METING_DNS_TIMEOUT=1",
                         sys.executable, "-m", "meting.cli", "check", kind, target, "--json",
                         timeout=60)
        assert result.returncode == 0, result.stderr
        columns = json.loads(result.stdout)["columns"]
        assert columns and {v["status"] for v in columns.values()} == {"error"}, columns
