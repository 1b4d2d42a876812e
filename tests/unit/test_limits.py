"""Resource limits that hold: answers per DNS question (so addresses per host tested), the
evidence of one test, and the name limits agreeing with the store's columns."""

from __future__ import annotations

import asyncio
from typing import Any

from meting import limits
from meting.probe.dns import capped
from meting.probe.evidence import DnsAnswer
from meting.run.executor import AsyncioExecutor, Outcome
from meting.settings import Settings
from meting.store import PlannedTest
from meting.store.models import Organisation, Round


def answer(count: int) -> DnsAnswer:
    return DnsAnswer("www.veel.nl", "A", "198.18.0.53", "NOERROR", False, False,
                     tuple(f"198.19.{n // 250}.{n % 250 + 1}" for n in range(count)), 1.0, None,
                     "insecure")


def test_a_host_with_1000_addresses_is_tested_on_the_first_32() -> None:
    kept = capped(answer(1000), Settings().max_answers)
    assert len(kept.answers) == 32 and kept.omitted == 968
    assert kept.answers == tuple(sorted(answer(1000).answers)[:32])
    assert DnsAnswer.from_dict(kept.to_dict()) == kept
    assert capped(answer(3), 32) == answer(3)


def test_evidence_over_the_limit_is_stored_as_not_testable() -> None:
    async def perform(test: PlannedTest) -> tuple[dict[str, Any], dict[str, Any]]:
        return {"kind": "web", "noise": "x" * 5000}, {"columns": {}, "subtests": {}}

    outcomes: list[Outcome] = []
    executor = AsyncioExecutor(Settings(max_evidence_bytes=4096, retries=0), None,
                               perform=perform)
    asyncio.run(executor.run([PlannedTest(1, "veel.nl", "web", "www.veel.nl")],
                             outcomes.append))
    (outcome,) = outcomes
    assert outcome.attempts == 1
    assert "more than the 4,096 allowed (setting max_evidence_bytes)" in \
        outcome.evidence["not_testable"]["attempts"][0]
    assert {v["status"] for v in outcome.judged["columns"].values()} == {"not_testable"}


def test_name_limits_are_the_store_columns() -> None:
    columns = Organisation.__table__.columns
    assert columns["name"].type.length == limits.ORGANISATION
    assert columns["umbrella"].type.length == limits.UMBRELLA
    assert columns["provider"].type.length == limits.PROVIDER
    assert Round.__table__.columns["label"].type.length == limits.ROUND_LABEL
    assert Round.__table__.columns["set_name"].type.length == limits.SET_NAME
