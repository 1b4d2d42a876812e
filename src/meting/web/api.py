"""``/api/v1``: what the pages show, as JSON for scripts, with the same access rules (a token
from ``meting user token EMAIL`` as ``Authorization: Bearer TOKEN``, or a session). Columns
and subtests carry the names of SPEC §4 (Internet.nl's test names)."""

from __future__ import annotations

import json
import threading
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from meting.store import RoundInfo, Store
from meting.web import queries
from meting.web.access import viewer
from meting.web.kept import Figures
from meting.web.pages.compare import FILTERS, comparison

router = APIRouter()


def _round_json(info: RoundInfo) -> dict[str, Any]:
    return {"id": info.id, "label": info.label, "date": info.date.isoformat(),
            "set": info.set_name, "norm": info.norm, "state": info.state,
            "executor": info.executor, "planned": info.planned, "done": info.done,
            "started_at": info.started_at.isoformat() if info.started_at else None,
            "finished_at": info.finished_at.isoformat() if info.finished_at else None}


@router.get("/rounds", name="api_rounds")
def api_rounds(request: Request) -> list[dict[str, Any]]:
    """Every round, oldest first."""
    store: Store = request.app.state.store
    return [_round_json(r) for r in queries.all_rounds(store)]


@router.get("/rounds/{round_id}", name="api_round")
def api_round(request: Request, round_id: int) -> dict[str, Any]:
    """A round with its number of done tests per kind, column and status."""
    store: Store = request.app.state.store
    info = store.round(queries.round_or_404(store, round_id).id)
    return {**_round_json(info), "counts": info.counts}


class EncodedFigures:
    """A finished round's whole figures as JSON bytes, encoded once per kept version: at
    national scale encoding them took longer than the rest of the request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[int, tuple[str, bytes]] = {}  # round -> (version, JSON)

    def of(self, figures: Figures, info: RoundInfo, data: dict[str, Any]) -> bytes:
        if info.state != "finished":
            return _json(data)
        version = figures.version(info)
        with self._lock:
            found = self._kept.get(info.id)
            if found is None or found[0] != version:
                found = (version, _json(data))
                self._kept = {info.id: found}  # the last round asked for
            return found[1]


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


@router.get("/rounds/{round_id}/figures", name="api_figures",
            response_model=dict[str, Any])
def api_figures(request: Request, round_id: int) -> Response:
    """The figures JSON of SPEC §8 with trend, agreements, laggards and providers, and the
    figures per umbrella and per organisation (only the organisations the caller sees)."""
    store: Store = request.app.state.store
    figures: Figures = request.app.state.figures
    info = queries.round_or_404(store, round_id)
    if not info.done:
        raise HTTPException(404, "the round has no results yet")
    data = figures.of(info)
    who = viewer(request)
    if who.sees_all:
        if not hasattr(request.app.state, "encoded_figures"):
            request.app.state.encoded_figures = EncodedFigures()
        encoded: EncodedFigures = request.app.state.encoded_figures
        return Response(encoded.of(figures, info, data), media_type="application/json")
    names = {o.name for o in queries.organisations(request.app.state.sessions, who)}
    shown = dict(data["figures"])
    shown["laggards"] = {u: [o for o in orgs if o["organisation"] in names]
                         for u, orgs in shown["laggards"].items()}
    shown["laggards"] = {u: orgs for u, orgs in shown["laggards"].items() if orgs}
    coverage = dict(shown.get("coverage") or {})
    if "per_organisation" in coverage:
        coverage["per_organisation"] = {n: v for n, v in coverage["per_organisation"].items()
                                        if n in names}
        shown["coverage"] = coverage
    return Response(_json({"figures": shown, "umbrellas": data["umbrellas"],
                           "organisations": {n: v for n, v in data["organisations"].items()
                                             if n in names}}),
                    media_type="application/json")


@router.get("/organisations", name="api_organisations")
def api_organisations(request: Request) -> list[dict[str, Any]]:
    """The organisations the caller sees."""
    return [{"id": o.id, "name": o.name, "category": o.category, "umbrella": o.umbrella,
             "provider": o.provider}
            for o in queries.organisations(request.app.state.sessions, viewer(request))]


def _test_json(row: queries.TestRow) -> dict[str, Any]:
    return {"test": row.test_id, "round": row.round_id, "domain": row.domain,
            "kind": row.kind, "target": row.target,
            "columns": {c: {"status": s, "explanation": row.explanations.get(c)}
                        for c, s in row.columns.items()},
            "subtests": row.subtests}


@router.get("/organisations/{organisation_id}", name="api_organisation")
def api_organisation(request: Request, organisation_id: int,
                     round: int | None = None) -> dict[str, Any]:
    """An organisation and its domains' results in a round (default: the latest)."""
    store: Store = request.app.state.store
    sessions: Any = request.app.state.sessions
    owner = queries.organisation(sessions, organisation_id)
    rounds = queries.with_results(store)
    info = queries.round_or_404(store, round) if round is not None else (
        rounds[0] if rounds else None)
    results = queries.tests(sessions, [info.id], organisation_id=owner.id) if info else []
    return {"id": owner.id, "name": owner.name, "category": owner.category,
            "umbrella": owner.umbrella, "provider": owner.provider,
            "round": info.id if info else None, "results": [_test_json(r) for r in results]}


@router.get("/domains/{domain}", name="api_domain")
def api_domain(request: Request, domain: str, round: int | None = None) -> dict[str, Any]:
    """A domain's results in every round (or one), with explanations and subtests."""
    sessions: Any = request.app.state.sessions
    name = domain.lower()
    owner = queries.domain_owner(sessions, name)
    if owner is None:
        raise HTTPException(404)
    rows = queries.tests(sessions, [round] if round is not None else [], domain=name)
    return {"domain": name, "organisation": {"id": owner.id, "name": owner.name},
            "results": [_test_json(r) for r in rows]}


@router.get("/compare", name="api_compare")
def api_compare(request: Request, a: int | None = None, b: int | None = None,
                layer: str = "", umbrella: str = "", organisation: str = "", column: str = "",
                change: str = "") -> dict[str, Any]:
    """Two rounds compared per domain and column (filters as on the comparison page)."""
    values = dict(zip(FILTERS, (layer, umbrella, organisation, column, change), strict=True))
    found = comparison(request, a, b, values)
    if found is None:
        raise HTTPException(404, "no rounds with results")
    return {"before": found.before.id, "after": found.after.id, "counts": found.counts,
            "changes": [c.to_json() for c in found.changes]}


@router.get("/openapi.json", name="api_openapi", include_in_schema=False)
def api_openapi(request: Request) -> JSONResponse:
    """This API described in OpenAPI 3."""
    schema = request.app.openapi()
    return JSONResponse({**schema, "paths": {p: v for p, v in schema["paths"].items()
                                             if p.startswith("/api/")}})
