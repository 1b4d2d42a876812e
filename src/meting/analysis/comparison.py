"""Two rounds compared per domain and column: improved, regressed, unchanged, new or gone
(``breakdown.change``), with the domain's organisation, layer and umbrella to filter on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from meting.analysis.breakdown import change
from meting.analysis.model import DomainResult, RoundResults
from meting.analysis.rules import column_names, counting_rules


@dataclass(frozen=True)
class ColumnChange:
    domain: str
    organisation: str
    category: str
    umbrella: str
    kind: str
    column: str
    before: str | None
    after: str | None
    change: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def compare(before: RoundResults, after: RoundResults) -> list[ColumnChange]:
    rules = counting_rules()
    old = {(r.domain, r.kind): r for r in before.rows}
    new = {(r.domain, r.kind): r for r in after.rows}
    found = []
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        row: DomainResult = b or a  # type: ignore[assignment]
        present = set(a.columns if a else {}) | set(b.columns if b else {})
        for column in (c for c in column_names(row.kind) if c in present):
            was = a.columns.get(column) if a else None
            now = b.columns.get(column) if b else None
            found.append(ColumnChange(row.domain, row.organisation, row.category, row.umbrella,
                                      row.kind, column, was, now, change(was, now, rules)))
    return found


def counts(changes: Iterable[ColumnChange]) -> dict[str, int]:
    found = Counter(c.change for c in changes)
    return {name: found.get(name, 0) for name in
            ("improved", "regressed", "unchanged", "new", "gone")}
