"""The counting rules (SPEC §6) and the report columns (norms/columns.yaml) with their
agreements (the standards register, meting.standards), loaded from data."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from meting import norms, standards
from meting.analysis.rounding import Rounding


@dataclass(frozen=True)
class Column:
    kind: str
    column: str
    deadline: int | None  # the agreement holds from the end of this year
    streefbeeld: bool
    agreement: bool = False  # in the agreements table and laggard lists (standards register)
    legal_since: datetime.date | None = None  # required by law since (e.g. HTTPS, HSTS)
    listed_since: int | None = None  # on the 'pas toe of leg uit' list since
    source: str | None = None

    def deadline_date(self) -> datetime.date | None:
        return None if self.deadline is None else datetime.date(self.deadline, 12, 31)

    def past_deadline(self, on: datetime.date) -> bool:
        end = self.deadline_date()
        return end is not None and on > end


@dataclass(frozen=True)
class ReviewRules:
    """Whether the review cycle changes figures (counting-rules.yaml, ``review``)."""

    retests_rule: str = "hertests-voor-sluiting"
    use_retests: bool = True  # re-tests finished before the review closed replace results
    # a re-test's column with one of these statuses leaves the round's measurement standing
    keep_measured_when: frozenset[str] = frozenset({"unreachable", "not_testable", "error"})
    explanations_rule: str = "uitleg-telt-niet"
    explanations_change_figures: bool = False
    explained_counts_as: str = "not_applicable"


@dataclass(frozen=True)
class CountingRules:
    name: str
    version: str
    compliant: frozenset[str]
    not_compliant: frozenset[str]
    excluded: tuple[str, ...]
    no_result: frozenset[str]
    layer_average: dict[str, tuple[str, ...]]
    fully_compliant_neutral: frozenset[str]
    ipv6_headline: dict[str, str]
    ipv6_mail_column: str
    receiving_column: str
    receiving_statuses: frozenset[str]
    growth_potential: dict[str, tuple[tuple[str, str], ...]]
    rounding: Rounding
    per_parent_categories: frozenset[str] = frozenset()
    own_parent: frozenset[str] = frozenset()
    successors: dict[str, str] = field(default_factory=dict)
    review: ReviewRules = field(default_factory=lambda: ReviewRules())

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    def classify(self, status: str | None) -> str:
        """'compliant', 'not_compliant' or 'excluded' (an absent column is excluded too)."""
        if status in self.compliant:
            return "compliant"
        if status in self.not_compliant:
            return "not_compliant"
        return "excluded"


def _data(package: str, name: str) -> Any:
    return yaml.safe_load((resources.files(package) / name).read_text(encoding="utf-8"))


@cache
def counting_rules() -> CountingRules:
    return rules_from_data(_data("meting.analysis", "data/counting-rules.yaml"))


def rules_from_data(raw: dict[str, Any]) -> CountingRules:
    """The counting rules of a parsed counting-rules.yaml, checked (ValueError)."""
    ipv6 = raw["ipv6_with_mailserver"]
    rules = CountingRules(
        name=raw["name"], version=str(raw["version"]),
        compliant=frozenset(raw["compliant"]), not_compliant=frozenset(raw["not_compliant"]),
        excluded=tuple(raw["excluded"]), no_result=frozenset(raw["no_result"]),
        layer_average={k: tuple(v) for k, v in raw["layer_average"].items()},
        fully_compliant_neutral=frozenset(raw["fully_compliant"]["neutral"]),
        ipv6_headline=dict(raw["ipv6_headline"]),
        ipv6_mail_column=ipv6["column"],
        receiving_column=ipv6["receiving_mail_server"]["column"],
        receiving_statuses=frozenset(ipv6["receiving_mail_server"]["statuses"]),
        growth_potential={k: tuple((a, b) for a, b in v)
                          for k, v in raw["growth_potential"].items()},
        rounding=Rounding.from_data(raw["rounding"]),
        per_parent_categories=frozenset(raw.get("per_parent", {}).get("categories", ())),
        own_parent=frozenset(raw.get("per_parent", {}).get("own_parent", ())),
        successors=dict(raw.get("per_parent", {}).get("successors") or {}),
        review=_review_rules(raw.get("review", {})),
    )
    _check_partition(rules, raw)
    return rules


def _review_rules(raw: dict[str, Any]) -> ReviewRules:
    retests, explained = raw.get("retests", {}), raw.get("explanations", {})
    default = ReviewRules()
    return ReviewRules(
        retests_rule=str(retests.get("rule", default.retests_rule)),
        use_retests=bool(retests.get("use_before_closing", default.use_retests)),
        keep_measured_when=frozenset(retests.get("keep_measured_when",
                                                 default.keep_measured_when)),
        explanations_rule=str(explained.get("rule", default.explanations_rule)),
        explanations_change_figures=bool(explained.get(
            "change_figures", default.explanations_change_figures)),
        explained_counts_as=str(explained.get("counted_as", default.explained_counts_as)))


def _check_partition(rules: CountingRules, raw: dict[str, Any]) -> None:
    statuses = set(norms.columns().statuses)
    classes = [set(raw["compliant"]), set(raw["not_compliant"]), set(raw["excluded"])]
    if set().union(*classes) != statuses or sum(map(len, classes)) != len(statuses):
        raise ValueError(f"counting rules {rules.label}: status classes must partition {statuses}")
    if not rules.review.keep_measured_when <= statuses:
        raise ValueError(f"counting rules {rules.label}: review.retests.keep_measured_when "
                         f"must be statuses of {statuses}")
    if rules.review.explained_counts_as not in statuses:
        raise ValueError(f"counting rules {rules.label}: review.explanations.counted_as "
                         f"must be a status, not {rules.review.explained_counts_as!r}")
    if not rules.no_result <= set(rules.excluded):
        raise ValueError(f"counting rules {rules.label}: no_result statuses must be excluded")
    # Fully compliant: an excluded status either leaves the domain out (no result) or is
    # neutral; none may be both or neither.
    neutral = rules.fully_compliant_neutral
    if neutral & rules.no_result or neutral | rules.no_result != set(rules.excluded):
        raise ValueError(f"counting rules {rules.label}: fully_compliant.neutral and no_result "
                         "must split the excluded statuses")


@cache
def columns() -> dict[str, tuple[Column, ...]]:
    """The report columns per kind, in report order."""
    raw, agreements = norms.columns(), standards.register()
    return {kind: tuple(_column(kind, c.column, agreements.agreement_for(kind, c.column))
                        for c in getattr(raw, kind)) for kind in ("web", "mail")}


def _column(kind: str, name: str, a: standards.Agreement | None) -> Column:
    """A report column with its agreement from the standards register (the one source)."""
    if a is None:
        return Column(kind, name, None, False)
    return Column(kind, name, a.deadline, a.streefbeeld, a.in_table,
                  a.legal.since if a.legal else None, a.listed_since,
                  a.legal.source if a.legal else a.source)


def column_names(kind: str) -> tuple[str, ...]:
    return tuple(c.column for c in columns()[kind])


def streefbeeld(kind: str) -> tuple[Column, ...]:
    return tuple(c for c in columns()[kind] if c.streefbeeld)


def agreed(kind: str) -> tuple[Column, ...]:
    """The agreements: columns marked so (streefbeeld by default) that have a deadline."""
    return tuple(c for c in columns()[kind] if c.agreement and c.deadline is not None)
