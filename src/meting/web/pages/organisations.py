"""Page 2, an organisation: its domains × columns with status and change since the previous
round, whether each domain is fully compliant, its laggards with what to do, its history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from meting.analysis.agreements import advice_for, laggards
from meting.analysis.breakdown import change, fully_compliant_status, group_figures
from meting.analysis.rules import column_names, counting_rules
from meting.report.render import FORMATS
from meting.store import RoundInfo, Store
from meting.web import queries
from meting.web.render import page
from meting.web.results import as_results

router = APIRouter()


def chosen_round(store: Store, round_id: int | None,
                 every: list[RoundInfo] | None = None) -> RoundInfo | None:
    every = queries.all_rounds(store) if every is None else every
    rounds = queries.with_results(store, every)
    if round_id is not None:
        return queries.round_or_404(store, round_id, every)
    return rounds[0] if rounds else None


@router.get("/organisations/{organisation_id}", name="organisation")
def organisation(request: Request, organisation_id: int, round: int | None = None) -> Response:
    store: Store = request.app.state.store
    sessions = request.app.state.sessions
    owner = queries.organisation(sessions, organisation_id)
    all_rounds = queries.all_rounds(store)
    info = chosen_round(store, round, all_rounds)
    if info is None:
        return page(request, "overview/empty.html.j2")
    return page(request, "organisations/organisation.html.j2",
                **organisation_view(store, sessions, owner, info, request.state.lang,
                                    all_rounds))


def organisation_view(store: Store, sessions: Any, owner: queries.OrganisationInfo,
                      info: RoundInfo, lang: str,
                      all_rounds: list[RoundInfo] | None = None) -> dict[str, Any]:
    rules = counting_rules()
    all_rounds = queries.all_rounds(store) if all_rounds is None else all_rounds
    before = queries.previous(all_rounds, info)
    every = queries.tests(sessions, [], organisation_id=owner.id, details=False)
    now = [r for r in every if r.round_id == info.id]
    earlier = {(r.domain, r.kind): r.columns for r in every
               if before is not None and r.round_id == before.id}
    kinds: dict[str, Any] = {}
    for kind in ("web", "mail"):
        rows = [r for r in now if r.kind == kind]
        if not rows:
            continue
        present = {c for r in rows for c in r.columns}
        columns = [c for c in column_names(kind) if c in present]
        kinds[kind] = {"columns": columns, "rows": [
            {"domain": r.domain, "fully": fully_compliant_status(r.columns, kind, rules),
             "cells": [(c, r.columns.get(c), change(earlier.get((r.domain, kind), {}).get(c),
                                                    r.columns.get(c), rules)
                        if before else None) for c in columns]} for r in rows]}
    results = as_results(info, now, {owner.id: owner})
    late = [(d, [(m, advice_for(m.kind, m.column, lang)) for m in d.misses])
            for orgs in laggards(results, rules).values() for o in orgs for d in o.domains]
    rounds = {r.id: r for r in all_rounds}
    history = []
    for round_id in sorted({r.round_id for r in every}, key=lambda i: (rounds[i].date, i)):
        rows_then = [r for r in every if r.round_id == round_id]
        history.append((rounds[round_id], group_figures(
            as_results(rounds[round_id], rows_then, {owner.id: owner}).rows, rules)))
    return {"owner": owner, "info": info, "formats": FORMATS, "previous": before, "kinds": kinds,
            "laggards": late, "history": history}
