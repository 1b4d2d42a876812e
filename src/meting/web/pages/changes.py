"""Change reports in the dashboard (issue 15 §4): per domain and column what improved,
regressed or is new since the previous round, for one organisation or one umbrella (which
may narrow it to one of its organisations); as a page, CSV or XLSX. The figures come from
the same service as ``meting report --changes`` (``analysis.load.change_report``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from meting.analysis.changes import CHANGES, ChangeReport
from meting.analysis.load import change_report
from meting.report.changes import render_changes
from meting.store import Store
from meting.web import queries
from meting.web.access import viewer
from meting.web.pages.downloads import MEDIA
from meting.web.pages.organisations import chosen_round
from meting.web.render import page

router = APIRouter()
DOWNLOADS = ("csv", "xlsx")


@router.get("/organisations/{organisation_id}/changes", name="organisation_changes")
def organisation_changes(request: Request, organisation_id: int, round: int | None = None,
                         format: str = "html") -> Response:
    owner = queries.organisation(request.app.state.sessions, organisation_id)
    return _answer(request, round, format, owner.name, owner.name, organisation=owner.name,
                   choices=[], chosen=None)


@router.get("/umbrellas/{umbrella}/changes", name="umbrella_changes")
def umbrella_changes(request: Request, umbrella: str, round: int | None = None,
                     organisation: int | None = None, format: str = "html") -> Response:
    """An umbrella's changes; ``organisation`` narrows them to one of its organisations
    (one outside the umbrella, or outside what the viewer sees, does not exist: 404)."""
    mine = [o for o in queries.organisations(request.app.state.sessions, viewer(request))
            if o.umbrella == umbrella]
    if not mine:
        raise HTTPException(404)
    chosen = None
    if organisation is not None:
        chosen = next((o for o in mine if o.id == organisation), None)
        if chosen is None:
            raise HTTPException(404)
    return _answer(request, round, format, umbrella,
                   chosen.name if chosen else umbrella, umbrella=umbrella,
                   organisation=chosen.name if chosen else None, choices=mine, chosen=chosen)


def _answer(request: Request, round_id: int | None, fmt: str, title: str, stem: str, *,
            organisation: str | None = None, umbrella: str | None = None,
            **view: Any) -> Response:
    if fmt not in ("html", *DOWNLOADS):
        raise HTTPException(404)
    store: Store = request.app.state.store
    info = chosen_round(store, round_id)
    if info is None:
        return page(request, "overview/empty.html.j2")
    report = change_report(store, info.id, umbrella=umbrella)
    if organisation is not None:
        report = report.for_organisation(organisation)
    if fmt != "html":
        data = render_changes(report, fmt, request.state.lang)
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_"
                       for ch in f"changes-{info.label}-{stem}")
        return Response(data, media_type=MEDIA.get(f".{fmt}", "text/csv; charset=utf-8"),
                        headers={"Content-Disposition": f'attachment; filename="{safe}.{fmt}"'})
    return page(request, "changes/changes.html.j2", info=info, title=title, report=report,
                counts=_counts(report), downloads=DOWNLOADS, umbrella=umbrella,
                rounds=queries.with_results(store), **view)


def _counts(report: ChangeReport) -> list[tuple[str, int]]:
    return [(c, len(report.of(c))) for c in CHANGES]
