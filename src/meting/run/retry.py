"""Retries of a test: when, how long to wait, and what is left when they run out.

The verdict on a test left without a result is the checks' (``checks.not_testable``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from meting.evidence import EVIDENCE_VERSION

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
    return {"evidence_version": EVIDENCE_VERSION, "kind": kind, "target": target,
            "not_testable": {"attempts": failures}}
