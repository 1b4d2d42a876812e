"""Everything a report shows about one round: its figures, the change since the previous
round of its set, trends over all rounds of the set, the comparison with other domain
sets, the agreements, the laggards and supplier dependency."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from meting.analysis.agreements import (
    Agreement,
    LaggardOrganisation,
    agreements,
    laggards,
    laggards_json,
)
from meting.analysis.coverage import Coverage, coverage_json
from meting.analysis.figures import ALL, RoundFigures, figures_json, round_figures
from meting.analysis.model import RoundResults
from meting.analysis.parents import per_parent
from meting.analysis.providers import Dependency, catalogue, dependency, shares_over_time
from meting.analysis.rules import CountingRules, counting_rules

SERVICES = ("mail", "dns", "web")


@dataclass(frozen=True)
class Analysis:
    current: RoundFigures
    previous: RoundFigures | None
    trend: list[RoundFigures]  # every round of the set up to this one, oldest first
    other_sets: list[RoundFigures]  # the latest round (not after this one) of each other set
    agreements: list[Agreement]
    laggards: dict[str, list[LaggardOrganisation]]
    dependency: dict[str, Dependency]
    mail_shares_over_time: list[dict[str, Any]]
    per_parent: RoundFigures | None = None  # the Rijk layer per ministry (parents as layers)
    per_parent_previous: RoundFigures | None = None
    coverage: tuple[Coverage, ...] = ()  # known, measured and found domains (issue 16)

    @property
    def rules(self) -> CountingRules:
        return self.current.rules


def analyse(results: RoundResults, earlier: Sequence[RoundResults] = (),
            others: Sequence[RoundResults] = (),
            rules: CountingRules | None = None) -> Analysis:
    """``earlier``: rounds of the same set before this one; ``others``: rounds of other sets."""
    rules = rules or counting_rules()
    history = sorted((r for r in earlier if r.date <= results.date
                      and r.round_id != results.round_id), key=lambda r: r.date)
    current = round_figures(results, rules)
    trend = [round_figures(r, rules) for r in history] + [current]
    return Analysis(
        current=current,
        previous=trend[-2] if len(trend) > 1 else None,
        trend=trend,
        other_sets=[round_figures(r, rules) for r in _latest_per_set(results, others)],
        agreements=agreements(current),
        laggards=laggards(results, rules),
        dependency={s: dependency(results, s, rules) for s in SERVICES},
        mail_shares_over_time=shares_over_time([*history, results], rules),
        per_parent=per_parent(results, rules),
        per_parent_previous=per_parent(history[-1], rules) if history else None,
    )


def _latest_per_set(results: RoundResults, others: Sequence[RoundResults]) -> list[RoundResults]:
    latest: dict[str, RoundResults] = {}
    for r in sorted(others, key=lambda r: r.date):
        if r.set_name != results.set_name and r.date <= results.date:
            latest[r.set_name] = r
    return [latest[name] for name in sorted(latest)]


def trend_point(figures: RoundFigures) -> dict[str, Any]:
    """One round in a trend: the 'all' figures per kind."""
    return {
        "round": figures.round.round_id, "label": figures.round.label,
        "date": figures.round.date.isoformat(), "set": figures.round.set_name,
        "n": {k: f.n[ALL] for k, f in figures.kinds.items()},
        "adoption": {k: {c: t.rate for c, t in f.adoption[ALL].items()}
                     for k, f in figures.kinds.items()},
        "layer_average": {k: figures.rules.rounding.rate(f.layer_average[ALL])
                          for k, f in figures.kinds.items()},
        "fully_compliant": {k: (t.rate if (t := f.fully_compliant[ALL]) else None)
                            for k, f in figures.kinds.items()},
        "ipv6_headline": {k: (t.rate if (t := figures.headline(k)) else None)
                          for k in figures.kinds},
        "ipv6_with_mailserver": (t.to_json() if (t := figures.ipv6_with_mailserver.get(ALL))
                                 else None),
    }


def set_comparison(analysis: Analysis) -> list[dict[str, Any]]:
    """IPv6 per domain set with its n: this round's set first, then the others."""
    found = []
    for f in [analysis.current, *analysis.other_sets]:
        web = f.headline("web")
        mail = f.ipv6_with_mailserver.get(ALL)
        found.append({"set": f.round.set_name, "round": f.round.round_id,
                      "ipv6_web": web.to_json() if web else None,
                      "ipv6_with_mailserver": mail.to_json() if mail else None})
    return found


def analysis_json(analysis: Analysis) -> dict[str, Any]:
    """The figures JSON of SPEC §8 with the rest of the analysis beside it."""
    data = figures_json(analysis.current)
    data["previous_round"] = analysis.previous.round.round_id if analysis.previous else None
    data["trend"] = [trend_point(f) for f in analysis.trend]
    data["set_comparison"] = set_comparison(analysis)
    data["agreements"] = [a.to_json() for a in analysis.agreements]
    data["laggards"] = laggards_json(analysis.laggards)
    if analysis.per_parent:
        data["per_parent"] = {k: {"adoption": {g: {c: t.to_json() for c, t in cols.items()}
                                               for g, cols in kf.adoption.items() if g != ALL},
                                  "layer_average": {g: analysis.rules.rounding.rate(v)
                                                    for g, v in kf.layer_average.items()
                                                    if g != ALL}}
                              for k, kf in analysis.per_parent.kinds.items()}
    if analysis.coverage:
        data["coverage"] = coverage_json(analysis.coverage)
    review = analysis.current.round.review
    data["review"] = review.to_json() if review else None
    cat = catalogue()
    data["providers"] = {"catalogue": f"{cat.name} {cat.version}",
                         **{s: d.to_json() for s, d in analysis.dependency.items()},
                         "mail_over_time": analysis.mail_shares_over_time}
    return data
