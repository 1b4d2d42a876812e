"""Retries of a test: when, how long to wait, and what is left when they run out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from meting.checks.tests import MAIL_COLUMNS, WEB_COLUMNS
from meting.checks.verdict import Status, verdict

MAX_DELAY = 300.0


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff: ``base``, ``2·base``, ``4·base``… seconds, at most ``cap``."""

    retries: int
    base: float
    cap: float = MAX_DELAY

    def delay(self, failures: int) -> float | None:
        """Seconds to wait after the ``failures``-th failure; None: give up."""
        if failures < 1 or failures > self.retries:
            return None
        return float(min(self.cap, self.base * 2 ** (failures - 1)))


def describe(exc: BaseException, budget: float) -> str:
    """Why one attempt failed, in a line."""
    if isinstance(exc, TimeoutError):
        return f"did not finish within the test budget of {budget:g} s"
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def not_testable_evidence(kind: str, target: str, failures: list[str]) -> dict[str, Any]:
    """The evidence stored for a test whose attempts all failed: why, attempt by attempt."""
    return {"kind": kind, "target": target, "not_testable": {"attempts": failures}}


def is_not_testable(evidence: dict[str, Any]) -> bool:
    return "not_testable" in evidence


def judge_not_testable(kind: str, evidence: dict[str, Any]) -> dict[str, Any]:
    """Every column of the test `not_testable`, saying why; no subtests."""
    attempts: list[str] = evidence["not_testable"]["attempts"]
    last = attempts[-1] if attempts else "unknown"
    n = len(attempts)
    v = verdict(
        Status.NOT_TESTABLE,
        f"De test kon na {n} poging(en) niet worden uitgevoerd (laatste: {last}); geen "
        "resultaat. Blijft dit zo, ga dan na of de servers vlot antwoorden en de meting "
        "niet afknijpen.",
        f"The test could not be run in {n} attempt(s) (last: {last}); no result. If this "
        "persists, check that the servers answer promptly and do not rate-limit the test.")
    columns = WEB_COLUMNS if kind == "web" else MAIL_COLUMNS
    return {"columns": {c: v.to_dict() for c in columns}, "subtests": {}}
