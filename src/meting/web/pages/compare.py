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
from markupsafe import Markup, escape

from meting.analysis.agreement import ColumnAgreement, agreement_of_changes
from meting.analysis.comparison import ColumnChange, compare, counts
from meting.report.safety import spreadsheet_text
from meting.store import RoundInfo, Store
from meting.web import queries
from meting.web.access import viewer
from meting.web.kept import Comparisons, Figures, KeptComparison, choices
from meting.web.render import page, texts
from meting.web.results import as_results
from meting.web.texts import WebTexts

router = APIRouter()
FILTERS = ("layer", "umbrella", "organisation", "column", "change")
FIELDS = {"layer": "category", "umbrella": "umbrella", "organisation": "organisation",
          "column": "column", "change": "change"}  # filter -> field of a change


@dataclass(frozen=True)
class Comparison:
    before: RoundInfo
    after: RoundInfo
    rounds: list[RoundInfo]  # with results, newest first
    changes: list[ColumnChange]  # filtered
    counts: dict[str, int]
    choices: dict[str, list[str]]  # filter -> values present
    agreement: list[ColumnAgreement]  # per column, the same status in both (e.g. two testers)


def comparison(request: Request, a: int | None, b: int | None,
               filters: dict[str, str]) -> Comparison | None:
    store: Store = request.app.state.store
    sessions: Any = request.app.state.sessions
    every = queries.all_rounds(store)  # read once: each reading counts every test
    rounds = queries.with_results(store, every)
    if len(rounds) < 1:
        return None
    after = queries.round_or_404(store, b, every) if b is not None else rounds[0]
    if a is not None:
        before = queries.round_or_404(store, a, every)
    else:
        earlier = queries.previous(every, after)
        before = earlier or (rounds[1] if len(rounds) > 1 else after)
    kept = kept_changes(request, before, after)
    who = viewer(request)
    wanted = filters.get("organisation", "")
    if who.sees_all:
        changes, present = kept.changes, kept.choices
        agreeing = agreement_of_changes(changes)
        if wanted:
            changes = kept.by_organisation.get(wanted, [])
    else:  # the viewer's organisations only, in the comparison's order
        visible = {o.name for o in queries.organisations(sessions, who)}
        changes = [c for name in sorted(visible) for c in kept.by_organisation.get(name, [])]
        changes.sort(key=lambda c: (c.domain, c.kind))  # stable: columns stay in order
        present = choices(changes)
        agreeing = agreement_of_changes(changes)
        if wanted:
            changes = [c for c in changes if c.organisation == wanted]
    rest = {FIELDS[name]: value for name, value in filters.items()
            if value and name != "organisation"}
    if not rest and not wanted and who.sees_all:
        return Comparison(before, after, rounds, changes, kept.counts, present, agreeing)
    for name, value in rest.items():
        changes = [c for c in changes if getattr(c, name) == value]
    return Comparison(before, after, rounds, changes, counts(changes), present, agreeing)


def kept_changes(request: Request, before: RoundInfo, after: RoundInfo) -> KeptComparison:
    """Every organisation's changes between the rounds; of finished rounds made once and
    kept (the fast path of the overview's kept figures)."""
    sessions: Any = request.app.state.sessions
    app_state = request.app.state
    if not hasattr(app_state, "comparisons"):
        app_state.comparisons = Comparisons()
    kept: Comparisons = app_state.comparisons

    def compute() -> list[ColumnChange]:
        owners = {o.id: o for o in queries.all_organisations(sessions)}
        rows = queries.tests(sessions, [before.id, after.id], details=False)
        return compare(as_results(before, [r for r in rows if r.round_id == before.id], owners),
                       as_results(after, [r for r in rows if r.round_id == after.id], owners))

    return kept.of(before, after, compute)


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
    # one link filled in per row: url_for per row of 2,000 took much of the page's time
    domain_link = str(request.url_for("domain", domain="-"))[:-1]
    return page(request, "compare/compare.html.j2", c=found, domain_link=domain_link,
                rounds=found.rounds, filters=_filters(request), query=request.url.query)


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


def _round_figures(request: Request, round_id: int | None
                   ) -> tuple[RoundInfo, dict[str, Any], list[RoundInfo]]:
    """The round (default: the latest with results), its figures, the rounds with results."""
    store: Store = request.app.state.store
    figures: Figures = request.app.state.figures
    every = queries.all_rounds(store)  # read once: each reading counts every test
    rounds = queries.with_results(store, every)
    if round_id is None and not rounds:
        raise HTTPException(404)
    info = queries.round_or_404(store, round_id, every) if round_id is not None else rounds[0]
    return info, figures.of(info), rounds


@router.get("/laggards", name="laggards")
def laggards(request: Request, round: int | None = None) -> Response:
    info, data, rounds = _round_figures(request, round)
    who = viewer(request)
    visible = {o.name: o for o in queries.organisations(request.app.state.sessions, who)}
    links = (str(request.url_for("organisation", organisation_id=ID_SLOT)),
             str(request.url_for("domain", domain="-"))[:-1])
    per_umbrella = {}
    for umbrella, orgs in data["figures"]["laggards"].items():
        shown = [(visible[o["organisation"]].id, o) for o in orgs
                 if o["organisation"] in visible]
        if shown:
            per_umbrella[umbrella] = laggard_rows(texts(request), shown, info.id, *links)
    return page(request, "compare/laggards.html.j2", info=info, laggards=per_umbrella,
                rounds=rounds)


ID_SLOT = "organisation-id"


def laggard_rows(t: WebTexts, orgs: list[tuple[int, dict[str, Any]]], round_id: int,
                 organisation_link: str, domain_link: str) -> Markup:
    """The rows of one umbrella's laggards, made here rather than in the template: at
    national scale (thousands of domains, each with its misses) the template's per-cell
    calls took seconds. Every value is escaped as the template would; each distinct label
    is looked up once."""
    label: dict[tuple[str, str], str] = {}

    def said(kind: str, key: str) -> str:
        found = label.get((kind, key))
        if found is None:
            found = {"kind": t.kind, "column": t.column, "status": t.status}[kind](key)
            label[(kind, key)] = found
        return found

    rows = []
    for oid, o in orgs:
        owner = (f'<td><a href="{escape(organisation_link.replace(ID_SLOT, str(oid)))}'
                 f'?round={round_id}">{escape(o["organisation"])}</a></td>')
        for d in o["domains"]:
            misses = "".join(
                f'<li>{escape(said("kind", m["kind"]))} {escape(said("column", m["column"]))} '
                f'({escape(said("status", m["status"]))}, '
                f'{escape(t("miss_deadline", year=m["deadline"]))}): '
                f'{escape(m["advice"][t.lang])}</li>'
                for m in d["misses"])
            rows.append(f'<tr>{owner}<td><a href="{escape(domain_link)}{escape(d["domain"])}'
                        f'?round={round_id}">{escape(d["domain"])}</a>'
                        f'{"*" if d.get("reaction") else ""}</td>\n<td><ul>{misses}</ul></td>'
                        '</tr>\n')
    return Markup("".join(rows))


@router.get("/suppliers", name="suppliers")
def suppliers(request: Request, round: int | None = None) -> Response:
    info, data, rounds = _round_figures(request, round)
    return page(request, "compare/suppliers.html.j2", info=info,
                providers=data["figures"]["providers"], rounds=rounds)
