"""Statuses (SPEC §3) and verdicts: a status with its explanation in Dutch and English."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"
    INFO = "info"
    NOT_TESTED = "not_tested"
    NOT_APPLICABLE = "not_applicable"
    NO_MX = "no_mx"
    UNREACHABLE = "unreachable"
    NOT_TESTABLE = "not_testable"
    ERROR = "error"


# Statuses that carry no result: a column with one of these is left out of the counts.
NO_RESULT = frozenset({Status.UNREACHABLE, Status.NOT_TESTABLE, Status.ERROR})
# From bad to good, for combining judged subtests into a column.
SEVERITY = (Status.FAILED, Status.WARNING, Status.INFO, Status.PASSED)


@dataclass(frozen=True)
class Explanation:
    nl: str
    en: str

    def to_dict(self) -> dict[str, str]:
        return {"nl": self.nl, "en": self.en}


@dataclass(frozen=True)
class Verdict:
    status: Status
    explanation: Explanation

    def to_dict(self) -> dict[str, object]:
        return {"status": str(self.status), "explanation": self.explanation.to_dict()}


def verdict(status: Status, nl: str, en: str) -> Verdict:
    return Verdict(status, Explanation(nl, en))


def worst(statuses: Iterable[Status]) -> Status:
    """The worst judged status (failed < warning < info < passed); no-result statuses win."""
    found = set(statuses)
    for status in (Status.ERROR, Status.UNREACHABLE, Status.NOT_TESTABLE):
        if status in found:
            return status
    for status in SEVERITY:
        if status in found:
            return status
    return Status.NOT_TESTED
