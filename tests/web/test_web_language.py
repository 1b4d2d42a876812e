"""The dashboard's words and numbers per language: Dutch pages without English words, the
register's texts in the reader's language, dates and percentages written as the report
writes them (Babel, the counting rules' rounding)."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import csrf_of, signed_in
from tests.web.dashboard_data import Dashboard


def in_english(c: TestClient) -> TestClient:
    c.post("/lang", data={"lang": "en", "csrf": csrf_of(c.get("/standards").text),
                          "next": "/"})
    assert c.cookies.get("meting_lang") == "en"
    return c


def section(page: str, marker: str, end: str = "</table>") -> str:
    start = page.index(marker)
    return page[start:page.index(end, start)]


def organisation_id(c: TestClient, name: str) -> int:
    found: int = {o["name"]: o["id"] for o in c.get("/api/v1/organisations").json()}[name]
    return found


def test_dutch_pages_say_uiterste_datum_where_english_says_deadline(
        app: FastAPI, dashboard: Dashboard) -> None:
    c = signed_in(app, dashboard, "coordinator")
    bee = organisation_id(c, "Gemeente Bee")
    pages = [c.get(f"/rounds/{dashboard.rounds[1]}").text,
             c.get(f"/organisations/{bee}").text, c.get("/laggards").text]
    assert "<th>Uiterste datum</th>" in pages[0]
    for page in pages[1:]:
        assert re.search(r"\(gezakt, uiterste datum eind 20\d\d\)", page), page[-3000:]
    for page in pages:
        assert not re.search(r"deadline", re.sub(r"<[^>]*>", " ", page), re.I)
    english = in_english(c)
    assert "<th>Deadline</th>" in english.get(f"/rounds/{dashboard.rounds[1]}").text
    assert "deadline end of 20" in english.get(f"/organisations/{bee}").text
