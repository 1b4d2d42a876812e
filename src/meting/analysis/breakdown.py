"""Figures per umbrella and per organisation of one round (the dashboard's sortable tables):
the same counting as the report's per-layer figures, over other groups of domains."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from meting.analysis.figures import ALL, _fully_compliant_class, kind_figures
from meting.analysis.model import KINDS, DomainResult, RoundResults
from meting.analysis.rules import CountingRules, counting_rules, streefbeeld


def group_figures(rows: Sequence[DomainResult], rules: CountingRules) -> dict[str, Any]:
    """Per kind: domains, average adoption of the layer-average standards, fully compliant."""
    found: dict[str, Any] = {}
    for kind in KINDS:
        of_kind = [r for r in rows if r.kind == kind]
        if not of_kind:
            continue
        f = kind_figures(of_kind, kind, rules)
        fully = f.fully_compliant.get(ALL)
        found[kind] = {
            "n": f.n[ALL],
            "layer_average": rules.rounding.rate(f.layer_average[ALL]),
            "fully_compliant": fully.to_json() if fully else None,
            "failed_columns": sum(t.not_compliant for t in f.adoption[ALL].values()),
        }
    return found


def breakdown(results: RoundResults, key: Callable[[DomainResult], str],
              rules: CountingRules | None = None) -> dict[str, dict[str, Any]]:
    """``group_figures`` per value of ``key`` (e.g. the umbrella), sorted by that value."""
    rules = rules or counting_rules()
    grouped: dict[str, list[DomainResult]] = {}
    for row in results.rows:
        grouped.setdefault(key(row), []).append(row)
    return {name: group_figures(rows, rules) for name, rows in sorted(grouped.items())}


def by_umbrella(results: RoundResults, rules: CountingRules | None = None) -> dict[str, Any]:
    return breakdown(results, lambda r: r.umbrella, rules)


def by_organisation(results: RoundResults,
                    rules: CountingRules | None = None) -> dict[str, Any]:
    found = breakdown(results, lambda r: r.organisation, rules)
    meta = {r.organisation: (r.category, r.umbrella) for r in results.rows}
    for name, figures in found.items():
        figures["category"], figures["umbrella"] = meta[name]
    return found


def fully_compliant_status(columns: Mapping[str, str], kind: str,
                           rules: CountingRules | None = None) -> str:
    """One domain: compliant, not_compliant, or why it is left out (as the headline counts)."""
    rules = rules or counting_rules()
    row = DomainResult(domain="", organisation="", category="", umbrella="", kind=kind,
                       columns=columns)
    return _fully_compliant_class(row, [c.column for c in streefbeeld(kind)], rules)


CHANGES = ("improved", "regressed", "unchanged", "new", "gone")


def change(before: str | None, now: str | None, rules: CountingRules | None = None) -> str:
    """How one domain's column went from one round to another (compliance, not the status
    word: warning → passed is unchanged; a status without result keeps the old verdict
    unknown, so it is unchanged unless it appeared or went)."""
    if before is None and now is None:
        return "unchanged"
    if before is None:
        return "new"
    if now is None:
        return "gone"
    rules = rules or counting_rules()
    was, is_ = rules.classify(before), rules.classify(now)
    if was == "not_compliant" and is_ == "compliant":
        return "improved"
    if was == "compliant" and is_ == "not_compliant":
        return "regressed"
    return "unchanged"
