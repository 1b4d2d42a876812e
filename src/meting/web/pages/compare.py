"""Page 4, two rounds compared: per domain and column improved / regressed / unchanged / new /
gone, filterable by layer, umbrella, organisation, column and change, downloadable as CSV;
and page 5, the laggards per umbrella and the supplier dependency of a round."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from meting.analysis.agreement import ColumnAgreement, agreement
from meting.analysis.comparison import ColumnChange, compare, counts
from meting.report.safety import spreadsheet_text
from meting.store import RoundInfo, Store
from meting.web import queries
from meting.web.access import viewer
from meting.web.kept import Figures
from meting.web.render import page
from meting.web.results import as_results

router = APIRouter()
FILTERS = ("layer", "umbrella", "organisation", "column", "change")


@dataclass(frozen=True)
class Comparison:
    before: RoundInfo
    after: RoundInfo
    changes: list[ColumnChange]  # filtered
    counts: dict[str, int]
    choices: dict[str, list[str]]  # filter -> values present
    agreement: list[ColumnAgreement]  # per column, the same status in both (e.g. two testers)


def comparison(request: Request, a: int | None, b: int | None,
               filters: dict[str, str]) -> Comparison | None:
    store: Store = request.app.state.store
    sessions: Any = request.app.state.sessions
    rounds = queries.with_results(store)
    if len(rounds) < 1:
        return None
    after = queries.round_or_404(store, b) if b is not None else rounds[0]
    if a is not None:
        before = queries.round_or_404(store, a)
    else:
        earlier = queries.previous(queries.all_rounds(store), after)
        before = earlier or (rounds[1] if len(rounds) > 1 else after)
    owners = {o.id: o for o in queries.organisations(sessions, viewer(request))}
    rows = [r for r in queries.tests(sessions, [before.id, after.id])
            if r.organisation_id in owners]
    changes = compare(as_results(before, [r for r in rows if r.round_id == before.id], owners),
                      as_results(after, [r for r in rows if r.round_id == after.id], owners))
    agreeing = agreement(before.label, [r for r in rows if r.round_id == before.id],
                         after.label, [r for r in rows if r.round_id == after.id]).columns
    choices = {"layer": sorted({c.category for c in changes}),
               "umbrella": sorted({c.umbrella for c in changes}),
               "organisation": sorted({c.organisation for c in changes}),
               "column": sorted({c.column for c in changes}),
               "change": ["improved", "regressed", "unchanged", "new", "gone"]}
    field = {"layer": "category", "umbrella": "umbrella", "organisation": "organisation",
             "column": "column", "change": "change"}
    for name, value in filters.items():
        if value:
            changes = [c for c in changes if getattr(c, field[name]) == value]
    return Comparison(before, after, changes, counts(changes), choices, agreeing)


def _filters(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "") for name in FILTERS}


@router.get("/compare", name="compare")
def compare_page(request: Request, a: int | None = None, b: int | None = None,
                 format: str = "html") -> Response:
    found = comparison(request, a, b, _filters(request))
    if found is None:
        return page(request, "overview/empty.html.j2")
    if format == "csv":
        return comparison_csv(found)
    if format != "html":
        raise HTTPException(404)
    return page(request, "compare/compare.html.j2", c=found,
                rounds=queries.with_results(request.app.state.store),
                filters=_filters(request), query=request.url.query)


def comparison_csv(found: Comparison) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["domain", "organisation", "category", "umbrella", "kind", "column",
                     f"status_{found.before.label}", f"status_{found.after.label}", "change"])
    for c in found.changes:
        writer.writerow([spreadsheet_text(v) for v in (
            c.domain, c.organisation, c.category, c.umbrella, c.kind, c.column, c.before or "",
            c.after or "", c.change)])
    name = f"comparison-{found.before.label}-{found.after.label}.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _round_figures(request: Request, round_id: int | None) -> tuple[RoundInfo, dict[str, Any]]:
    store: Store = request.app.state.store
    figures: Figures = request.app.state.figures
    rounds = queries.with_results(store)
    if round_id is None and not rounds:
        raise HTTPException(404)
    info = queries.round_or_404(store, round_id) if round_id is not None else rounds[0]
    return info, figures.of(info)


@router.get("/laggards", name="laggards")
def laggards(request: Request, round: int | None = None) -> Response:
    info, data = _round_figures(request, round)
    who = viewer(request)
    visible = {o.name: o for o in queries.organisations(request.app.state.sessions, who)}
    per_umbrella = {}
    for umbrella, orgs in data["figures"]["laggards"].items():
        shown = [o for o in orgs if o["organisation"] in visible]
        if shown:
            per_umbrella[umbrella] = [(visible[o["organisation"]].id, o) for o in shown]
    return page(request, "compare/laggards.html.j2", info=info, laggards=per_umbrella,
                rounds=queries.with_results(request.app.state.store))


@router.get("/suppliers", name="suppliers")
def suppliers(request: Request, round: int | None = None) -> Response:
    info, data = _round_figures(request, round)
    return page(request, "compare/suppliers.html.j2", info=info,
                providers=data["figures"]["providers"],
                rounds=queries.with_results(request.app.state.store))
