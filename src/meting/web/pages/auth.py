"""Signing in and out, and the language switch (remembered in a cookie and, for a
signed-in user, in the account)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from meting.web import security
from meting.web.access import viewer
from meting.web.accounts import MIN_PASSWORD, Accounts, LoginRefused, PasswordRefused
from meting.web.render import page
from meting.web.texts import LANGUAGES

router = APIRouter()
YEAR = 365 * 24 * 3600


def safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no other host)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login", name="login_form", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    return page(request, "auth/login.html.j2", next=safe_next(next), problem=None)


@router.post("/login", name="login")
async def login(request: Request, email: Annotated[str, Form()] = "",
                password: Annotated[str, Form()] = "",
                next: Annotated[str, Form()] = "/") -> Response:
    accounts: Accounts = request.app.state.accounts
    address = request.client.host if request.client else "unknown"
    try:
        signed_in = await run_in_threadpool(accounts.log_in, email, password, address)
    except LoginRefused as refused:
        problem = "login_limited" if refused.limited else "login_wrong"
        return page(request, "auth/login.html.j2", status_code=429 if refused.limited else 401,
                    next=safe_next(next), problem=problem)
    response = RedirectResponse(safe_next(next), status_code=303)
    security.set_cookie(request, response, security.SESSION_COOKIE, signed_in.key)
    # the account's language wins over the cookie: the switch saved it, its mails use it
    security.set_cookie(request, response, security.LANG_COOKIE, signed_in.lang, max_age=YEAR)
    return response


@router.post("/logout", name="logout")
def logout(request: Request) -> Response:
    accounts: Accounts = request.app.state.accounts
    key = request.cookies.get(security.SESSION_COOKIE)
    if key:
        accounts.log_out(key)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(security.SESSION_COOKIE, path="/")
    return response


@router.post("/lang", name="language")
async def language(request: Request, lang: Annotated[str, Form()] = "nl",
                   next: Annotated[str, Form()] = "/") -> Response:
    """The reader's language; a signed-in account keeps it too (its mails follow it)."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in LANGUAGES:
        security.set_cookie(request, response, security.LANG_COOKIE, lang, max_age=YEAR)
        who = viewer(request)
        if who.signed_in:
            accounts: Accounts = request.app.state.accounts
            await run_in_threadpool(accounts.set_language, who.email, lang)
    return response


@router.get("/account/password", name="password_form")
def password_form(request: Request) -> Response:
    return page(request, "auth/password.html.j2", problem=None, minimum=MIN_PASSWORD)


@router.post("/account/password", name="password_change")
async def password_change(request: Request, current: Annotated[str, Form()] = "",
                          new: Annotated[str, Form()] = "",
                          repeat: Annotated[str, Form()] = "") -> Response:
    accounts: Accounts = request.app.state.accounts
    problem = None
    if new != repeat:
        problem = "password_mismatch"
    else:
        try:
            await run_in_threadpool(accounts.set_password, viewer(request).email, current, new)
        except PasswordRefused as refused:
            problem = refused.code
    if problem:
        return page(request, "auth/password.html.j2", status_code=400, problem=problem,
                    minimum=MIN_PASSWORD)
    return RedirectResponse("/", status_code=303)
