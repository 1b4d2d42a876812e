"""Every response's security headers (the ones meting's own ``security_headers`` column
checks, and HSTS over HTTPS), cookies, and the CSRF check of state-changing requests."""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request
from starlette.responses import Response

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
# A report (HTML download, shared link) is one self-contained file with its own stylesheet
# and no script: inline style, nothing else.
REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
              "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"
SESSION_COOKIE = "meting_session"
CSRF_COOKIE = "meting_csrf"
LANG_COOKIE = "meting_lang"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def secure(request: Request) -> bool:
    """HTTPS, directly or as told by a trusted proxy (uvicorn's proxy headers)."""
    return request.url.scheme == "https"


def add_headers(request: Request, response: Response) -> None:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if secure(request):
        response.headers["Strict-Transport-Security"] = HSTS
    if "cache-control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"


def set_cookie(request: Request, response: Response, name: str, value: str,
               max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict",
                        secure=secure(request), path="/")


def new_csrf() -> str:
    return secrets.token_urlsafe(32)


async def check_csrf(request: Request) -> None:
    """A state-changing request must carry the page's token (form field ``csrf`` or header
    ``X-CSRF-Token``): the session's, or before signing in the CSRF cookie's."""
    if request.method not in UNSAFE:
        return
    expected = request.state.csrf
    given = request.headers.get("x-csrf-token")
    if given is None:
        form = await request.form()
        value = form.get("csrf")
        given = value if isinstance(value, str) else None
    if not expected or not given or not hmac.compare_digest(expected, given):
        raise HTTPException(403, "csrf")
