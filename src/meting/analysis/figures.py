"""Figures of one round (SPEC §6, §8): pure functions over a ``RoundResults``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from meting.analysis.model import KINDS, DomainResult, RoundResults
from meting.analysis.rounding import Rounding, percentage
from meting.analysis.rules import CountingRules, column_names, counting_rules, streefbeeld
from meting.registry import vocabulary

ALL = "all"


@dataclass(frozen=True)
class Tally:
    """Domains compliant and counted for one figure, and those left out (per status)."""

    compliant: int = 0
    not_compliant: int = 0
    excluded_by: Mapping[str, int] = field(default_factory=dict)
    rounding: Rounding = field(default_factory=lambda: counting_rules().rounding,
                               compare=False, repr=False)

    @property
    def counted(self) -> int:
        return self.compliant + self.not_compliant

    @property
    def excluded(self) -> int:
        return sum(self.excluded_by.values())

    @property
    def fraction(self) -> Fraction | None:
        return percentage(self.compliant, self.counted)

    @property
    def rate(self) -> float | None:
        return self.rounding.rate(self.fraction)

    @property
    def percent(self) -> str:
        """The printed percentage (without '%'), '–' when nothing is counted."""
        return self.rounding.text(self.fraction)

    def to_json(self) -> dict[str, Any]:
        return {"rate": self.rate, "compliant": self.compliant, "counted": self.counted,
                "excluded": self.excluded, "excluded_by": dict(sorted(self.excluded_by.items()))}


def tally(statuses: Iterable[str | None], rules: CountingRules) -> Tally:
    """Count statuses; ``None`` (column not measured for that domain) is not counted at all."""
    return tally_counts(Counter(s for s in statuses if s is not None), rules)


def tally_counts(found: Mapping[str, int], rules: CountingRules) -> Tally:
    compliant = sum(n for s, n in found.items() if rules.classify(s) == "compliant")
    failing = sum(n for s, n in found.items() if rules.classify(s) == "not_compliant")
    excluded = {s: n for s, n in found.items() if rules.classify(s) == "excluded"}
    return Tally(compliant, failing, excluded, rules.rounding)


def groups(rows: Sequence[DomainResult]) -> dict[str, list[DomainResult]]:
    """``all`` and each category present, in the registry's order (unknown ones after)."""
    known = list(vocabulary.categories()["categories"])
    present = {row.category for row in rows}
    order = [c for c in known if c in present] + sorted(present - set(known))
    result: dict[str, list[DomainResult]] = {ALL: list(rows)}
    for category in order:
        result[category] = [row for row in rows if row.category == category]
    return result


def measured_columns(rows: Sequence[DomainResult], kind: str) -> list[str]:
    """The report columns of the kind that any row carries, in report order."""
    present = {column for row in rows for column in row.columns}
    return [c for c in column_names(kind) if c in present]


def adoption(rows: Sequence[DomainResult], column: str, rules: CountingRules) -> Tally:
    return tally((row.columns.get(column) for row in rows), rules)


def layer_average(per_column: Mapping[str, Tally], kind: str,
                  rules: CountingRules) -> Fraction | None:
    """Unweighted mean of the rates of the layer-average standards that have counted domains."""
    fractions = [t.fraction for c in rules.layer_average[kind]
                 if (t := per_column.get(c)) is not None and t.fraction is not None]
    return sum(fractions, Fraction(0)) / len(fractions) if fractions else None


def fully_compliant(rows: Sequence[DomainResult], kind: str,
                    rules: CountingRules) -> Tally | None:
    """Domains whose every streefbeeld column is compliant; None when a column is not measured."""
    return fully_compliant_by_group(rows, kind, rules, measured_columns(rows, kind)).get(ALL)


def fully_compliant_by_group(rows: Sequence[DomainResult], kind: str, rules: CountingRules,
                             measured: Sequence[str]) -> dict[str, Tally | None]:
    wanted = [c.column for c in streefbeeld(kind)]
    if not rows or any(c not in measured for c in wanted):
        return {}
    outcome: dict[str, Counter[str]] = {ALL: Counter()}
    for row in rows:
        found = _fully_compliant_class(row, wanted, rules)
        outcome[ALL][found] += 1
        outcome.setdefault(row.category, Counter())[found] += 1
    return {group: Tally(o["compliant"], o["not_compliant"],
                         {s: n for s, n in o.items() if s not in ("compliant", "not_compliant")},
                         rules.rounding)
            for group, o in outcome.items()}


def _fully_compliant_class(row: DomainResult, wanted: Sequence[str], rules: CountingRules) -> str:
    """compliant / not_compliant; a no-result status (or an unmeasured column) when one
    leaves the domain out; not_applicable when every column is neutral (the rules'
    ``fully_compliant.neutral``: such a column counts neither for nor against)."""
    found = "not_applicable"
    columns = row.columns
    for column in wanted:
        status = columns.get(column)
        if status is None:
            return "not_measured"
        if status in rules.fully_compliant_neutral:
            continue
        if status in rules.no_result:
            return status
        if status in rules.not_compliant:
            found = "not_compliant"
        elif status in rules.compliant and found != "not_compliant":
            found = "compliant"
    return found


def has_receiving_mail_server(row: DomainResult, rules: CountingRules) -> bool:
    return row.columns.get(rules.receiving_column) in rules.receiving_statuses


def ipv6_with_mailserver(rows: Sequence[DomainResult], rules: CountingRules) -> Tally:
    """IPv6 for the comparison between sets: only domains with a receiving mail server."""
    receiving = [r for r in rows if r.kind == "mail" and has_receiving_mail_server(r, rules)]
    return adoption(receiving, rules.ipv6_mail_column, rules)


@dataclass(frozen=True)
class Growth:
    precondition: str
    standard: str
    points: Fraction | None  # rate(precondition) - rate(standard)
    domains: int  # compliant on the precondition, not compliant on the standard
    rounding: Rounding

    def to_json(self) -> dict[str, Any]:
        return {"precondition": self.precondition, "standard": self.standard,
                "points": self.rounding.points(self.points), "domains": self.domains}


def growth_potential(rows: Sequence[DomainResult], per_column: Mapping[str, Tally], kind: str,
                     rules: CountingRules) -> list[Growth]:
    found = []
    for first, second in rules.growth_potential.get(kind, ()):
        a, b = per_column.get(first), per_column.get(second)
        if a is None or b is None:
            continue
        gap = None if a.fraction is None or b.fraction is None else a.fraction - b.fraction
        reachable = sum(1 for r in rows
                        if rules.classify(r.columns.get(first)) == "compliant"
                        and rules.classify(r.columns.get(second)) == "not_compliant")
        found.append(Growth(first, second, gap, reachable, rules.rounding))
    return found


@dataclass(frozen=True)
class KindFigures:
    """The figures of one test kind of a round, per group (``all`` and each category)."""

    kind: str
    columns: list[str]
    adoption: dict[str, dict[str, Tally]]
    layer_average: dict[str, Fraction | None]
    fully_compliant: dict[str, Tally | None]
    growth: dict[str, list[Growth]]
    n: dict[str, int]


@dataclass(frozen=True)
class RoundFigures:
    round: RoundResults
    rules: CountingRules
    kinds: dict[str, KindFigures]
    ipv6_with_mailserver: dict[str, Tally]

    def headline(self, kind: str, group: str = ALL) -> Tally | None:
        figures = self.kinds.get(kind)
        if figures is None:
            return None
        return figures.adoption.get(group, {}).get(self.rules.ipv6_headline[kind])


def status_counts(rows: Sequence[DomainResult]) -> dict[str, dict[str, Counter[str]]]:
    """group (``all`` and each category) → column → status → domains, in one pass."""
    pairs: dict[str, Counter[tuple[str, str]]] = {ALL: Counter()}
    for row in rows:
        items = row.columns.items()
        pairs[ALL].update(items)
        if row.category not in pairs:
            pairs[row.category] = Counter()
        pairs[row.category].update(items)
    counts: dict[str, dict[str, Counter[str]]] = {}
    for group, found in pairs.items():
        per_column: dict[str, Counter[str]] = counts.setdefault(group, {})
        for (column, status), n in found.items():
            per_column.setdefault(column, Counter())[status] += n
    return counts


def kind_figures(rows: Sequence[DomainResult], kind: str, rules: CountingRules) -> KindFigures:
    cols = measured_columns(rows, kind)
    by_group = groups(rows)
    counts = status_counts(rows)
    adopt = {g: {c: tally_counts(counts[g].get(c, {}), rules) for c in cols} for g in by_group}
    fully = fully_compliant_by_group(rows, kind, rules, cols)
    return KindFigures(
        kind=kind, columns=cols, adoption=adopt,
        layer_average={g: layer_average(adopt[g], kind, rules) for g in by_group},
        fully_compliant={g: fully.get(g) for g in by_group},
        growth={g: growth_potential(m, adopt[g], kind, rules) for g, m in by_group.items()},
        n={g: len(m) for g, m in by_group.items()},
    )


def round_figures(results: RoundResults, rules: CountingRules | None = None) -> RoundFigures:
    rules = rules or counting_rules()
    kinds = {}
    for kind in KINDS:
        rows = results.of_kind(kind)
        if rows:
            kinds[kind] = kind_figures(rows, kind, rules)
    mail = results.of_kind("mail")
    ipv6 = {g: ipv6_with_mailserver(m, rules) for g, m in groups(mail).items()} if mail else {}
    return RoundFigures(results, rules, kinds, ipv6)


def figures_json(figures: RoundFigures) -> dict[str, Any]:
    """The figures JSON of SPEC §8 (more keys than the minimum)."""
    r = figures.round
    kinds = figures.kinds
    rounding = figures.rules.rounding
    return {
        "round": r.round_id, "label": r.label, "date": r.date.isoformat(), "set": r.set_name,
        "norm": r.norm, "rules": figures.rules.label,
        "n": {k: f.n for k, f in kinds.items()},
        "adoption": {k: {g: {c: t.to_json() for c, t in cols.items()}
                         for g, cols in f.adoption.items()} for k, f in kinds.items()},
        "layer_average": {k: {g: rounding.rate(v) for g, v in f.layer_average.items()}
                          for k, f in kinds.items()},
        "fully_compliant": {k: {g: (t.rate if t else None) for g, t in f.fully_compliant.items()}
                            for k, f in kinds.items()},
        "fully_compliant_counts": {k: {g: (t.to_json() if t else None)
                                       for g, t in f.fully_compliant.items()}
                                   for k, f in kinds.items()},
        "ipv6_with_mailserver": {g: _without_reasons(t) for g, t in
                                 figures.ipv6_with_mailserver.items()},
        "ipv6_headline": {k: {g: _headline_json(figures, k, g) for g in f.adoption}
                          for k, f in kinds.items()},
        "growth_potential": {k: {g: [x.to_json() for x in gs] for g, gs in f.growth.items()}
                             for k, f in kinds.items()},
    }


def _without_reasons(t: Tally) -> dict[str, Any]:
    return {"rate": t.rate, "compliant": t.compliant, "counted": t.counted, "excluded": t.excluded}


def _headline_json(figures: RoundFigures, kind: str, group: str) -> dict[str, Any] | None:
    t = figures.headline(kind, group)
    return None if t is None else {"column": figures.rules.ipv6_headline[kind], **t.to_json()}
