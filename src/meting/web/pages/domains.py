"""Page 3, a domain: every column and subtest with its explanation, the servers and
addresses concerned, the stored evidence (readable, and raw JSON to download), the norm
version that judged it, and its history over rounds."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from meting.analysis.load import _row as analysis_row
from meting.analysis.rules import column_names
from meting.checks import explain
from meting.store import Store, StoredResult
from meting.web import queries
from meting.web.render import page

router = APIRouter()


@router.get("/domains/{domain}", name="domain")
def domain(request: Request, domain: str, round: int | None = None) -> Response:
    store: Store = request.app.state.store
    sessions = request.app.state.sessions
    name = domain.lower()
    owner = queries.domain_owner(sessions, name)
    if owner is None:
        raise HTTPException(404)
    every = queries.tests(sessions, [], domain=name, details=False)  # statuses over rounds
    rounds = {r.id: r for r in queries.all_rounds(store)}
    tested = sorted({t.round_id for t in every}, key=lambda i: (rounds[i].date, i))
    if not tested:
        return page(request, "domains/domain.html.j2", name=name, owner=owner, info=None,
                    kinds={}, history=[], rounds=rounds)
    info = rounds[round] if round in tested and round is not None else rounds[tested[-1]]
    kinds = {t.kind: test_view(store, t, request.state.lang)
             for t in queries.tests(sessions, [info.id], domain=name)}
    history = [(rounds[i], {t.kind: t.columns for t in every if t.round_id == i})
               for i in tested]
    return page(request, "domains/domain.html.j2", name=name, owner=owner, info=info,
                kinds=kinds, history=history, rounds=rounds)


def test_view(store: Store, test: queries.TestRow, lang: str) -> dict[str, Any]:
    try:
        evidence = store.evidence(test.test_id)
    except KeyError:
        evidence = None
    stored = StoredResult(test_id=test.test_id, domain=test.domain, organisation="",
                          category="", umbrella=None, kind=test.kind, target=test.target,
                          columns=test.columns, subtests={})
    servers = analysis_row(stored, evidence or {})
    order = [c for c in column_names(test.kind) if c in test.columns]
    return {
        "test": test,
        "columns": [(c, test.columns[c], _text(test.explanations.get(c), lang)) for c in order],
        "subtests": [(key, explain.name(key, lang), value.get("status"),
                      _text(value.get("explanation"), lang))
                     for key, value in sorted(test.subtests.items(), key=_subtest_order)],
        "mx": servers.mx_hosts, "nameservers": servers.nameservers,
        "addresses": servers.addresses, "aliases": servers.host_aliases,
        "evidence": [(key, json.dumps(value, indent=1, ensure_ascii=False, sort_keys=True))
                     for key, value in sorted((evidence or {}).items())],
    }


@cache
def _subtest_ranks() -> dict[str, int]:
    return {key: i for i, key in enumerate(explain.items())}


def _subtest_order(item: tuple[str, Any]) -> tuple[int, str]:
    """Subtests in the order of the checks' explanations (grouped by their column); one
    without an entry there comes last."""
    ranks = _subtest_ranks()
    return ranks.get(item[0], len(ranks)), item[0]


def _text(explanation: Any, lang: str) -> str:
    if isinstance(explanation, dict):
        return str(explanation.get(lang) or explanation.get("nl") or "")
    return ""


@router.get("/evidence/{test_id}.json", name="evidence")
def evidence(request: Request, test_id: int) -> Response:
    store: Store = request.app.state.store
    found = queries.test_round(request.app.state.sessions, test_id)
    try:
        data = store.evidence(test_id)
    except KeyError:
        raise HTTPException(404) from None
    round_id, name, kind = found or (0, "test", "")
    body = json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    return Response(body, media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="{name}-{kind}-round{round_id}.json"'})
