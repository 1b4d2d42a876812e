"""From the store to the analysis input: a stored round (statuses, plus the MX, name-server
and address names of its evidence for the supplier analysis) as ``RoundResults``."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from meting.analysis.analysis import Analysis, analyse, analysis_json
from meting.analysis.changes import ChangeReport, changes
from meting.analysis.coverage import Coverage
from meting.analysis.model import DomainResult, Finding, RoundResults
from meting.analysis.review import AcceptedExplanation, RetestColumns, apply_review
from meting.analysis.rules import counting_rules
from meting.analysis.scope import Scope, ScopedRound, scope_round
from meting.store import RoundInfo, Store, StoredResult, StoreError


def find_round(store: Store, ref: str | int) -> RoundInfo:
    """A round by its label (``2021-03``) or its number (an int is always the number)."""
    if isinstance(ref, int):
        return store.round(ref)
    try:
        return store.round_by_label(ref)
    except StoreError:
        if ref.isdigit():
            return store.round(int(ref))
        raise


def round_results(store: Store, info: RoundInfo, *, evidence_kinds: Iterable[str] = (
        "web", "mail")) -> RoundResults:
    """The round's done tests, explanations and reactions; evidence (for supplier data) is
    read for the kinds named. Imported statuses have no evidence and no explanations."""
    rows = []
    for kind in ("web", "mail"):
        with_evidence = kind in set(evidence_kinds)
        rows += [_row(r, r.evidence or {}) for r in store.results(
            info.id, kind, with_evidence=with_evidence)]
    results = RoundResults(round_id=info.label, label=info.label, date=info.date,
                           set_name=info.set_name or "", norm=info.norm, rows=rows,
                           reactions=store.reactions(info.id))
    return with_review(store, info, results)


def with_review(store: Store, info: RoundInfo, results: RoundResults) -> RoundResults:
    """Re-tests finished before the review closed and accepted explanations, applied as the
    counting rules choose; a round that was never reviewed has none."""
    from meting.store.review import ReviewStore

    review = ReviewStore(store)
    window = review.window(info.id, datetime.date.today())
    retests = [] if window is None else [
        RetestColumns(r.domain, r.kind, r.columns, r.explanations)
        for r in review.retests(info.id, done_before=window.closing_moment)]
    explained = [AcceptedExplanation(e.domain, e.kind, e.column, e.reason)
                 for e in review.explanations_valid_for(info.id)]
    return apply_review(results, retests, explained, counting_rules().review)


def load_analysis(store: Store, ref: str | int) -> Analysis:
    """The round, the earlier rounds of its set and the latest round of each other set.

    Earlier and other rounds are read without web evidence: only their MX names are
    needed (mail provider share over time)."""
    info = find_round(store, ref)
    current = round_results(store, info)
    earlier: list[RoundResults] = []
    others: list[RoundResults] = []
    for other in store.rounds():
        if other.id == info.id or other.date > info.date or other.done == 0:
            continue
        results = round_results(store, other, evidence_kinds=("mail",)
                                if other.set_name == info.set_name else ())
        (earlier if other.set_name == info.set_name else others).append(results)
    return dataclasses.replace(analyse(current, earlier, others),
                               coverage=load_coverage(store, info.id))


def load_coverage(store: Store, round_id: int) -> tuple[Coverage, ...]:
    """Known, measured and found domains per organisation (analysis/coverage.py)."""
    from sqlalchemy.orm import sessionmaker

    from meting.store.candidates import coverage

    with sessionmaker(store.engine)() as session:
        return tuple(Coverage(*row) for row in coverage(session, round_id))


def round_figures_json(store: Store, ref: str | int) -> dict[str, Any]:
    """The figures JSON of SPEC §8 of a stored round (what ``meting report --format json``
    writes): adoption per kind, layer and column, layer averages, fully compliant, IPv6
    with a receiving mail server, with the counting rules' name and version, plus trend,
    set comparison, agreements, laggards and providers."""
    return analysis_json(load_analysis(store, ref))


def _row(result: StoredResult, evidence: Mapping[str, Any]) -> DomainResult:
    mx = [e for e in evidence.get("mx", []) if isinstance(e, Mapping)]
    hosts: list[Mapping[str, Any]] = mx if result.kind == "mail" else [evidence.get("host", {})]
    return DomainResult(
        domain=result.domain, organisation=result.organisation, category=result.category,
        umbrella=result.umbrella or "", kind=result.kind, columns=dict(result.columns),
        mx_hosts=tuple(str(e.get("name", "")) for e in mx),
        nameservers=tuple(str(n["name"]) for n in evidence.get("nameservers", [])
                          if isinstance(n, Mapping) and "name" in n),
        web_host=result.target if result.kind == "web" else None,
        addresses=tuple(a for h in hosts for a in _addresses(h)),
        host_aliases=_aliases(evidence.get("host", {})) if result.kind == "web" else (),
        target=result.target, reaction=result.reaction, parent=result.parent,
        details={c: _finding(s, result.explanations.get(c)) for c, s in result.columns.items()},
        subtests={name: _finding(status, result.subtest_explanations.get(name))
                  for name, status in result.subtests.items()})


def _finding(status: str, explanation: Any) -> Finding:
    if not isinstance(explanation, Mapping):
        return Finding(status)
    return Finding(status, str(explanation.get("nl", "")), str(explanation.get("en", "")))


def _aliases(host: Mapping[str, Any]) -> tuple[str, ...]:
    answer = host.get("a") if isinstance(host, Mapping) else None
    chain = answer.get("cname_chain", []) if isinstance(answer, Mapping) else []
    return tuple(str(name) for name in chain)


def _addresses(host: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for key in ("a", "aaaa"):
        answer = host.get(key)
        if isinstance(answer, Mapping) and answer.get("rcode") == "NOERROR":
            found += [str(a) for a in answer.get("answers", [])]
    return found


def previous_round(store: Store, info: RoundInfo) -> RoundInfo | None:
    """The latest round of the same set before this one that has results."""
    earlier = [r for r in store.rounds() if r.id != info.id and r.set_name == info.set_name
               and r.done > 0 and (r.date, r.id) < (info.date, info.id)]
    return max(earlier, key=lambda r: (r.date, r.id)) if earlier else None


def load_scope(store: Store, ref: str | int, scope: Scope) -> ScopedRound:
    """One organisation's, umbrella's or parent's part of a stored round (analysis/scope)."""
    info = find_round(store, ref)
    before = previous_round(store, info)
    return scope_round(round_results(store, info, evidence_kinds=()),
                       round_results(store, before, evidence_kinds=()) if before else None,
                       scope)


def change_report(store: Store, ref: str | int, organisation: str | None = None,
                  umbrella: str | None = None) -> ChangeReport:
    """What improved, regressed or is new since the previous round of the set (counted
    results, with the review cycle applied to both rounds)."""
    info = find_round(store, ref)
    before = previous_round(store, info)
    previous = round_results(store, before, evidence_kinds=()) if before else None
    current = round_results(store, info, evidence_kinds=())
    return changes(current, previous, counting_rules(), organisation, umbrella)
