"""Two testers' rounds over the same domains compared per column: how many domains get the
same status from both, and for each domain that does not, both statuses with both
explanations (meting's from its evidence, Internet.nl's technical details). The CLI's
`meting compare` and the dashboard call this; it reads nothing but the results given.

Agreement is the same status (SPEC §3). A domain counts for a column when both rounds
have a status for it there; domains or columns in one round only are counted apart."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol

from meting.analysis.rounding import percentage
from meting.analysis.rules import column_names, counting_rules


class Judged(Protocol):
    """One domain's test in a round (a store result or a dashboard row)."""

    @property
    def domain(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def columns(self) -> dict[str, str]: ...
    @property
    def explanations(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Disagreement:
    domain: str
    kind: str
    column: str
    status_a: str
    status_b: str
    explanation_a: dict[str, str]  # {"nl", "en"}
    explanation_b: dict[str, str]

    def to_json(self, lang: str) -> dict[str, str]:
        return {"domain": self.domain, "kind": self.kind, "column": self.column,
                "status_a": self.status_a, "status_b": self.status_b,
                "explanation_a": _said(self.explanation_a, lang),
                "explanation_b": _said(self.explanation_b, lang)}


@dataclass(frozen=True)
class ColumnAgreement:
    kind: str
    column: str
    compared: int  # domains with a status in both rounds
    agreeing: int

    @property
    def share(self) -> Fraction | None:
        return percentage(self.agreeing, self.compared)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "column": self.column, "compared": self.compared,
                "agreeing": self.agreeing, "disagreeing": self.compared - self.agreeing,
                "rate": counting_rules().rounding.rate(self.share)}


@dataclass(frozen=True)
class Agreement:
    round_a: str
    round_b: str
    columns: list[ColumnAgreement]
    disagreements: list[Disagreement]
    only_a: int  # domain tests (domain and kind) in round A only
    only_b: int

    def to_json(self, lang: str) -> dict[str, Any]:
        return {"round_a": self.round_a, "round_b": self.round_b,
                "agreement": [c.to_json() for c in self.columns],
                "only_in_a": self.only_a, "only_in_b": self.only_b,
                "disagreements": [d.to_json(lang) for d in self.disagreements]}


def agreement(round_a: str, a: Iterable[Judged], round_b: str,
              b: Iterable[Judged]) -> Agreement:
    first = {(r.domain, r.kind): r for r in a}
    second = {(r.domain, r.kind): r for r in b}
    both = sorted(first.keys() & second.keys())
    columns, disagreements = [], []
    for kind in ("web", "mail"):
        pairs = [(first[k], second[k]) for k in both if k[1] == kind]
        for column in column_names(kind):
            compared = [(x, y) for x, y in pairs if column in x.columns and column in y.columns]
            if not compared:
                continue
            differ = [(x, y) for x, y in compared if x.columns[column] != y.columns[column]]
            columns.append(ColumnAgreement(kind, column, len(compared),
                                           len(compared) - len(differ)))
            disagreements += [Disagreement(x.domain, kind, column, x.columns[column],
                                           y.columns[column], _explained(x, column),
                                           _explained(y, column)) for x, y in differ]
    return Agreement(round_a, round_b, columns, disagreements,
                     len(first.keys() - second.keys()), len(second.keys() - first.keys()))


def _explained(result: Judged, column: str) -> dict[str, str]:
    found = result.explanations.get(column)
    return {k: str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def _said(explanation: dict[str, str], lang: str) -> str:
    return explanation.get(lang) or explanation.get("nl") or explanation.get("en") or ""
