"""Change reports: per domain and column what improved, regressed or is new since the
previous round of the same domain set (issue 15 §4). Pure: two ``RoundResults`` in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from meting.analysis.model import DomainResult, RoundResults
from meting.analysis.rules import CountingRules, column_names

CHANGES = ("improved", "regressed", "new")


@dataclass(frozen=True)
class Change:
    domain: str
    organisation: str
    umbrella: str
    kind: str
    column: str
    before: str | None  # None: not measured in the previous round
    after: str
    change: str  # improved, regressed, new

    def to_json(self) -> dict[str, str | None]:
        return {"domain": self.domain, "organisation": self.organisation,
                "umbrella": self.umbrella, "kind": self.kind, "column": self.column,
                "before": self.before, "after": self.after, "change": self.change}


@dataclass(frozen=True)
class ChangeReport:
    round_label: str
    previous_label: str | None
    organisation: str | None
    umbrella: str | None
    changes: list[Change]

    def of(self, change: str) -> list[Change]:
        return [c for c in self.changes if c.change == change]

    def for_organisation(self, organisation: str) -> ChangeReport:
        return ChangeReport(self.round_label, self.previous_label, organisation, None,
                            [c for c in self.changes if c.organisation == organisation])

    def to_json(self) -> dict[str, object]:
        return {"round": self.round_label, "previous_round": self.previous_label,
                "organisation": self.organisation, "umbrella": self.umbrella,
                "counts": {c: len(self.of(c)) for c in CHANGES},
                "changes": [c.to_json() for c in self.changes]}


def changes(current: RoundResults, previous: RoundResults | None, rules: CountingRules,
            organisation: str | None = None, umbrella: str | None = None) -> ChangeReport:
    """Every column whose class (compliant / not compliant) changed, and every column that
    was not measured in the previous round; a first round has only new ones."""
    before = {(r.domain, r.kind): r for r in previous.rows} if previous else {}
    found: list[Change] = []
    for row in _selected(current.rows, organisation, umbrella):
        old = before.get((row.domain, row.kind))
        for column in _ordered(row):
            status = row.columns[column]
            was = old.columns.get(column) if old else None
            kind = _change(was, status, rules)
            if kind:
                found.append(Change(row.domain, row.organisation, row.umbrella, row.kind,
                                    column, was, status, kind))
    return ChangeReport(current.label, previous.label if previous else None, organisation,
                        umbrella, found)


def _change(was: str | None, now: str, rules: CountingRules) -> str | None:
    if was is None:
        return "new"
    then, later = rules.classify(was), rules.classify(now)
    if then == "not_compliant" and later == "compliant":
        return "improved"
    if then == "compliant" and later == "not_compliant":
        return "regressed"
    return None


def _selected(rows: Sequence[DomainResult], organisation: str | None,
              umbrella: str | None) -> list[DomainResult]:
    return sorted((r for r in rows if (organisation is None or r.organisation == organisation)
                   and (umbrella is None or r.umbrella == umbrella)),
                  key=lambda r: (r.organisation, r.domain, r.kind))


def _ordered(row: DomainResult) -> list[str]:
    order = {c: i for i, c in enumerate(column_names(row.kind))}
    return sorted(row.columns, key=lambda c: order.get(c, len(order)))
