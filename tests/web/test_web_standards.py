"""The dashboard's standards register and monitor pages (issue 18) over the dashboard test
store: the register's agreements, a year's monitor figures from the imported lists."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from fastapi import FastAPI

from meting.monitor.lists import read_facilities, read_tenders
from meting.store.monitor import MonitorStore
from tests.web.conftest import client, csrf_of, signed_in
from tests.web.dashboard_data import Dashboard

DATA = Path(__file__).parent.parent / "unit" / "data" / "monitor"


def test_the_register_and_its_agreements_in_both_languages(app: FastAPI,
                                                           dashboard: Dashboard) -> None:
    c = signed_in(app, dashboard, "organisation")
    first = c.get("/standards")
    nl = html.unescape(first.text)
    assert "STARTTLS en DANE" in nl and "pas toe of leg uit" in nl
    assert "Mail: DANE" in nl and "eind 2019" in nl and "1 jul 2023" in nl  # legal duty
    assert "Besluit OBDO" in nl and "25 mei 2023" in nl  # security.txt's admission
    switched = c.post("/lang", data={"lang": "en", "next": "/standards",
                                     "csrf": csrf_of(first.text)})
    assert switched.status_code == 303
    en = html.unescape(c.get("/standards").text)
    assert "comply or explain" in en and "end of 2019" in en and "OBDO decision" in en
    assert "1 Jul 2023" in en


def test_anonymous_visitors_are_sent_to_sign_in(app: FastAPI) -> None:
    for path in ("/standards", "/open-standards-monitor"):
        answer = client(app).get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_the_monitor_page_shows_a_years_figures(app: FastAPI, dashboard: Dashboard) -> None:
    c = signed_in(app, dashboard, "umbrella")
    before = c.get("/open-standards-monitor").text
    assert 'id="no-monitor"' in before
    monitor = MonitorStore(app.state.store)
    monitor.replace_tenders(read_tenders(DATA / "tenders.csv").records)
    monitor.replace_facilities(read_facilities(DATA / "facilities.csv").records)
    try:
        page = html.unescape(c.get("/open-standards-monitor").text)  # the latest year: 2024
        assert "Monitor Open Standaarden 2024" in page
        # 5 of 7 tenders with a relevant standard ask for one (tests/unit/test_monitor.py)
        assert "71% (n=7)" in page and "95%" in page
        assert "DigiD" in page and "80% (n=5)" in page  # 4 of 5 applied: at the target
        assert "50% (n=4)" in page  # 2 of 4 facilities at or above 80%
        assert "<svg" in page
        older = html.unescape(c.get("/open-standards-monitor?year=2023").text)
        assert "67% (n=3)" in older  # 2 of 3 tenders in 2023
        too_early = c.get("/open-standards-monitor?year=12")
        assert too_early.status_code == 400 and 'id="error"' in too_early.text
        # the year's IV measurement: the latest finished round of 2025 (2025-09, not 2025-03)
        of_2025 = html.unescape(c.get("/open-standards-monitor?year=2025").text)
        assert "Meetronde 2025-09" in of_2025 and "2025-03" not in of_2025
        assert re.search(r"\d+ van \d+ afspraken gehaald", of_2025)
    finally:
        _clear(app)  # the module's other tests see the store as it was


def _clear(app: FastAPI) -> None:
    from sqlalchemy import delete

    from meting.store.monitor_models import MonitorFacility, MonitorTender
    with app.state.sessions.begin() as session:
        session.execute(delete(MonitorTender))
        session.execute(delete(MonitorFacility))


@pytest.mark.parametrize("who", ["coordinator", "organisation"])
def test_the_pages_are_in_the_menu(app: FastAPI, dashboard: Dashboard, who: str) -> None:
    page = signed_in(app, dashboard, who).get("/review").text
    assert 'href="/standards"' in page and 'href="/open-standards-monitor"' in page
