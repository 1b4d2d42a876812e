"""Change reports in the dashboard: an organisation sees its own changes only, an umbrella
those of its organisations (narrowed to one if it likes), as a page, CSV and XLSX."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import select

from meting.store import Store
from meting.store.models import Organisation
from tests.web.conftest import signed_in
from tests.web.dashboard_data import Dashboard, add_round, build


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Dashboard:
    """The two rounds of every dashboard test and a third: aa.nl regresses (it passed in
    the second), bee.nl improves (it failed), cee.nl regresses."""
    built = build(f"sqlite:///{tmp_path_factory.mktemp('changes') / 'meting.db'}")
    with Store.open(built.url) as store:
        add_round(store, "2026-03", dt.date(2026, 3, 1), {"aa.nl", "cee.nl"})
    return built


def organisation_id(app: FastAPI, name: str) -> int:
    with app.state.sessions() as session:
        found = session.scalar(select(Organisation.id).where(Organisation.name == name))
    assert isinstance(found, int)
    return found


def rows(html: str) -> list[str]:
    """"domain:change" of each row of the change table (one per changed column)."""
    return [f"{domain}:{change}" for change, domain in re.findall(
        r'<tr class="change-row (\w+)"><td>[^<]*</td><td><a [^>]*>([^<]+)</a>', html)]


def test_an_organisation_sees_its_own_changes_and_no_one_elses(
        app: FastAPI, dashboard: Dashboard) -> None:
    own = signed_in(app, dashboard, "organisation")
    aa, bee = organisation_id(app, "Gemeente Aa"), organisation_id(app, "Gemeente Bee")
    answer = own.get(f"/organisations/{aa}/changes")
    assert answer.status_code == 200
    found = rows(answer.text)
    assert found and set(found) == {"aa.nl:regressed"}
    assert "verslechterd" in answer.text and "2025-09" in answer.text
    assert "bee.nl" not in answer.text and "cee.nl" not in answer.text
    assert own.get(f"/organisations/{bee}/changes").status_code == 404
    assert own.get("/umbrellas/VNG/changes").status_code == 403
    page = own.get(f"/organisations/{aa}")
    assert f"/organisations/{aa}/changes" in page.text


def test_an_umbrella_sees_its_organisations_changes_and_narrows_them(
        app: FastAPI, dashboard: Dashboard) -> None:
    vng = signed_in(app, dashboard, "umbrella")
    bee, cee = organisation_id(app, "Gemeente Bee"), organisation_id(app,
                                                                            "Ministerie Cee")
    every = vng.get("/umbrellas/VNG/changes")
    assert set(rows(every.text)) == {"aa.nl:regressed", "bee.nl:improved"}
    assert "cee.nl" not in every.text
    narrowed = vng.get(f"/umbrellas/VNG/changes?organisation={bee}")
    assert set(rows(narrowed.text)) == {"bee.nl:improved"} and "aa.nl" not in narrowed.text
    assert vng.get(f"/umbrellas/VNG/changes?organisation={cee}").status_code == 404
    assert vng.get(f"/organisations/{cee}/changes").status_code == 404
    assert vng.get("/umbrellas/CIO Rijk/changes").status_code == 404


def test_changes_download_as_csv_and_xlsx(
        app: FastAPI, dashboard: Dashboard) -> None:
    coordinator = signed_in(app, dashboard, "coordinator")
    bee = organisation_id(app, "Gemeente Bee")
    csv = coordinator.get(f"/umbrellas/VNG/changes?organisation={bee}&format=csv")
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
    text = csv.content.decode("utf-8-sig")
    assert "bee.nl" in text and "verbeterd" in text and "aa.nl" not in text
    xlsx = coordinator.get("/umbrellas/VNG/changes?format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][2] == "Domein"
    assert {(r[2], r[7]) for r in values[1:]} == {("aa.nl", "verslechterd"),
                                                  ("bee.nl", "verbeterd")}
    assert coordinator.get("/umbrellas/VNG/changes?format=pdf").status_code == 404


def test_the_review_page_links_to_the_changes_the_reader_may_see(
        app: FastAPI, dashboard: Dashboard) -> None:
    aa, cee = organisation_id(app, "Gemeente Aa"), organisation_id(app, "Ministerie Cee")
    latest = max(r.id for r in app.state.store.rounds())
    umbrella = signed_in(app, dashboard, "umbrella").get(f"/review/{latest}").text
    assert "/umbrellas/VNG/changes" in umbrella and f"/organisations/{aa}/changes" in umbrella
    assert f"/organisations/{cee}/changes" not in umbrella and "CIO Rijk/changes" not in umbrella
    own = signed_in(app, dashboard, "organisation").get(f"/review/{latest}").text
    assert f"/organisations/{aa}/changes" in own and "/umbrellas/" not in own
    everyone = signed_in(app, dashboard, "coordinator").get(f"/review/{latest}").text
    assert "/umbrellas/CIO Rijk/changes" in everyone
