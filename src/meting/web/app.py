"""The dashboard application: one FastAPI app with a router per area, the viewer resolved
for every request, the access rule of every route checked, CSRF on state-changing requests
and the security headers on every response."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import RequestResponseEndpoint

from meting.settings import Settings
from meting.store import Store
from meting.web import security
from meting.web.access import PasswordChangeNeeded, SignInNeeded, authorise
from meting.web.accounts import Accounts, Viewer
from meting.web.kept import Figures
from meting.web.render import page
from meting.web.texts import DEFAULT, LANGUAGES

API = "/api/v1"


def create_app(store: Store, settings: Settings) -> FastAPI:
    from meting.web import api
    from meting.web.pages import (
        auth,
        candidates,
        changes,
        compare,
        domains,
        downloads,
        monitor,
        organisations,
        overview,
        registry,
        registry_edit,
        review,
        shares,
        standards,
    )
    from meting.web.worker import RoundWorker

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        _app.state.worker.stop()  # a running round is marked interrupted, to be continued

    app = FastAPI(title="meting", version="1", openapi_url=None, docs_url=None,
                  redoc_url=None, lifespan=lifespan,
                  dependencies=[Depends(authorise), Depends(security.check_csrf)])
    app.state.store = store
    app.state.settings = settings
    app.state.sessions = sessionmaker(store.engine, expire_on_commit=False)
    app.state.accounts = Accounts(store)
    app.state.figures = Figures(store)
    app.state.worker = RoundWorker(store, settings, app.state.figures)
    app.state.share_secret = secrets.token_bytes(32)  # unlocked shared links, this process
    for area in (auth, overview, organisations, domains, compare, monitor, registry,
                 registry_edit, downloads, shares, review, changes, standards, candidates):
        app.include_router(area.router)
    app.include_router(api.router, prefix=API)
    static = Path(str(resources.files("meting.web") / "static"))
    app.mount("/static", StaticFiles(directory=static), name="static")
    app.middleware("http")(_every_request)
    app.add_exception_handler(SignInNeeded, _sign_in)
    app.add_exception_handler(PasswordChangeNeeded, _change_password)
    app.add_exception_handler(StarletteHTTPException, _refused)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    return app


async def _every_request(request: Request, call_next: RequestResponseEndpoint) -> Response:
    accounts: Accounts = request.app.state.accounts
    lang = request.cookies.get(security.LANG_COOKIE, DEFAULT)
    request.state.lang = lang if lang in LANGUAGES else DEFAULT
    who: Viewer | None = None
    auth = request.headers.get("authorization", "")
    session_key = request.cookies.get(security.SESSION_COOKIE)
    if auth.lower().startswith("bearer "):
        who = await run_in_threadpool(accounts.by_token, auth[7:].strip())
        if who is None:
            return JSONResponse({"detail": "invalid token"}, status_code=401)
    elif session_key:
        who = await run_in_threadpool(accounts.by_session, session_key)
    request.state.viewer = who or Viewer()
    cookie_csrf = request.cookies.get(security.CSRF_COOKIE)
    fresh = None if cookie_csrf else security.new_csrf()
    request.state.csrf = (who.csrf if who and who.csrf else None) or cookie_csrf or fresh
    response = await call_next(request)
    security.add_headers(request, response)
    if request.url.path.startswith("/static/"):
        response.headers["Cache-Control"] = "public, max-age=3600"
    if fresh:
        security.set_cookie(request, response, security.CSRF_COOKIE, fresh)
    return response


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API)


async def _sign_in(request: Request, exc: Exception) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": "sign in or give a token"}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    login = request.url_for("login_form").include_query_params(next=target)
    return RedirectResponse(str(login.path) + "?" + login.query, status_code=303)


async def _change_password(request: Request, exc: Exception) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": "choose a password first"}, status_code=403)
    return RedirectResponse(str(request.url_for("password_form").path), status_code=303)


async def _invalid(request: Request, exc: RequestValidationError) -> Response:
    """A value the route cannot read (``/organisations/abc``, ``?round=x``): the API keeps
    FastAPI's list of errors; a page is the error page, 404 for a part of the path."""
    if _is_api(request):
        return JSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)
    in_path = any(tuple(e.get("loc", ()))[:1] == ("path",) for e in exc.errors())
    return await _refused(request, StarletteHTTPException(404 if in_path else 400))


async def _refused(request: Request, exc: StarletteHTTPException) -> Response:
    detail: Any = exc.detail
    if _is_api(request):
        return JSONResponse({"detail": detail}, status_code=exc.status_code)
    if not hasattr(request.state, "viewer"):
        return Response(status_code=exc.status_code)
    return page(request, "error.html.j2", status_code=exc.status_code, code=exc.status_code,
                detail=detail if exc.status_code == 403 and detail == "csrf" else None)
