"""A re-test that the server did not answer leaves the round's measured failure counting,
and the review page says so beside the re-test's statuses."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi import FastAPI

from meting.store import Store
from meting.store.review import ReviewStore
from tests.web.conftest import signed_in
from tests.web.dashboard_data import WEB, Dashboard, build, evidence, judged

UNANSWERED = {"columns": {c: {"status": "error", "explanation": {
    "nl": "Geen antwoord binnen de wachttijd", "en": "No answer in time"}} for c in WEB},
    "subtests": {}}


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Dashboard:
    """The dashboard's rounds; bee.nl, failing in the second, re-tested without an answer;
    aa.nl re-tested with the same statuses as measured."""
    built = build(f"sqlite:///{tmp_path_factory.mktemp('kept') / 'meting.db'}")
    today = dt.date.today()
    with Store.open(built.url) as store:
        review = ReviewStore(store)
        review.open_window(built.rounds[1], today + dt.timedelta(days=14), today)
        planned = review.plan_retests(built.rounds[1], "bee.nl", "bee@example.nl", today,
                                      None, kinds=("web",))
        assert review.save_retest(planned[0].test_id, evidence("web"), UNANSWERED, 1)
        same = review.plan_retests(built.rounds[1], "aa.nl", "aa@example.nl", today, None,
                                   kinds=("web",))
        assert review.save_retest(same[0].test_id, evidence("web"), judged("web", True), 1)
    return built


def test_an_unanswered_retest_leaves_the_failure_counting_and_says_so(
        app: FastAPI, dashboard: Dashboard) -> None:
    coordinator = signed_in(app, dashboard, "coordinator")
    second = dashboard.rounds[1]
    figures = coordinator.get(f"/api/v1/rounds/{second}/figures").json()["figures"]
    hsts = figures["adoption"]["web"]["all"]["hsts"]
    assert (hsts["compliant"], hsts["counted"]) == (2, 3)  # bee.nl still failed
    assert figures["review"]["retests"] == {"rule": "hertests-voor-sluiting", "done": 2,
                                            "used": 1}  # aa.nl's, which changed nothing
    page = coordinator.get(f"/review/{second}").text
    rows = re.findall(r"<tr><td>(\S+) \(Web\)</td>.*?</tr>", page, re.S)
    assert sorted(rows) == ["aa.nl", "bee.nl"]
    bee = re.search(r"<tr><td>bee\.nl \(Web\)</td>.*?</tr>", page, re.S)
    aa = re.search(r"<tr><td>aa\.nl \(Web\)</td>.*?</tr>", page, re.S)
    assert bee and "geen resultaat: de meting van de ronde blijft tellen" in bee.group()
    assert aa and "geen verandering" in aa.group() and "geen verandering" not in bee.group()
