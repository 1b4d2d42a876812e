"""The monitor's figures from tenders and facilities (rules: ``data/monitor-rules.yaml``).
Pure functions; shares are exact fractions, rounded only when shown (the counting rules'
rounding, as the IV measurement's figures)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from importlib import resources
from typing import Any

import yaml

from meting.analysis.rounding import Rounding, percentage
from meting.analysis.rules import counting_rules
from meting.monitor.model import Facility, Tender

ALL = "all"


@dataclass(frozen=True)
class MonitorRules:
    name: str
    version: str
    tender_target: int
    tender_denominator: str
    asked_not_relevant: str
    facility_target: int
    facility_denominator: str

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"


@cache
def monitor_rules() -> MonitorRules:
    raw = yaml.safe_load((resources.files("meting.monitor") / "data/monitor-rules.yaml")
                         .read_text("utf-8"))
    tenders, facilities = raw["tenders"], raw["facilities"]
    rules = MonitorRules(raw["name"], str(raw["version"]), int(tenders["target"]),
                         tenders["denominator"], tenders["asked_not_relevant"],
                         int(facilities["target"]), facilities["denominator"])
    if rules.tender_denominator != "tenders_with_a_relevant_standard" or \
            rules.facility_denominator != "facilities_with_a_relevant_standard" or \
            rules.asked_not_relevant != "not_counted":
        raise ValueError(f"{rules.label}: a rule this version of meting does not know")
    if not (0 < rules.tender_target <= 100 and 0 < rules.facility_target <= 100):
        raise ValueError(f"{rules.label}: targets are percentages above 0 and at most 100")
    return rules


@dataclass(frozen=True)
class Share:
    part: int
    whole: int

    @property
    def fraction(self) -> Fraction | None:
        return percentage(self.part, self.whole)

    def meets(self, target: int) -> bool | None:
        f = self.fraction
        return None if f is None else f >= target

    def to_json(self, rounding: Rounding) -> dict[str, Any]:
        return {"rate": rounding.rate(self.fraction), "part": self.part, "whole": self.whole}


@dataclass(frozen=True)
class TenderFigures:
    year: int
    tenders: int  # every tender of the year
    left_out: int  # no relevant standard: not in the denominator
    asking: Share  # tenders asking >= 1 relevant standard / tenders with a relevant one
    per_standard: dict[str, Share]  # asked where relevant / relevant
    per_layer: dict[str, Share]


def tender_figures(year: int, tenders: Iterable[Tender]) -> TenderFigures:
    of_year = [t for t in tenders if t.year == year]
    counted = [t for t in of_year if t.relevant]
    per_layer: dict[str, list[Tender]] = {}
    for t in counted:
        per_layer.setdefault(t.layer, []).append(t)
    standards = sorted({s for t in counted for s in t.relevant})
    return TenderFigures(
        year, len(of_year), len(of_year) - len(counted), _asking(counted),
        {s: Share(sum(1 for t in counted if s in t.relevant and s in t.asked),
                  sum(1 for t in counted if s in t.relevant)) for s in standards},
        {layer: _asking(found) for layer, found in sorted(per_layer.items())})


def _asking(tenders: Sequence[Tender]) -> Share:
    return Share(sum(1 for t in tenders if set(t.relevant) & set(t.asked)), len(tenders))


@dataclass(frozen=True)
class FacilityResult:
    name: str
    steward: str
    applied: Share  # relevant standards applied / relevant
    at_target: bool
    missing: tuple[str, ...]  # relevant standards not applied


@dataclass(frozen=True)
class FacilityFigures:
    year: int
    facilities: tuple[FacilityResult, ...]  # sorted by name
    left_out: int
    at_target: Share  # facilities at or above the target / facilities counted
    per_standard: dict[str, Share]  # facilities applying it / facilities where relevant


def facility_figures(year: int, facilities: Iterable[Facility],
                     rules: MonitorRules | None = None) -> FacilityFigures:
    rules = rules or monitor_rules()
    of_year = [f for f in facilities if f.year == year]
    counted = sorted((f for f in of_year if f.standards), key=lambda f: f.name.lower())
    results = []
    for f in counted:
        share = Share(sum(1 for s in f.standards if s.applied), len(f.standards))
        results.append(FacilityResult(f.name, f.steward, share,
                                      bool(share.meets(rules.facility_target)),
                                      tuple(s.standard for s in f.standards if not s.applied)))
    standards = sorted({s.standard for f in counted for s in f.standards})
    return FacilityFigures(
        year, tuple(results), len(of_year) - len(counted),
        Share(sum(1 for r in results if r.at_target), len(results)),
        {s: Share(sum(1 for f in counted for x in f.standards if x.standard == s and x.applied),
                  sum(1 for f in counted for x in f.standards if x.standard == s))
         for s in standards})


@dataclass(frozen=True)
class MonitorFigures:
    year: int
    rules: MonitorRules
    tenders: TenderFigures
    facilities: FacilityFigures
    tender_trend: tuple[TenderFigures, ...]  # every year with tenders up to this one
    facility_trend: tuple[FacilityFigures, ...]


def monitor_figures(year: int, tenders: Sequence[Tender],
                    facilities: Sequence[Facility]) -> MonitorFigures:
    rules = monitor_rules()
    tender_years = sorted({t.year for t in tenders if t.year <= year} | {year})
    facility_years = sorted({f.year for f in facilities if f.year <= year} | {year})
    tender_trend = tuple(tender_figures(y, tenders) for y in tender_years)
    facility_trend = tuple(facility_figures(y, facilities, rules) for y in facility_years)
    return MonitorFigures(year, rules, tender_trend[-1], facility_trend[-1],
                          tuple(t for t in tender_trend if t.tenders),
                          tuple(f for f in facility_trend if f.facilities or f.left_out))


def figures_json(m: MonitorFigures) -> dict[str, Any]:
    r = counting_rules().rounding
    t, f = m.tenders, m.facilities
    return {
        "year": m.year, "rules": m.rules.label, "rounding": counting_rules().label,
        "tenders": {
            "target": m.rules.tender_target, "tenders": t.tenders, "left_out": t.left_out,
            "asking": t.asking.to_json(r), "met": t.asking.meets(m.rules.tender_target),
            "per_standard": {s: v.to_json(r) for s, v in t.per_standard.items()},
            "per_layer": {k: v.to_json(r) for k, v in t.per_layer.items()},
            "trend": [{"year": y.year, **y.asking.to_json(r),
                       "met": y.asking.meets(m.rules.tender_target),
                       "per_layer": {k: v.to_json(r) for k, v in y.per_layer.items()}}
                      for y in m.tender_trend]},
        "facilities": {
            "target": m.rules.facility_target, "left_out": f.left_out,
            "at_target": f.at_target.to_json(r),
            "per_facility": [{"facility": x.name, "steward": x.steward, **x.applied.to_json(r),
                              "at_target": x.at_target, "missing": list(x.missing)}
                             for x in f.facilities],
            "per_standard": {s: v.to_json(r) for s, v in f.per_standard.items()},
            "trend": [{"year": y.year, **y.at_target.to_json(r)} for y in m.facility_trend]},
    }
