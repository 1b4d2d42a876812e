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
    """One status for an "every X" rule over several servers, addresses or subtests.

    A certain failure anywhere wins (a missing result elsewhere cannot hide it); else a
    no-result status (error, unreachable, not_testable), since "every X" is then not
    established; else warning, info, passed. Nothing judged: the one status they share
    (e.g. not_applicable everywhere), else not_tested.
    """
    found = set(statuses)
    for status in (Status.FAILED, Status.ERROR, Status.UNREACHABLE, Status.NOT_TESTABLE,
                   *SEVERITY[1:]):
        if status in found:
            return status
    return found.pop() if len(found) == 1 else Status.NOT_TESTED
