"""The review cycle's effect on a round's results: re-tests and accepted explanations,
applied as the counting rules choose (``review`` in counting-rules.yaml). Pure."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from meting.analysis.model import DomainResult, Finding, ReviewCounts, RoundResults
from meting.analysis.rules import ReviewRules


@dataclass(frozen=True)
class RetestColumns:
    """A finished re-test of one test of the round (the latest per domain and kind wins)."""

    domain: str
    kind: str
    columns: dict[str, str]
    explanations: dict[str, dict[str, str]]


@dataclass(frozen=True)
class AcceptedExplanation:
    domain: str
    kind: str
    column: str
    reason: str


def apply_review(results: RoundResults, retests: Sequence[RetestColumns],
                 explanations: Sequence[AcceptedExplanation], rules: ReviewRules
                 ) -> RoundResults:
    """The round's results as counted: re-tests (oldest first) and explanations applied."""
    latest = {(r.domain, r.kind): r for r in retests}
    reasons: dict[tuple[str, str], dict[str, str]] = {}
    for e in explanations:
        reasons.setdefault((e.domain, e.kind), {})[e.column] = e.reason
    rows, used, counted = [], 0, 0
    for row in results.rows:
        key = (row.domain, row.kind)
        if rules.use_retests and key in latest:
            retested = _retested(row, latest[key], rules.keep_measured_when)
            if retested.retested:
                row, used = retested, used + 1
        explained = {c: why for c, why in reasons.get(key, {}).items() if c in row.columns}
        if explained:
            row = dataclasses.replace(row, explained=explained)
            if rules.explanations_change_figures:
                changed = {c: rules.explained_counts_as for c in explained}
                counted += sum(row.columns[c] != rules.explained_counts_as for c in explained)
                row = dataclasses.replace(row, columns={**row.columns, **changed})
        rows.append(row)
    in_round = {(r.domain, r.kind) for r in results.rows}
    counts = ReviewCounts(
        retests_rule=rules.retests_rule, retests_done=len(latest), retests_used=used,
        explanations_rule=rules.explanations_rule,
        explanations=sum(len(v) for k, v in reasons.items() if k in in_round),
        explanations_counted=counted)
    return dataclasses.replace(results, rows=rows, review=counts)


def _retested(row: DomainResult, retest: RetestColumns, keep_measured_when: frozenset[str]
              ) -> DomainResult:
    """The row with the re-test's columns, except those where the re-test gave no result
    (e.g. the server did not answer it): there the round's measurement stands, so that
    a re-test cannot erase a measured failure by not being answered."""
    replaced = {c: s for c, s in retest.columns.items() if s not in keep_measured_when}
    if not replaced:
        return row
    details = {c: Finding(s, str((retest.explanations.get(c) or {}).get("nl", "")),
                          str((retest.explanations.get(c) or {}).get("en", "")))
               for c, s in replaced.items()}
    return dataclasses.replace(row, columns={**row.columns, **replaced},
                               details={**row.details, **details}, retested=True)
