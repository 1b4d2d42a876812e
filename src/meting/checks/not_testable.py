"""The verdict on a test whose every attempt failed (the runner gave up after retries)."""

from __future__ import annotations

from typing import Any

from meting.checks.explain import counted
from meting.checks.tests import MAIL_COLUMNS, WEB_COLUMNS
from meting.checks.verdict import Status, verdict
from meting.evidence.models import NotTestableEvidence


def judge_not_testable(evidence: NotTestableEvidence) -> dict[str, Any]:
    """Every column of the test `not_testable`, saying why; no subtests."""
    attempts = evidence.not_testable.attempts
    last = attempts[-1] if attempts else "onbekend"
    last_en = attempts[-1] if attempts else "unknown"
    n = len(attempts)
    v = verdict(
        Status.NOT_TESTABLE,
        f"De test kon na {counted(n, 'nl', '{n} poging', '{n} pogingen')} niet worden "
        f"uitgevoerd (laatste: {last}); geen "
        "resultaat. Blijft dit zo, ga dan na of de servers vlot antwoorden en de meting "
        "niet afknijpen.",
        f"The test could not be run in {counted(n, 'en', '{n} attempt', '{n} attempts')} "
        f"(last: {last_en}); no result. If this "
        "persists, check that the servers answer promptly and do not rate-limit the test.")
    columns = WEB_COLUMNS if evidence.kind == "web" else MAIL_COLUMNS
    return {"columns": {c: v.to_dict() for c in columns}, "subtests": {}}
