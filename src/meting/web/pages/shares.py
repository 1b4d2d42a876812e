"""Page 9, sharing: a coordinator makes a read-only link to a round's report (optionally
expiring, optionally with a password). The link shows the figures and the appendix — the
report without the detailed per-domain results and evidence."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import delete, select
from starlette.concurrency import run_in_threadpool

from meting.analysis.load import load_analysis
from meting.report.html import render_html
from meting.store import Store
from meting.store.models import Round
from meting.store.web_models import Share
from meting.web import queries, security
from meting.web.access import viewer
from meting.web.accounts import digest, hash_password, password_matches
from meting.web.render import page
from meting.web.security import REPORT_CSP

router = APIRouter()
UNLOCK_COOKIE = "meting_share"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@router.get("/shares", name="shares")
def shares(request: Request) -> Response:
    return page(request, "shares/shares.html.j2", **_listing(request), made=None)


def _listing(request: Request) -> dict[str, Any]:
    sessions: Any = request.app.state.sessions
    with sessions() as session:
        found = session.execute(select(Share.id, Round.label, Share.created_at,
                                       Share.expires_at, Share.password_hash.is_not(None))
                                .join(Round, Round.id == Share.round_id)
                                .order_by(Share.id.desc())).all()
    return {"links": found, "rounds": queries.with_results(request.app.state.store),
            "now": _now(), "max_days": MAX_DAYS}


MAX_DAYS = 3650  # the form's limit too; empty: the link never expires


@router.post("/shares", name="share_create")
def share_create(request: Request, round_id: Annotated[int, Form()],
                 days: Annotated[int | None, Form()] = None,
                 password: Annotated[str, Form()] = "") -> Response:
    store: Store = request.app.state.store
    info = queries.round_or_404(store, round_id)
    if days is not None and not 1 <= days <= MAX_DAYS:
        return page(request, "shares/shares.html.j2", status_code=400,
                    problem="share_days_invalid", made=None, **_listing(request))
    key = secrets.token_urlsafe(24)
    expires = _now() + dt.timedelta(days=days) if days else None
    sessions: Any = request.app.state.sessions
    with sessions.begin() as session:
        session.add(Share(key_hash=digest(key), round_id=info.id,
                          created_by=viewer(request).user_id, created_at=_now(),
                          expires_at=expires,
                          password_hash=hash_password(password) if password else None))
    link = str(request.url_for("shared_report", key=key))
    return page(request, "shares/shares.html.j2", **_listing(request), made=link)


@router.post("/shares/{share_id}/revoke", name="share_revoke")
def share_revoke(request: Request, share_id: int) -> Response:
    sessions: Any = request.app.state.sessions
    with sessions.begin() as session:
        session.execute(delete(Share).where(Share.id == share_id))
    return RedirectResponse(str(request.url_for("shares")), status_code=303)


def _share(request: Request, key: str) -> Share:
    sessions: Any = request.app.state.sessions
    with sessions() as session:
        found: Share | None = session.scalar(select(Share).where(Share.key_hash == digest(key)))
    if found is None or (found.expires_at is not None and found.expires_at <= _now()):
        raise HTTPException(404)
    return found


def _unlock_value(request: Request, share: Share) -> str:
    secret: bytes = request.app.state.share_secret
    return hmac.new(secret, f"{share.id}:{share.password_hash}".encode(),
                    hashlib.sha256).hexdigest()


def _unlocked(request: Request, share: Share) -> bool:
    if share.password_hash is None:
        return True
    given = request.cookies.get(f"{UNLOCK_COOKIE}_{share.id}", "")
    return hmac.compare_digest(given, _unlock_value(request, share))


@router.get("/share/{key}", name="shared_report")
async def shared_report(request: Request, key: str) -> Response:
    share = _share(request, key)
    if not _unlocked(request, share):
        return page(request, "shares/unlock.html.j2", key=key, wrong=False)
    store: Store = request.app.state.store
    analysis = await run_in_threadpool(load_analysis, store, share.round_id)
    html = await run_in_threadpool(lambda: render_html(analysis, request.state.lang,
                                                       with_details=False))
    return HTMLResponse(html, headers={"Content-Security-Policy": REPORT_CSP})


@router.post("/share/{key}", name="shared_unlock")
def shared_unlock(request: Request, key: str,
                  password: Annotated[str, Form()] = "") -> Response:
    share = _share(request, key)
    if not password_matches(share.password_hash, password):
        return page(request, "shares/unlock.html.j2", status_code=401, key=key, wrong=True)
    response = RedirectResponse(str(request.url_for("shared_report", key=key)), status_code=303)
    security.set_cookie(request, response, f"{UNLOCK_COOKIE}_{share.id}",
                        _unlock_value(request, share))
    return response
