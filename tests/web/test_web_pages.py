"""The dashboard's pages and API over a real store (no lab): figures of a finished round
are computed once and kept; the pages show what the analysis computes; every text exists in
Dutch and English; the account commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from typer.testing import CliRunner

from meting.cli import app as cli
from meting.store.web_models import KeptFigures
from meting.web import kept
from meting.web.texts import web_texts
from tests import services
from tests.web.conftest import client, csrf_of, signed_in
from tests.web.dashboard_data import Dashboard, build

TEMPLATES = Path(kept.__file__).parent / "templates"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def dashboard(request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> Dashboard:
    """The pages' queries on both backends of the store."""
    if request.param == "sqlite":
        return build(f"sqlite:///{tmp_path_factory.mktemp('pages') / 'meting.db'}")
    socket_dir: Path = request.getfixturevalue("postgres")
    return build(services.postgres_database(socket_dir, "meting_dashboard_pages"))


def test_figures_of_a_finished_round_are_computed_once_and_kept(
        app: FastAPI, dashboard: Dashboard, monkeypatch: pytest.MonkeyPatch) -> None:
    c = signed_in(app, dashboard, "coordinator")
    first = c.get(f"/rounds/{dashboard.rounds[1]}")
    assert first.status_code == 200
    with app.state.sessions() as session:
        kept_rounds = list(session.scalars(select(KeptFigures.round_id)))
    assert dashboard.rounds[1] in kept_rounds

    def no_counting(*_: object) -> None:
        raise AssertionError("a kept round was counted again")

    monkeypatch.setattr(kept.Figures, "compute", no_counting)
    again = c.get(f"/rounds/{dashboard.rounds[1]}")
    assert again.status_code == 200 and again.text == first.text
    assert c.get(f"/api/v1/rounds/{dashboard.rounds[1]}/figures").status_code == 200


def test_the_overview_shows_the_analysis_figures_and_change(app: FastAPI,
                                                           dashboard: Dashboard) -> None:
    c = signed_in(app, dashboard, "coordinator")
    figures = c.get(f"/api/v1/rounds/{dashboard.rounds[1]}/figures").json()["figures"]
    # aa.nl went from failing to passing; bee.nl fails in both; cee.nl passes in both;
    # dnssec passes everywhere: the web average is (100 + 4 × 2/3) / 5, before (100 + 4/3) / 5
    assert figures["layer_average"]["web"]["all"] == pytest.approx(73.3)
    assert figures["trend"][0]["layer_average"]["web"] == pytest.approx(46.7)
    page = c.get(f"/rounds/{dashboard.rounds[1]}").text
    headline = page[page.index('id="headline"'):page.index("</table>", page.index('id="headline"'))]
    assert "73%" in headline and "47%" in headline and "+26,7" in headline
    changes = c.get(f"/api/v1/compare?a={dashboard.rounds[0]}&b={dashboard.rounds[1]}"
                    "&change=improved").json()
    assert {x["domain"] for x in changes["changes"]} == {"aa.nl"}
    assert changes["counts"]["improved"] == len(changes["changes"]) > 0


def test_the_organisation_page_marks_changes_and_laggards(app: FastAPI,
                                                         dashboard: Dashboard) -> None:
    c = signed_in(app, dashboard, "umbrella")
    organisations = {o["name"]: o["id"] for o in c.get("/api/v1/organisations").json()}
    bee = c.get(f"/organisations/{organisations['Gemeente Bee']}").text
    assert 'id="laggards"' in bee and "bee.nl" in bee and "▲" not in bee
    aa = c.get(f"/organisations/{organisations['Gemeente Aa']}").text
    assert "▲" in aa and "Geen achterstanden" in aa


def test_the_comparison_downloads_as_csv_with_filters(app: FastAPI,
                                                      dashboard: Dashboard) -> None:
    c = signed_in(app, dashboard, "coordinator")
    answer = c.get(f"/compare?a={dashboard.rounds[0]}&b={dashboard.rounds[1]}"
                   "&change=improved&format=csv")
    lines = answer.text.strip().splitlines()
    assert lines[0].startswith("domain,organisation,category,umbrella,kind,column")
    assert lines[1:] and all(line.startswith("aa.nl,") and line.endswith(",improved")
                             for line in lines[1:])


def test_the_comparison_shows_the_agreement_per_column_of_what_the_viewer_may_see(
        app: FastAPI, dashboard: Dashboard) -> None:
    from meting.analysis.agreement import agreement
    from meting.store import Store

    with Store.open(dashboard.url) as store:
        a, b = (store.round(r) for r in dashboard.rounds)
        every = agreement(a.label, store.results(a.id), b.label, store.results(b.id)).columns
        vng = agreement(a.label, [r for r in store.results(a.id) if r.umbrella == "VNG"],
                        b.label, [r for r in store.results(b.id) if r.umbrella == "VNG"]).columns
    assert every and any(x.agreeing < x.compared for x in every)
    for who, expected in (("coordinator", every), ("umbrella", vng)):
        page_html = signed_in(app, dashboard, who).get(
            f"/compare?a={dashboard.rounds[0]}&b={dashboard.rounds[1]}").text
        table = page_html.split('id="agreement"')[1].split("</table>")[0]
        rows = re.findall(r"<tr><td>[^<]*</td><td>[^<]*</td><td>(\d+)</td><td>(\d+)</td>"
                          r"<td>(\d+)%</td></tr>", table)
        assert rows == [(str(x.compared), str(x.agreeing),
                         str(int(x.to_json()["rate"] + 0.5))) for x in expected], who


def test_an_entry_from_the_form_goes_through_the_list_checks(app: FastAPI,
                                                             dashboard: Dashboard) -> None:
    c = signed_in(app, dashboard, "coordinator")
    token = csrf_of(c.get("/registry").text)
    bad = c.post("/registry/preview", data={"csrf": token, "organisation": "Gemeente Dee",
                                            "category": "gemeente",
                                            "domain": "https://www.dee.nl/"})
    assert bad.status_code == 422 and 'data-line="2"' in bad.text
    good = c.post("/registry/preview", data={"csrf": token, "organisation": "Gemeente Dee",
                                             "category": "gemeente", "domain": "dee.nl",
                                             "sets": "kern"})
    key = re.search(r'name="key" value="([^"]+)"', good.text)
    assert good.status_code == 200 and key
    done = c.post("/registry/import", data={"csrf": token, "key": key.group(1)})
    assert done.status_code == 200 and 'id="imported"' in done.text
    assert "dee.nl" in c.get("/registry?q=dee").text
    other = signed_in(app, dashboard, "coordinator")  # another session cannot use the key
    assert other.post("/registry/import", data={"csrf": csrf_of(other.get("/registry").text),
                                                "key": key.group(1)}).status_code == 404


def test_api_gives_columns_and_subtests_by_their_names(app: FastAPI,
                                                       dashboard: Dashboard) -> None:
    c = signed_in(app, dashboard, "organisation")
    found = c.get("/api/v1/domains/aa.nl").json()
    web = next(r for r in found["results"] if r["kind"] == "web"
               and r["round"] == dashboard.rounds[1])
    assert web["columns"]["hsts"]["status"] == "passed"
    assert web["subtests"]["dnssec_exists"]["status"] == "passed"
    schema = c.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.") and "/api/v1/rounds/{round_id}/figures" in (
        schema["paths"])


def test_every_text_of_the_templates_is_in_dutch_and_english() -> None:
    from meting.report.texts import _texts as report_texts

    endings = {"average_": ("web", "mail"), "fully_": ("web_short", "mail_short"),
               "error_": ("403", "404"), "state_": ("planned", "running", "interrupted",
                                                    "finished"),
               "role_": ("coordinator", "umbrella", "organisation", "public"),
               "change_": ("improved", "regressed", "unchanged", "new", "gone"),
               "mark_": ("improved", "regressed", "new"),
               "filter_": ("layer", "umbrella", "organisation", "column", "change"),
               "service_": ("mail", "dns", "web"), "set_": ("created", "renamed"),
               "set_domains_": ("added", "removed"), "executor_": ("local", "celery")}
    used = set()
    for template in TEMPLATES.rglob("*.j2"):
        text = template.read_text()
        used |= set(re.findall(r"\bt\('([a-z0-9_]+)'\)", text))
        for prefix in re.findall(r"\bt\('([a-z0-9_]+)' ~", text):
            used |= {prefix + ending for ending in endings[prefix]}
    known = web_texts() | report_texts()["text"]
    missing = sorted(k for k in used if k not in known)
    assert missing == []
    for key, entry in web_texts().items():
        assert entry["nl"] and entry["en"], key


def test_user_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METING_DATABASE", f"sqlite:///{tmp_path / 'u.db'}")
    runner = CliRunner()
    made = runner.invoke(cli, ["user", "add", "Co@Example.nl", "--role", "coordinator"])
    assert made.exit_code == 0 and "one-time password" in made.output
    again = runner.invoke(cli, ["user", "add", "co@example.nl", "--role", "coordinator"])
    assert again.exit_code == 2 and "already an account" in again.output
    assert "Traceback" not in again.output
    unknown = runner.invoke(cli, ["user", "add", "x@example.nl", "--role", "organisation",
                                  "--organisation", "Nergens"])
    assert unknown.exit_code == 2 and "no organisation 'Nergens'" in unknown.output
    token = runner.invoke(cli, ["user", "token", "co@example.nl"])
    assert token.exit_code == 0 and token.output.startswith("mt_")
    listed = runner.invoke(cli, ["user", "list"])
    assert "co@example.nl" in listed.output and "coordinator" in listed.output
    assert runner.invoke(cli, ["user", "remove", "co@example.nl"]).exit_code == 0
    assert "co@example.nl" not in runner.invoke(cli, ["user", "list"]).output


def test_an_account_gets_its_language_when_made_and_the_dashboard_switches_to_it(
        app: FastAPI, dashboard: Dashboard, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METING_DATABASE", dashboard.url)
    runner = CliRunner()
    email = "engels@example.nl"
    wrong = runner.invoke(cli, ["user", "add", "x@example.nl", "--role", "coordinator",
                                "--lang", "de"])
    assert wrong.exit_code == 2 and "language 'de'" in wrong.output
    made = runner.invoke(cli, ["user", "add", email, "--role", "coordinator", "--lang", "en"])
    assert made.exit_code == 0, made.output
    password = made.output.split("one-time password: ")[1].split()[0]
    c = client(app)
    token = csrf_of(c.get("/login").text)
    c.post("/lang", data={"lang": "nl", "csrf": token, "next": "/login"})
    assert c.cookies.get("meting_lang") == "nl"  # chosen before signing in; the account's wins
    answer = c.post("/login", data={"email": email, "password": password, "csrf": token,
                                    "next": "/"})
    assert answer.status_code == 303 and c.cookies.get("meting_lang") == "en"
    assert '<html lang="en"' in c.get("/account/password").text
    runner.invoke(cli, ["user", "remove", email])
