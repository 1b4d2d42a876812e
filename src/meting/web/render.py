"""Server-rendered pages: one Jinja2 environment (autoescaping every value) and the context
every template gets (texts, viewer, CSRF token, links)."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from meting.web.texts import WebTexts


@cache
def environment() -> Environment:
    return Environment(loader=PackageLoader("meting.web", "templates"),
                       autoescape=select_autoescape(["j2", "html"], default=True),
                       undefined=StrictUndefined)


def texts(request: Request) -> WebTexts:
    return WebTexts(request.state.lang)


def page(request: Request, template: str, status_code: int = 200,
         **context: Any) -> HTMLResponse:
    html = environment().get_template(template).render(
        request=request, t=texts(request), viewer=request.state.viewer,
        csrf=request.state.csrf, url=request.url_for, **context)
    return HTMLResponse(html, status_code=status_code)
