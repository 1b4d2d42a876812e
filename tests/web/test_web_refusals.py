"""A service that refuses a request says why in the viewer's language: the review page and
the registry preview show the Dutch words to a Dutch reader (the default), not the
service's English (which the command line and the logs keep)."""

from __future__ import annotations

import datetime as dt

import pytest
from babel.dates import format_date
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select

from meting.store.models import Organisation
from tests.web.conftest import csrf_of, signed_in
from tests.web.dashboard_data import Dashboard, build

TODAY = dt.date.today()


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Dashboard:
    return build(f"sqlite:///{tmp_path_factory.mktemp('refusals') / 'meting.db'}")


def refusal(c: TestClient, path: str, **form: str) -> str:
    """The problem the page shows after posting ``form`` (the page refuses: 409)."""
    token = csrf_of(c.get(path.split("/domains/")[0].split("/organisations/")[0]).text)
    answer = c.post(path, data={"csrf": token, **form})
    assert answer.status_code == 409, answer.text[:300]
    shown = answer.text.split('id="problem">', 1)[1].split("</p>", 1)[0]
    return shown.replace("&#39;", "'")


def organisation_id(dashboard: Dashboard, name: str) -> int:
    engine = create_engine(dashboard.url)
    try:
        with engine.connect() as connection:
            found = connection.scalar(select(Organisation.id).where(Organisation.name == name))
    finally:
        engine.dispose()
    assert found is not None
    return int(found)


def test_the_review_page_words_the_refusals_in_dutch(app: FastAPI,
                                                     dashboard: Dashboard) -> None:
    coordinator = signed_in(app, dashboard, "coordinator")
    second = dashboard.rounds[1]
    review = f"/review/{second}"
    said = refusal(coordinator, f"{review}/open", until="2020-01-01")
    assert said == "de sluitingsdatum 1 januari 2020 is al voorbij"
    said = refusal(coordinator, f"{review}/open", until="15-01-2026")
    assert said == "'15-01-2026' is geen datum (JJJJ-MM-DD)"
    until = TODAY + dt.timedelta(days=14)
    opened = coordinator.post(f"{review}/open", data={
        "csrf": csrf_of(coordinator.get(review).text), "until": until.isoformat()})
    assert opened.status_code == 303
    said = refusal(coordinator, f"{review}/open", until=until.isoformat())
    assert said == (f"de reactieperiode van meting 2025-09 is al open, tot en met "
                    f"{format_date(until, format='long', locale='nl_NL')}")
    assert until.strftime("%B") not in said  # the month in Dutch, not in English

    aa = signed_in(app, dashboard, "organisation")
    org = organisation_id(dashboard, "Gemeente Aa")
    said = refusal(aa, f"{review}/organisations/{org}/reaction", text="  ")
    assert said == "een formele reactie heeft een tekst nodig"
    explain = f"{review}/domains/aa.nl/explanation"
    assert refusal(aa, explain, column="web:https", reason=" ",
                   until=(TODAY + dt.timedelta(days=30)).isoformat()) == (
        "uitleg heeft een reden nodig")
    said = refusal(aa, explain, column="web:https", reason="een eigen server",
                   until=TODAY.isoformat())
    assert said == (f"de datum {format_date(TODAY, format='long', locale='nl_NL')} tot "
                    "wanneer de uitleg geldt, moet na vandaag liggen")
    said = refusal(aa, explain, column="web:bestaat_niet", reason="een eigen server",
                   until=(TODAY + dt.timedelta(days=30)).isoformat())
    assert said.startswith("de uitslag van de webtest voor aa.nl heeft geen onderdeel "
                           "'bestaat_niet' (onderdelen: ")


def test_an_english_reader_reads_the_refusal_in_english(app: FastAPI,
                                                        dashboard: Dashboard) -> None:
    aa = signed_in(app, dashboard, "organisation")
    aa.cookies.set("meting_lang", "en")
    org = organisation_id(dashboard, "Gemeente Aa")
    said = refusal(aa, f"/review/{dashboard.rounds[0]}/organisations/{org}/reaction",
                   text="Wij reageren.")
    assert said == ("the review of round 2025-03 has not been opened (meting review open "
                    "--round 2025-03 --until DATE)")


def preview(c: TestClient, **form: str) -> str:
    token = csrf_of(c.get("/registry").text)
    answer = c.post("/registry/preview", data={"csrf": token, **form})
    assert answer.status_code == 422, answer.text[:300]
    return answer.text.replace("&#39;", "'")


def test_the_registry_form_words_its_problems_in_dutch_at_the_field(
        app: FastAPI, dashboard: Dashboard) -> None:
    coordinator = signed_in(app, dashboard, "coordinator")
    shown = preview(coordinator, organisation="Gemeente Testdorp", category="gemeente",
                    domain="testdorp-review")
    assert ("<li data-line=\"2\">Domein: 'testdorp-review' heeft geen punt: geef een "
            "volledige domeinnaam, zoals voorbeeld.nl</li>") in shown
    assert "has no dot" not in shown and "regel 2" not in shown
    shown = preview(coordinator, organisation=" ", category="gemeente", domain="dorp.nl",
                    mail="misschien")
    assert "Organisatie: de organisatie is leeg</li>" in shown
    assert "'misschien' is geen ja of nee (ja/nee, j/n, 1/0, waar/onwaar; leeg betekent ja)" \
        in shown
    assert "is not yes or no" not in shown and "the organisation is empty" not in shown


def test_an_uploaded_list_is_read_with_its_lines_and_dutch_reasons(
        app: FastAPI, dashboard: Dashboard) -> None:
    coordinator = signed_in(app, dashboard, "coordinator")
    token = csrf_of(coordinator.get("/registry").text)

    def upload(text: str) -> str:
        answer = coordinator.post("/registry/preview", data={"csrf": token},
                                  files={"file": ("lijst.csv", text.encode(), "text/csv")})
        assert answer.status_code in (400, 422), answer.text[:300]
        return answer.text.replace("&#39;", "'")

    shown = upload("naam,domein\nGemeente Eik,eik.nl\n")
    assert ("regel 1: de kopregel heeft geen kolom categorie (toegestane namen: category, "
            "categorie, bestuurslaag, overheidslaag, laag); de kopregel moet de eerste regel "
            "zijn") in shown
    assert "the header has no" not in shown
    shown = upload("organisatie,categorie,domein,webhost,mail\n"
                   "Gemeente Eik,gemeente,eik.nl,portaal.elders.nl,ja\n"
                   "Gemeente Eik,provincie,eik2.nl,,ja\n")
    assert ("regel 2, kolom webhost: webhost portaal.elders.nl valt niet onder het domein "
            "eik.nl; hij wordt getest zoals opgegeven") in shown
    assert ("regel 3: organisatie 'Gemeente Eik' heeft categorie 'gemeente' op regel 2 en "
            "hier 'provincie'; een organisatie heeft één categorie") in shown
    assert "on line" not in shown and "column" not in shown
    shown = upload("")
    assert "is leeg: er hoort een kopregel in te staan en een rij per domein</p>" in shown
    assert "is empty" not in shown
