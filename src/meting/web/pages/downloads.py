"""Page 8, downloads: a round's report in every format (HTML, PDF, XLSX, CSV, JSON), and the
same for one organisation or one umbrella, rendered by the report layer as ``meting report``
does."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from meting.analysis.analysis import analyse
from meting.analysis.load import load_analysis
from meting.analysis.model import RoundResults
from meting.report.render import FORMATS, render
from meting.store import RoundInfo, Store
from meting.web import queries
from meting.web.access import viewer
from meting.web.render import page
from meting.web.results import as_results
from meting.web.security import REPORT_CSP

router = APIRouter()
MEDIA = {".html": "text/html; charset=utf-8", ".pdf": "application/pdf",
         ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         ".json": "application/json", ".zip": "application/zip"}


@router.get("/downloads", name="downloads")
def downloads(request: Request) -> Response:
    store: Store = request.app.state.store
    who = viewer(request)
    mine = queries.organisations(request.app.state.sessions, who)
    return page(request, "downloads/downloads.html.j2", rounds=queries.with_results(store),
                formats=FORMATS, mine=mine if who.role == "organisation" else [])


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise HTTPException(404)
    return fmt


def _file(files: dict[str, bytes], stem: str, inline: bool) -> Response:
    if len(files) == 1:
        suffix, data = next(iter(files.items()))
    else:  # CSV: one file per test kind, in one zip
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for part, content in files.items():
                archive.writestr(f"{stem}{part}", content)
        suffix, data = ".zip", buffer.getvalue()
    how = "inline" if inline and suffix == ".html" else "attachment"
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in stem)
    headers = {"Content-Disposition": f'{how}; filename="{safe}{suffix}"'}
    if suffix == ".html":  # one self-contained file: its own stylesheet, no script
        headers["Content-Security-Policy"] = REPORT_CSP
    return Response(data, media_type=MEDIA.get(suffix, "application/octet-stream"),
                    headers=headers)


@router.get("/rounds/{round_id}/report", name="round_report")
async def round_report(request: Request, round_id: int, format: str = "html") -> Response:
    store: Store = request.app.state.store
    fmt = _format(format)
    info = queries.round_or_404(store, round_id)
    if not info.done:
        raise HTTPException(404)
    analysis = await run_in_threadpool(load_analysis, store, info.id)
    files = await run_in_threadpool(render, analysis, fmt, request.state.lang)
    return _file(files, f"report-{info.label}", inline=True)


async def _subset_report(request: Request, info: RoundInfo, results: RoundResults, fmt: str,
                         stem: str) -> Response:
    if not results.rows:
        raise HTTPException(404)
    files = await run_in_threadpool(lambda: render(analyse(results), fmt, request.state.lang))
    return _file(files, stem, inline=True)


def _round(store: Store, round_id: int | None) -> RoundInfo:
    if round_id is not None:
        return queries.round_or_404(store, round_id)
    rounds = queries.with_results(store)
    if not rounds:
        raise HTTPException(404)
    return rounds[0]


@router.get("/organisations/{organisation_id}/report", name="organisation_report")
async def organisation_report(request: Request, organisation_id: int, round: int | None = None,
                              format: str = "html") -> Response:
    store: Store = request.app.state.store
    sessions: Any = request.app.state.sessions
    fmt = _format(format)
    owner = queries.organisation(sessions, organisation_id)
    info = _round(store, round)
    rows = queries.tests(sessions, [info.id], organisation_id=owner.id)
    return await _subset_report(request, info, as_results(info, rows, {owner.id: owner}), fmt,
                                f"report-{info.label}-{owner.name}")


@router.get("/umbrellas/{umbrella}/report", name="umbrella_report")
async def umbrella_report(request: Request, umbrella: str, round: int | None = None,
                          format: str = "html") -> Response:
    store: Store = request.app.state.store
    sessions: Any = request.app.state.sessions
    fmt = _format(format)
    info = _round(store, round)
    owners = {o.id: o for o in queries.organisations(sessions, viewer(request))
              if o.umbrella == umbrella}
    rows = [r for r in queries.tests(sessions, [info.id]) if r.organisation_id in owners]
    return await _subset_report(request, info, as_results(info, rows, owners), fmt,
                                f"report-{info.label}-{umbrella}")
