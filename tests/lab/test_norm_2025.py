"""What the NCSC TLS guidelines of 2025 changed, on the lab servers built to show it: one
scan each, judged under the 2025 norm and under the interim norm before it."""

from __future__ import annotations

import json
import sys

import pytest

from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab

SCRIPT = """
import asyncio, json, sys
from meting.settings import load
from meting.tester import judge, routing_data, run_test

async def main(targets):
    settings = load()
    routing = routing_data(settings)
    out = []
    for kind, target in targets:
        evidence, _ = await run_test(kind, target, settings, routing)
        out.append({norm: judge(kind, evidence, norm)["columns"] for norm in ("current", "2025")})
    return out

print(json.dumps(asyncio.run(main(json.load(sys.stdin)))))
"""
# scenario, kind, column, status under "current" (guideline 2.1, TLS 1.0/1.1 insufficient),
# status under "2025"
CHANGED = [("tls-cbc-sha1", "web", "tls_ncsc_web", "warning", "failed"),
           ("tls-no-ems", "web", "tls_ncsc_web", "warning", "failed"),
           ("starttls-no-ems", "mail", "starttls_ncsc", "warning", "failed"),
           ("cert-rsa-2048", "web", "tls_ncsc_web", "passed", "warning"),
           ("tls-dhe-ffdhe2048", "web", "tls_ncsc_web", "warning", "failed"),
           ("perfect", "web", "tls_ncsc_web", "passed", "passed")]


def test_the_2025_changes_show_on_the_lab_servers(lab: Lab) -> None:
    targets = []
    for scenario, kind, *_ in CHANGED:
        d = lab.scenario(scenario)
        targets.append([kind, d["web_host"] if kind == "web" else d["mail_domain"]])
    env = [f"METING_RESOLVER={lab.info['resolver']}", f"METING_TRUST_STORE={lab.trust_store}",
           f"METING_RPKI_VRPS={lab.info['rpki_vrps']}",
           f"METING_RPKI_ROUTES={lab.info['rpki_routes']}", "METING_CONNECT_TIMEOUT=3",
           "METING_SMTP_BANNER_TIMEOUT=5"]
    out = lab.run("env", *env, sys.executable, "-c", SCRIPT, stdin=json.dumps(targets),
                  timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    judged = json.loads(out.stdout)
    found = {scenario: (j["current"][column]["status"], j["2025"][column]["status"])
             for (scenario, _, column, *_), j in zip(CHANGED, judged, strict=True)}
    assert found == {scenario: (old, new) for scenario, _, _, old, new in CHANGED}
