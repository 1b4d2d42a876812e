"""The agreements (streefbeeld columns with a deadline) and the laggards that miss them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from meting.analysis.figures import ALL, RoundFigures, Tally
from meting.analysis.model import RoundResults
from meting.analysis.rules import Column, CountingRules, agreed

NO_UMBRELLA = ""


@dataclass(frozen=True)
class Agreement:
    column: Column
    due: bool  # the round is past the deadline
    tally: Tally

    @property
    def met(self) -> bool:
        """Met when every counted domain complies."""
        return self.tally.counted > 0 and self.tally.not_compliant == 0

    def to_json(self) -> dict[str, Any]:
        end = self.column.deadline_date()
        short = None if self.tally.fraction is None else 100 - self.tally.fraction
        return {"kind": self.column.kind, "column": self.column.column,
                "deadline": end.isoformat() if end else None, "due": self.due, "met": self.met,
                "rate": self.tally.rate, "compliant": self.tally.compliant,
                "counted": self.tally.counted,
                "shortfall_points": self.tally.rounding.points(short),
                "missing_domains": self.tally.not_compliant,
                "legal_since": (self.column.legal_since.isoformat()
                                if self.column.legal_since else None),
                "source": self.column.source}


def agreements(figures: RoundFigures) -> list[Agreement]:
    """Every agreement (``rules.agreed``: a column with a deadline) that the round measured."""
    found = []
    for kind, kf in figures.kinds.items():
        for column in agreed(kind):
            t = kf.adoption[ALL].get(column.column)
            if t is not None:
                found.append(Agreement(column, column.past_deadline(figures.round.date), t))
    return found


@dataclass(frozen=True)
class Miss:
    kind: str
    column: str
    status: str
    deadline: int


@dataclass(frozen=True)
class LaggardDomain:
    domain: str
    reaction: bool
    misses: tuple[Miss, ...]


@dataclass(frozen=True)
class LaggardOrganisation:
    organisation: str
    category: str
    domains: tuple[LaggardDomain, ...]


def laggards(results: RoundResults, rules: CountingRules) -> dict[str, list[LaggardOrganisation]]:
    """Per umbrella (sorted), the organisations and domains that miss an agreement whose
    deadline (end of its year) lies before the round date. Only a not-compliant status is a
    miss: a domain without a result is not held to account on that column."""
    due = {kind: [c for c in agreed(kind) if c.past_deadline(results.date)]
           for kind in ("web", "mail")}
    found: dict[tuple[str, str, str], dict[str, list[Miss]]] = {}
    for row in results.rows:
        misses = [Miss(row.kind, c.column, status, c.deadline or 0)
                  for c in due.get(row.kind, [])
                  if rules.classify(status := row.columns.get(c.column) or "") == "not_compliant"]
        if misses:
            key = (row.umbrella or NO_UMBRELLA, row.organisation, row.category)
            found.setdefault(key, {}).setdefault(row.domain, []).extend(misses)
    reacting = {row.domain for row in results.rows if row.reaction}
    result: dict[str, list[LaggardOrganisation]] = {}
    for (umbrella, organisation, category), domains in sorted(found.items()):
        reacted = organisation in results.reactions
        entries = tuple(LaggardDomain(d, reacted or d in reacting, tuple(m))
                        for d, m in sorted(domains.items()))
        result.setdefault(umbrella, []).append(LaggardOrganisation(organisation, category,
                                                                   entries))
    return result


@cache
def advice() -> dict[str, dict[str, dict[str, str]]]:
    text = (resources.files("meting.analysis") / "data/advice.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return {kind: data[kind] for kind in ("web", "mail")}


def advice_for(kind: str, column: str, lang: str) -> str:
    return advice().get(kind, {}).get(column, {}).get(lang, "")


def laggards_json(found: dict[str, list[LaggardOrganisation]]) -> dict[str, Any]:
    return {umbrella: [
        {"organisation": o.organisation, "category": o.category,
         "domains": [{"domain": d.domain, "reaction": d.reaction,
                      "misses": [{"kind": m.kind, "column": m.column, "status": m.status,
                                  "deadline": m.deadline,
                                  "advice": {lang: advice_for(m.kind, m.column, lang)
                                             for lang in ("nl", "en")}}
                                 for m in d.misses]} for d in o.domains]}
        for o in orgs] for umbrella, orgs in found.items()}
