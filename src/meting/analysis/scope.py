"""One organisation's, one umbrella's or one parent organisation's part of a round: its
domains and statuses, what to do about each miss (the stored explanation and the advice),
the change since the previous round of the set, its figures, and for an umbrella or a parent
its laggards per organisation. Pure functions over ``RoundResults``; ``load_scope`` reads
them from the store (the CLI's ``meting report --organisation/--umbrella/--parent`` and the
dashboard call the same)."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from meting.analysis.agreements import (
    Agreement,
    LaggardOrganisation,
    advice_for,
    agreements,
    laggards,
)
from meting.analysis.figures import RoundFigures, round_figures
from meting.analysis.model import DomainResult, RoundResults
from meting.analysis.rules import CountingRules, counting_rules

LEVELS = ("organisation", "umbrella", "parent")


class ScopeError(ValueError):
    """A scope that names nothing in the round; the message lists close names."""


@dataclass(frozen=True)
class Scope:
    level: str  # one of LEVELS
    name: str

    def holds(self, row: DomainResult) -> bool:
        wanted = self.name.casefold()
        if self.level == "organisation":
            return row.organisation.casefold() == wanted
        if self.level == "umbrella":
            return row.umbrella.casefold() == wanted
        # a parent holds its own domains and those of the organisations under it
        return wanted in (row.parent.casefold(), row.organisation.casefold())

    def names(self, rows: Sequence[DomainResult]) -> set[str]:
        if self.level == "organisation":
            return {r.organisation for r in rows}
        if self.level == "umbrella":
            return {r.umbrella for r in rows if r.umbrella}
        return {r.parent for r in rows if r.parent}


@dataclass(frozen=True)
class Todo:
    """A column a domain misses: its status, the stored explanation and what to do."""

    domain: str
    kind: str
    column: str
    status: str
    explanation: dict[str, str]  # nl, en (empty for statuses imported from elsewhere)
    advice: dict[str, str]  # nl, en


@dataclass(frozen=True)
class Change:
    """A column whose status differs from the previous round's."""

    domain: str
    kind: str
    column: str
    before: str | None  # None: not measured then
    now: str
    better: bool | None  # None: neither better nor worse (e.g. not measured before)


@dataclass(frozen=True)
class ScopedRound:
    scope: Scope
    current: RoundFigures
    previous: RoundFigures | None
    rows: list[DomainResult]  # by domain, then kind
    todos: list[Todo]
    changes: list[Change]
    agreements: list[Agreement]
    laggards: dict[str, list[LaggardOrganisation]]  # per umbrella, then per organisation

    @property
    def organisations(self) -> list[str]:
        return sorted({r.organisation for r in self.rows}, key=str.casefold)


def scope_round(current: RoundResults, previous: RoundResults | None, scope: Scope,
                rules: CountingRules | None = None) -> ScopedRound:
    rules = rules or counting_rules()
    if scope.level not in LEVELS:
        raise ScopeError(f"unknown scope {scope.level!r}; one of {', '.join(LEVELS)}")
    mine = [r for r in current.rows if scope.holds(r)]
    if not mine:
        raise ScopeError(_unknown(scope, current.rows))
    rows = sorted(mine, key=lambda r: (r.domain, r.kind))
    now = dataclasses.replace(current, rows=rows)
    before = None
    if previous is not None:
        before = dataclasses.replace(previous, rows=[r for r in previous.rows
                                                     if scope.holds(r)])
    figures = round_figures(now, rules)
    return ScopedRound(
        scope=scope, current=figures,
        previous=round_figures(before, rules) if before and before.rows else None,
        rows=rows, todos=todos(rows, rules), changes=changes(rows, before, rules),
        agreements=agreements(figures), laggards=laggards(now, rules))


def todos(rows: Sequence[DomainResult], rules: CountingRules) -> list[Todo]:
    found = []
    for row in rows:
        for column, status in row.columns.items():
            if rules.classify(status) != "not_compliant":
                continue
            detail = row.details.get(column)
            found.append(Todo(row.domain, row.kind, column, status,
                              {"nl": detail.nl if detail else "",
                               "en": detail.en if detail else ""},
                              {lang: advice_for(row.kind, column, lang)
                               for lang in ("nl", "en")}))
    return found


def changes(rows: Sequence[DomainResult], previous: RoundResults | None,
            rules: CountingRules) -> list[Change]:
    if previous is None:
        return []
    earlier = {(r.domain, r.kind): r.columns for r in previous.rows}
    rank = {"not_compliant": 0, "compliant": 1}
    found = []
    for row in rows:
        before = earlier.get((row.domain, row.kind))
        if before is None:
            continue
        for column, status in row.columns.items():
            then = before.get(column)
            if then == status:
                continue
            a, b = rank.get(rules.classify(then)), rank.get(rules.classify(status))
            better = None if a is None or b is None or a == b else b > a
            found.append(Change(row.domain, row.kind, column, then, status, better))
    return found


def _unknown(scope: Scope, rows: Sequence[DomainResult]) -> str:
    names = sorted(scope.names(rows), key=str.casefold)
    close = difflib.get_close_matches(scope.name, names, n=5, cutoff=0.5)
    hint = (f"; did you mean {', '.join(repr(c) for c in close)}?" if close
            else f"; the round has {len(names)} ({', '.join(names[:10])}"
                 f"{', …' if len(names) > 10 else ''})" if names else "; the round has none")
    return f"no {scope.level} {scope.name!r} in this round{hint}"
