"""Every lab scenario gets exactly the catalogue's expected status in every column the
tester judges so far (the columns of tests.WEB_COLUMNS / MAIL_COLUMNS)."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from meting.checks.tests import MAIL_COLUMNS, WEB_COLUMNS
from tests.lab.conftest import Lab
from tests.unit.explanation_rules import all_problems

pytestmark = pytest.mark.lab

SCRIPT = """
import asyncio, json, sys
from meting.settings import load
from meting.tester import routing_data, run_test

async def main(targets):
    settings = load()
    routing = routing_data(settings)
    slots = asyncio.Semaphore(40)
    async def one(kind, target):
        async with slots:
            _, judged = await run_test(kind, target, settings, routing)
            return judged
    results = await asyncio.gather(*(one(k, t) for k, t in targets))
    return [[k, t, r] for (k, t), r in zip(targets, results)]

print(json.dumps(asyncio.run(main(json.load(sys.stdin)))))
"""


@pytest.fixture(scope="module")
def judged_in_full(lab: Lab) -> dict[tuple[str, str], dict[str, Any]]:
    targets = []
    for d in lab.plan["domains"]:
        targets += [["web", d["web_host"]], ["mail", d["mail_domain"]]]
    env = [f"METING_RESOLVER={lab.info['resolver']}",
           f"METING_TRUST_STORE={lab.info['trust_store']}",
           f"METING_RPKI_VRPS={lab.info['rpki_vrps']}",
           f"METING_RPKI_ROUTES={lab.info['rpki_routes']}",
           "METING_DNS_TIMEOUT=2", "METING_CONNECT_TIMEOUT=3", "METING_SMTP_BANNER_TIMEOUT=5"]
    out = lab.run("env", *env, sys.executable, "-c", SCRIPT, stdin=json.dumps(targets),
                  timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return {(k, t): r for k, t, r in json.loads(out.stdout)}


@pytest.fixture(scope="module")
def judged(judged_in_full: dict[tuple[str, str], dict[str, Any]]
           ) -> dict[tuple[str, str], dict[str, str]]:
    return {key: {c: v["status"] for c, v in full["columns"].items()}
            for key, full in judged_in_full.items()}


def test_every_explanation_can_be_acted_on(
        judged_in_full: dict[tuple[str, str], dict[str, Any]]) -> None:
    """Fresh from the lab, both languages: no English in Dutch, no internal ids, advice
    beside every failed, warning, info and no-result status (issue 11)."""
    found = []
    for (kind, target), full in judged_in_full.items():
        found += all_problems(f"{kind} {target}", full)
    assert found == []


def scenario_ids() -> list[str]:
    from meting.lab.plan import load_catalogue

    return [s["name"] for s in load_catalogue()["scenarios"]]


@pytest.mark.parametrize("scenario", scenario_ids())
def test_scenario_columns(lab: Lab, judged: dict[tuple[str, str], dict[str, str]],
                          scenario: str) -> None:
    d = lab.scenario(scenario)
    web = judged[("web", d["web_host"])]
    mail = judged[("mail", d["mail_domain"])]
    assert set(web) == set(WEB_COLUMNS) and set(mail) == set(MAIL_COLUMNS)
    assert web == {c: d["expected_web"][c] for c in WEB_COLUMNS}
    assert mail == {c: d["expected_mail"][c] for c in MAIL_COLUMNS}


def test_generated_domains_get_their_expected_statuses(
        lab: Lab, judged: dict[tuple[str, str], dict[str, str]]) -> None:
    generated = [d for d in lab.plan["domains"] if d["generated"]]
    assert generated
    for d in generated:
        assert judged[("web", d["web_host"])] == {c: d["expected_web"][c] for c in WEB_COLUMNS}
        assert judged[("mail", d["mail_domain"])] == {
            c: d["expected_mail"][c] for c in MAIL_COLUMNS}
