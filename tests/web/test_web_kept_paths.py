"""The fast paths beside the overview's kept figures: a comparison of two finished rounds is
made once per server and then only filtered for each viewer; the API's figures of a finished
round are encoded once. Both still show each viewer only what it may see."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from meting.web import api
from meting.web.pages import compare
from tests.web.conftest import signed_in
from tests.web.dashboard_data import Dashboard


def refuse(*_: object, **__: object) -> None:
    raise AssertionError("made again although it was kept")


def test_a_comparison_of_finished_rounds_is_made_once_and_filtered_per_viewer(
        app: FastAPI, dashboard: Dashboard, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = dashboard.rounds
    path = f"/api/v1/compare?a={a}&b={b}"
    coordinator = signed_in(app, dashboard, "coordinator")
    first = coordinator.get(path).json()
    monkeypatch.setattr(compare, "compare", refuse)
    assert coordinator.get(path).json() == first
    assert {c["organisation"] for c in first["changes"]} == {
        "Gemeente Aa", "Gemeente Bee", "Ministerie Cee"}
    own = signed_in(app, dashboard, "organisation").get(path).json()
    assert {c["organisation"] for c in own["changes"]} == {"Gemeente Aa"}
    assert own["changes"] == [c for c in first["changes"] if c["organisation"] == "Gemeente Aa"]
    umbrella = signed_in(app, dashboard, "umbrella").get(f"/compare?a={a}&b={b}").text
    assert "bee.nl" in umbrella and "cee.nl" not in umbrella
    assert 'href="http://testserver/domains/bee.nl"' in umbrella
    chosen = coordinator.get(f"/compare?a={a}&b={b}&organisation=Gemeente+Bee").text
    assert "bee.nl" in chosen and "aa.nl</a>" not in chosen
    assert '<option value="Ministerie Cee">' in chosen, "every organisation to choose from"
    improved = coordinator.get(path + "&change=improved").json()
    assert {c["domain"] for c in improved["changes"]} == {"aa.nl"}


def test_the_figures_of_a_finished_round_are_encoded_once(
        app: FastAPI, dashboard: Dashboard, monkeypatch: pytest.MonkeyPatch) -> None:
    path = f"/api/v1/rounds/{dashboard.rounds[1]}/figures"
    coordinator = signed_in(app, dashboard, "coordinator")
    first = coordinator.get(path)
    assert first.headers["content-type"] == "application/json"
    data = first.json()
    assert set(data["organisations"]) == {"Gemeente Aa", "Gemeente Bee", "Ministerie Cee"}
    assert data == app.state.figures.of(app.state.store.round(dashboard.rounds[1]))
    monkeypatch.setattr(api, "_json", refuse)
    assert coordinator.get(path).content == first.content
    monkeypatch.undo()
    own = signed_in(app, dashboard, "organisation").get(path).json()
    assert set(own["organisations"]) == {"Gemeente Aa"}
    assert own["figures"]["layer_average"] == data["figures"]["layer_average"]


def test_laggard_rows_escape_every_value() -> None:
    from meting.web.texts import WebTexts

    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    laggard = {"organisation": hostile, "domains": [
        {"domain": "aa.nl", "reaction": hostile, "misses": [
            {"kind": "web", "column": "hsts", "status": "failed", "deadline": hostile,
             "advice": {"nl": hostile, "en": hostile}}]}]}
    html = str(compare.laggard_rows(WebTexts("nl"), [(7, laggard)], 2,
                                    "/organisations/organisation-id", "/domains/"))
    assert "<script>" not in html and "<img" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 3
    assert '<a href="/organisations/7?round=2">' in html
    assert '<a href="/domains/aa.nl?round=2">aa.nl</a>*' in html
    assert "Web HSTS (gezakt, uiterste datum eind &lt;script&gt;" in html


def test_the_monitor_never_computes_figures_and_counts_a_finished_round_once(
        app: FastAPI, dashboard: Dashboard, monkeypatch: pytest.MonkeyPatch) -> None:
    from meting.web import kept, queries

    monkeypatch.setattr(kept.Figures, "compute", refuse)
    coordinator = signed_in(app, dashboard, "coordinator")
    first = coordinator.get("/monitor/rounds")
    assert first.status_code == 200
    for round_id in dashboard.rounds:
        assert f'id="round-{round_id}" data-state="finished"' in first.text
    monkeypatch.setattr(queries, "progress", refuse)  # the finished rounds are counted
    assert coordinator.get("/monitor/rounds").text == first.text


@pytest.mark.parametrize(("who", "unseen"), [
    ("organisation", ("Gemeente Bee", "Ministerie Cee")), ("umbrella", ("Ministerie Cee",))])
def test_the_figures_name_no_organisation_the_caller_may_not_see(
        app: FastAPI, dashboard: Dashboard, who: str, unseen: tuple[str, ...]) -> None:
    path = f"/api/v1/rounds/{dashboard.rounds[1]}/figures"
    coordinator = signed_in(app, dashboard, "coordinator").get(path).text
    assert all(name in coordinator for name in unseen)  # they are in the whole figures
    text = signed_in(app, dashboard, who).get(path).text
    assert [name for name in unseen if name in text] == []
