"""The review of a round (issue 15): its window (a coordinator opens and closes it), formal
reactions, explanations and re-tests. Every action calls the same services as the command
line (``meting.review.cycle.Cycle``); mails they cause are sent after the answer."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from meting.analysis.rules import column_names, counting_rules
from meting.review.cycle import Cycle, ReviewInputError
from meting.review.mailer import MailSettingsError, deliver_due
from meting.settings import Settings
from meting.store import RoundInfo, Store, StoreError
from meting.store.models import Domain, Organisation, Test
from meting.store.review import ReviewStore, refused, said
from meting.web import queries
from meting.web.access import viewer
from meting.web.accounts import Viewer
from meting.web.render import page
from meting.words import in_language

router = APIRouter()
DECISIONS = ("approve", "return", "accept", "reject")


@dataclass(frozen=True)
class RoundDomain:
    organisation_id: int
    organisation: str
    umbrella: str | None
    domain: str
    kinds: tuple[str, ...]


def _cycle(request: Request) -> Cycle:
    return Cycle(request.app.state.store, request.app.state.settings, dt.date.today())


def _round_domains(request: Request, round_id: int, who: Viewer) -> list[RoundDomain]:
    query = select(Organisation.id, Organisation.name, Organisation.umbrella, Domain.name,
                   Test.kind).join(Domain, Domain.organisation_id == Organisation.id).join(
        Test, Test.domain_id == Domain.id).where(Test.round_id == round_id,
                                                 Test.state == "done").order_by(
        Organisation.name, Domain.name, Test.kind)
    found: dict[str, RoundDomain] = {}
    with request.app.state.sessions() as session:
        for org_id, org, umbrella, domain, kind in session.execute(query):
            if not who.sees(org_id, umbrella):
                continue
            old = found.get(domain)
            kinds = (*old.kinds, kind) if old else (kind,)
            found[domain] = RoundDomain(org_id, org, umbrella, domain, kinds)
    return list(found.values())


def _view(request: Request, info: RoundInfo) -> dict[str, Any]:
    who = viewer(request)
    review = ReviewStore(request.app.state.store)
    today = dt.date.today()
    window = review.window(info.id, today)
    domains = _round_domains(request, info.id, who)
    visible = {d.organisation for d in domains}
    names = {d.domain for d in domains}
    organisations = sorted({(d.organisation_id, d.organisation) for d in domains},
                           key=lambda o: o[1])
    reactions = {r.organisation: r for r in review.reactions(info.id)
                 if r.organisation in visible}
    explanations = [e for e in review.explanations(info.id) if e.domain in names]
    retests = [r for r in review.retests(info.id) if r.domain in names]
    before = {(d, k, c): s for d in names for k, c, s in review.original_statuses(info.id, d)}
    return {"info": info, "window": window, "domains": domains,
            "organisations": organisations, "reactions": reactions,
            "explanations": explanations, "retests": retests, "before": before,
            "kept_when": counting_rules().review.keep_measured_when,
            "columns": {k: column_names(k) for k in ("web", "mail")},
            "acts": who.role in ("coordinator", "organisation") and bool(window and
                                                                         window.is_open),
            "coordinator": who.role == "coordinator",
            "umbrellas": sorted({d.umbrella for d in domains if d.umbrella}
                                if who.role != "organisation" else set()),
            "default_until": (today + dt.timedelta(days=28)).isoformat(),
            "default_expiry": dt.date(today.year + 1, today.month, 1).isoformat()}


@router.get("/review", name="reviews")
async def reviews(request: Request) -> Response:
    store: Store = request.app.state.store
    today = dt.date.today()

    def listing() -> list[tuple[RoundInfo, Any]]:
        windows = {w.round_id: w for w in ReviewStore(store).windows(today)}
        return [(r, windows.get(r.id)) for r in queries.with_results(store)
                if r.state == "finished"]

    return page(request, "review/reviews.html.j2", rounds=await run_in_threadpool(listing))


@router.get("/review/{round_id}", name="review")
async def review_page(request: Request, round_id: int) -> Response:
    info = queries.round_or_404(request.app.state.store, round_id)
    context = await run_in_threadpool(_view, request, info)
    return page(request, "review/review.html.j2", problem=None, **context)


async def _act(request: Request, round_id: int, action: Any,
               background: BackgroundTasks) -> Response:
    """Run a service; back to the review page, or the page with the refusal's reason."""
    info = queries.round_or_404(request.app.state.store, round_id)
    try:
        await run_in_threadpool(action, _cycle(request), info)
    except (StoreError, ValueError) as exc:
        context = await run_in_threadpool(_view, request, info)
        # the services word their refusals in Dutch and English: the viewer's language here
        return page(request, "review/review.html.j2", status_code=409,
                    problem=in_language(exc, request.state.lang), **context)
    background.add_task(_deliver, request.app.state.store, request.app.state.settings)
    return RedirectResponse(str(request.url_for("review", round_id=round_id)),
                            status_code=303)


def _deliver(store: Store, settings: Settings) -> None:
    if settings.smtp_host:
        # bad settings leave the mails queued; meting mail send says what is wrong
        with contextlib.suppress(MailSettingsError):
            deliver_due(ReviewStore(store), settings)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ReviewInputError(said("not_a_date", text=repr(text))) from None


def _decision(text: str) -> str:
    if text not in DECISIONS:
        raise HTTPException(422, "unknown decision")
    return text


@router.post("/review/{round_id}/open", name="review_open")
async def review_open(request: Request, round_id: int, background: BackgroundTasks,
                      until: Annotated[str, Form()] = "") -> Response:
    return await _act(request, round_id, lambda c, info: c.open(str(info.id), _date(until)),
                      background)


@router.post("/review/{round_id}/close", name="review_close")
async def review_close(request: Request, round_id: int,
                       background: BackgroundTasks) -> Response:
    return await _act(request, round_id, lambda c, info: c.close(str(info.id)), background)


@router.post("/review/{round_id}/organisations/{organisation_id}/reaction",
             name="reaction_submit")
async def reaction_submit(request: Request, round_id: int, organisation_id: int,
                          background: BackgroundTasks,
                          text: Annotated[str, Form()] = "") -> Response:
    owner = queries.organisation(request.app.state.sessions, organisation_id)
    return await _act(request, round_id, lambda c, info: c.submit_reaction(
        str(info.id), owner.name, text), background)


@router.post("/review/{round_id}/organisations/{organisation_id}/reaction/decide",
             name="reaction_decide")
async def reaction_decide(request: Request, round_id: int, organisation_id: int,
                          background: BackgroundTasks,
                          decision: Annotated[str, Form()] = "",
                          note: Annotated[str, Form()] = "") -> Response:
    owner = queries.organisation(request.app.state.sessions, organisation_id)
    approve = _decision(decision) == "approve"
    return await _act(request, round_id, lambda c, info: c.decide_reaction(
        str(info.id), owner.name, approve, note.strip() or None), background)


@router.post("/review/{round_id}/domains/{domain}/explanation", name="explanation_submit")
async def explanation_submit(request: Request, round_id: int, domain: str,
                             background: BackgroundTasks,
                             column: Annotated[str, Form()] = "",
                             reason: Annotated[str, Form()] = "",
                             until: Annotated[str, Form()] = "") -> Response:
    kind, _, name = column.partition(":")
    return await _act(request, round_id, lambda c, info: c.submit_explanation(
        str(info.id), domain.lower(), kind, name, reason, _date(until)), background)


@router.post("/review/{round_id}/explanations/decide", name="explanation_decide")
async def explanation_decide(request: Request, round_id: int, background: BackgroundTasks,
                             explanation_id: Annotated[int, Form()] = 0,
                             decision: Annotated[str, Form()] = "",
                             note: Annotated[str, Form()] = "") -> Response:
    accept = _decision(decision) == "accept"

    def decide(c: Cycle, info: RoundInfo) -> None:
        if not any(e.id == explanation_id for e in c.review.explanations(info.id)):
            raise refused("no_explanation_in_round", round=info.label, id=str(explanation_id))
        c.decide_explanation(explanation_id, accept, note.strip() or None)

    return await _act(request, round_id, decide, background)


@router.post("/review/{round_id}/domains/{domain}/retest", name="retest_request")
async def retest_request(request: Request, round_id: int, domain: str,
                         background: BackgroundTasks) -> Response:
    who = viewer(request)
    # runs at once (the scanner settings of this server), as ``meting retest``
    return await _act(request, round_id, lambda c, info: c.retest(
        str(info.id), domain.lower(), who.email or who.role), background)
