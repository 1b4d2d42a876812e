"""Stored tests as the analysis reads them: the pages' rows turned into ``RoundResults`` so
that laggards, figures and reports of one organisation or umbrella are the analysis's own."""

from __future__ import annotations

from collections.abc import Sequence

from meting.analysis.model import DomainResult, RoundResults
from meting.store import RoundInfo
from meting.web.queries import OrganisationInfo, TestRow


def as_results(info: RoundInfo, rows: Sequence[TestRow],
               owners: dict[int, OrganisationInfo]) -> RoundResults:
    found = []
    for row in rows:
        owner = owners[row.organisation_id]
        found.append(DomainResult(domain=row.domain, organisation=owner.name,
                                  category=owner.category, umbrella=owner.umbrella or "",
                                  kind=row.kind, columns=row.columns, target=row.target))
    return RoundResults(round_id=info.label, label=info.label, date=info.date,
                        set_name=info.set_name or "", norm=info.norm, rows=found)
