"""The scan monitor's reasons for tests without a result are shown whole, in the reader's
language (they were counted and shown by their English text, cut at 200 characters)."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI

from meting.store import Store
from tests.web.conftest import csrf_of, signed_in
from tests.web.dashboard_data import WEB, Dashboard, build, evidence, judged

DUTCH = "Geen antwoord binnen de wachttijd van de naamserver" + " en nog veel meer" * 12
ENGLISH = "No answer in time from the name server" + " and much more" * 15
UNANSWERED = {"columns": {c: {"status": "error", "explanation": {"nl": DUTCH, "en": ENGLISH}}
                          for c in WEB}, "subtests": {}}


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Dashboard:
    """The dashboard's rounds and a third in which bee.nl's web test got no answer."""
    built = build(f"sqlite:///{tmp_path_factory.mktemp('reasons') / 'meting.db'}")
    with Store.open(built.url) as store:
        round_id = store.create_round(None, "current", "2026-03", date=dt.date(2026, 3, 1))
        store.plan_round(round_id)
        store.set_round_state(round_id, "running")
        for test in store.pending_tests(round_id):
            unanswered = (test.domain, test.kind) == ("bee.nl", "web")
            store.save_result(test.test_id, evidence(test.kind),
                              UNANSWERED if unanswered else judged(test.kind, True))
        store.set_round_state(round_id, "finished")
    return built


def test_the_reasons_are_whole_and_in_the_readers_language(
        app: FastAPI, dashboard: Dashboard) -> None:
    c = signed_in(app, dashboard, "coordinator")
    latest = max(r.id for r in app.state.store.rounds())
    assert c.get(f"/rounds/{latest}").status_code == 200  # its figures are kept now
    dutch = c.get("/monitor/rounds").text
    assert f"{DUTCH} ({len(WEB)})" in dutch and "No answer in time" not in dutch
    c.post("/lang", data={"lang": "en", "csrf": csrf_of(c.get("/standards").text)})
    english = c.get("/monitor/rounds").text
    assert f"{ENGLISH} ({len(WEB)})" in english and "Geen antwoord" not in english
