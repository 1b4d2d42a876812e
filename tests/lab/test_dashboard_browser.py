"""The dashboard end to end: a real ``meting serve`` process (in the lab's scanner namespace)
on a real database filled by a real round over the lab, driven in headless Chromium.

Log in as each role and see what it may; XSS payloads in an organisation name, a domain-set
name and a reaction render inert (no script ran); a list with a bad row shows its line and
imports nothing; a round started on the scan monitor moves to finished; reports download;
a domain shows its evidence and norm; a shared link with a password opens the report. Each
account first replaces its one-time password."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select

from meting.store import Store
from tests.lab.conftest import Lab
from tests.lab.dashboard_support import (
    Server,
    add_account,
    browser,
    lab_env,
    log_in,
    meting,
    wait_for,
)

ORG_PAYLOAD = '<script>window.__xss="organisation"</script>Gemeente Script'
SET_PAYLOAD = '"><img src=x onerror="window.__xss=\'set\'">'
REACTION_PAYLOAD = '<img src=x onerror="window.__xss=\'reaction\'"><script>window.__xss=1</script>'
SMALL_SET = "klein"
# A row of the monitor read at once (htmx replaces the table while the test reads it).
ROUND_ROW = """const row = document.getElementById(arguments[0]);
return row ? [row.dataset.state, row.dataset.done, row.dataset.planned] : null;"""


@dataclass
class Site:
    server: Server
    driver: WebDriver
    passwords: dict[str, str]
    emails: dict[str, str]
    first_round: int
    database: str
    downloads: Path
    folder: Path

    def get(self, path: str) -> None:
        self.driver.get(self.server.url + path)

    def log_in(self, role: str) -> None:
        self.passwords[role] = log_in(self.driver, self.server.url, self.emails[role],
                                      self.passwords[role], f"eigen wachtwoord van de {role}")

    def no_script_ran(self) -> bool:
        return bool(self.driver.execute_script("return window.__xss === undefined"))


def appears(site: Site, element_id: str) -> WebElement:
    """The element of the page that a click leads to, once that page has loaded."""
    found = wait_for(site.driver, lambda d: d.find_elements(By.ID, element_id))
    assert isinstance(found, list)
    element: WebElement = found[0]
    return element


def registry_with_payloads(source: Path, target: Path) -> str:
    """The lab's list, with an organisation named by a script, a set named by an image
    payload, and a small set of three generated domains; the payload organisation's name."""
    with source.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    org, sets = header.index("organisation"), header.index("sets")
    generated = [r for r in body if "generated" in r[sets]]
    for row in generated[:3]:
        row[sets] += f";{SMALL_SET}"
    generated[0][org] = ORG_PAYLOAD
    generated[1][sets] += f";{SET_PAYLOAD}"
    with target.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *body])
    return ORG_PAYLOAD


@pytest.fixture(scope="module")
def site(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("dashboard")
    database = f"sqlite:///{folder / 'meting.db'}"
    env = lab_env(database)
    registry = folder / "registry.csv"
    registry_with_payloads(Path(lab.info["registry"]), registry)
    meting(env, "import", str(registry))
    meting(env, "run", "--set", "generated", "--label", "ronde-1", lab=True)
    with Store.open(database) as store:
        first = store.round_by_label("ronde-1")
        assert first.state == "finished" and first.done == first.planned > 0
        store.set_reaction(first.id, ORG_PAYLOAD, REACTION_PAYLOAD)
    emails = {"coordinator": "coordinator@example.nl", "umbrella": "vng@example.nl",
              "organisation": "gemeente@example.nl"}
    passwords = {
        "coordinator": add_account(env, emails["coordinator"], "--role", "coordinator"),
        "umbrella": add_account(env, emails["umbrella"], "--role", "umbrella",
                                "--umbrella", "VNG"),
        "organisation": add_account(env, emails["organisation"], "--role", "organisation",
                                    "--organisation", ORG_PAYLOAD),
    }
    server = Server(env, folder)
    downloads = folder / "downloads"
    downloads.mkdir()
    driver = browser(downloads)
    try:
        yield Site(server, driver, passwords, emails, first.id, database, downloads, folder)
    finally:
        driver.quit()
        server.stop()


def overview_rows(site: Site, table: str) -> list[str]:
    return [r.text for r in site.driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr")]


def test_each_role_sees_what_it_may(site: Site) -> None:
    site.log_in("coordinator")
    assert site.driver.find_element(By.ID, "headline").is_displayed()
    organisations = overview_rows(site, "organisations")
    with Store.open(site.database) as store:
        measured = {r.organisation for r in store.results(site.first_round)}
    assert len(organisations) == len(measured) > 1  # every organisation of the round
    assert site.driver.find_elements(By.LINK_TEXT, "Scanmonitor")

    site.log_in("umbrella")
    shown = overview_rows(site, "organisations")
    assert shown and all("VNG" in row for row in shown)
    assert len(shown) < len(organisations)
    assert not site.driver.find_elements(By.LINK_TEXT, "Scanmonitor")
    site.get("/monitor")
    assert site.driver.find_element(By.ID, "error").get_attribute("data-reason") == "403"

    site.log_in("organisation")
    shown = overview_rows(site, "organisations")
    assert len(shown) == 1 and "Gemeente Script" in shown[0]
    site.get("/registry")
    assert site.driver.find_element(By.ID, "error").get_attribute("data-reason") == "403"

    site.driver.delete_all_cookies()
    site.get(f"/rounds/{site.first_round}")
    assert site.driver.current_url.startswith(site.server.url + "/login?next=")


def test_the_language_switch_is_remembered(site: Site) -> None:
    site.log_in("organisation")
    assert site.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nl"
    site.driver.find_element(By.ID, "language").click()
    wait_for(site.driver, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang")
             == "en")
    site.get("/downloads")
    assert site.driver.find_element(By.TAG_NAME, "h1").text == "Downloads"
    assert site.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    site.driver.find_element(By.ID, "language").click()  # back to Dutch for the other tests
    wait_for(site.driver, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang")
             == "nl")


def test_payloads_in_names_and_reactions_render_inert(site: Site) -> None:
    site.log_in("coordinator")
    site.get(f"/rounds/{site.first_round}")
    assert ORG_PAYLOAD in site.driver.find_element(By.ID, "organisations").text
    assert site.no_script_ran()
    site.driver.find_element(By.PARTIAL_LINK_TEXT, "Gemeente Script").click()
    appears(site, "organisation-name")
    assert site.driver.find_element(By.ID, "organisation-name").text == ORG_PAYLOAD
    assert site.no_script_ran()
    site.get("/registry")
    assert SET_PAYLOAD in site.driver.find_element(By.ID, "sets").text
    assert not site.driver.find_elements(By.CSS_SELECTOR, "img[src='x']")
    assert site.no_script_ran()
    site.get(f"/rounds/{site.first_round}/report?format=html")
    assert "window.__xss='reaction'" in site.driver.find_element(By.TAG_NAME, "body").text
    assert not site.driver.find_elements(By.CSS_SELECTOR, "img[src='x']")
    assert site.no_script_ran()


def test_a_list_with_a_bad_row_shows_its_line_and_imports_nothing(site: Site) -> None:
    bad = site.folder / "bad-list.csv"
    bad.write_text("organisatie,categorie,domein\n"
                   "Gemeente Nieuw,gemeente,nieuw-goed.nl\n"
                   "Gemeente Fout,geen-laag,nieuw-fout.nl\n", encoding="utf-8")
    site.log_in("coordinator")
    site.get("/registry")
    site.driver.find_element(By.ID, "upload-file").send_keys(str(bad))
    site.driver.find_element(By.ID, "upload").click()
    appears(site, "list-errors")
    problems = site.driver.find_elements(By.CSS_SELECTOR, "#list-errors li")
    assert [p.get_attribute("data-line") for p in problems] == ["3"]
    assert "regel 3" in problems[0].text and "geen-laag" in problems[0].text
    assert site.driver.find_element(By.ID, "nothing-imported").is_displayed()
    assert not site.driver.find_elements(By.ID, "import")
    with Store.open(site.database) as store:
        assert not [e for e in store.export_entries() if e.domain.startswith("nieuw-")]


def test_a_good_list_is_previewed_then_imported(site: Site) -> None:
    good = site.folder / "good-list.csv"
    good.write_text("organisatie,categorie,domein,verzamelingen\n"
                    "Gemeente Nieuw,gemeente,nieuw-goed.nl,nieuw\n", encoding="utf-8")
    site.get("/registry")
    site.driver.find_element(By.ID, "upload-file").send_keys(str(good))
    site.driver.find_element(By.ID, "upload").click()
    appears(site, "preview")
    assert "nieuw-goed.nl" in site.driver.find_element(By.ID, "preview").text
    site.driver.find_element(By.ID, "import").click()
    assert appears(site, "imported").is_displayed()
    with Store.open(site.database) as store:
        assert "nieuw" in store.domain_sets()


def test_a_round_started_on_the_monitor_moves_to_finished(site: Site) -> None:
    site.log_in("coordinator")
    site.get("/monitor")
    Select(site.driver.find_element(By.ID, "start-set")).select_by_value(SMALL_SET)
    site.driver.find_element(By.ID, "start-label").send_keys("ronde-monitor")
    site.driver.find_element(By.ID, "start-round").click()
    wait_for(site.driver, lambda d: "ronde-monitor" in d.find_element(By.ID, "rounds").text)
    with Store.open(site.database) as store:
        new = store.round_by_label("ronde-monitor").id
    seen: list[tuple[str, int]] = []
    planned = 0
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:  # the table refreshes itself (htmx), no page loads
        row = site.driver.execute_script(ROUND_ROW, f"round-{new}")
        if row:
            state, done, planned = str(row[0]), int(row[1]), int(row[2])
            if not seen or seen[-1] != (state, done):
                seen.append((state, done))
            if state == "finished":
                break
        time.sleep(0.2)
    with Store.open(site.database) as store:
        assert planned == store.round(new).planned > 0
    assert seen[-1] == ("finished", planned), seen
    assert seen[0][0] in ("planned", "running") and seen[0][1] < planned, seen
    assert len(seen) >= 2, seen
    site.driver.find_element(By.LINK_TEXT, "ronde-monitor").click()
    assert appears(site, "headline").is_displayed()


def test_reports_download(site: Site) -> None:
    site.log_in("coordinator")
    site.get("/downloads")
    site.driver.find_element(By.ID, f"report-{site.first_round}-xlsx").click()
    site.driver.find_element(By.ID, f"report-{site.first_round}-json").click()
    files = wait_for(site.driver, lambda d: _finished(site.downloads, 2), 120)
    assert files
    workbook = load_workbook(next(site.downloads.glob("*.xlsx")), read_only=True)
    assert workbook.sheetnames
    figures = json.loads(next(site.downloads.glob("*.json")).read_text())
    assert figures["label"] == "ronde-1" and figures["adoption"]["web"]["all"]


def _finished(folder: Path, count: int) -> list[Path]:
    done = [p for p in folder.iterdir() if not p.name.endswith(".crdownload")]
    return done if len(done) >= count else []


def test_a_domain_shows_columns_evidence_and_norm(site: Site) -> None:
    site.log_in("organisation")
    site.get(f"/rounds/{site.first_round}")
    site.driver.find_element(By.PARTIAL_LINK_TEXT, "Gemeente Script").click()
    appears(site, "results-web")
    site.driver.find_element(By.CSS_SELECTOR, "#results-web tbody a").click()
    appears(site, "norm")
    with Store.open(site.database) as store:
        norm = store.round(site.first_round).norm
    assert site.driver.find_element(By.ID, "norm").text == norm
    assert len(site.driver.find_elements(By.CSS_SELECTOR, "#columns-web tbody tr")) >= 5
    assert site.driver.find_elements(By.CSS_SELECTOR, "#test-web details pre.evidence")
    assert site.driver.find_element(By.ID, "evidence-web").get_attribute("href")


def test_a_shared_link_with_a_password_shows_the_report(site: Site) -> None:
    site.log_in("coordinator")
    site.get("/shares")
    site.driver.find_element(By.NAME, "password").send_keys("gedeeld-geheim")
    site.driver.find_element(By.ID, "make-share").click()
    link = str(appears(site, "share-link").get_attribute("href"))
    site.driver.delete_all_cookies()
    site.driver.get(link)
    site.driver.find_element(By.ID, "share-password").send_keys("gedeeld-geheim")
    site.driver.find_element(By.ID, "unlock").click()
    wait_for(site.driver, lambda d: "Managementsamenvatting" in d.page_source)
    body = site.driver.find_element(By.TAG_NAME, "body").text
    assert "ronde" in body and "Managementsamenvatting" in body
    assert site.no_script_ran()


def test_comparison_of_two_rounds_counts_changes(site: Site) -> None:
    site.log_in("coordinator")
    with Store.open(site.database) as store:
        second = store.round_by_label("ronde-monitor").id
    site.get(f"/compare?a={site.first_round}&b={second}")
    counts = site.driver.find_element(By.ID, "change-counts").text
    assert "verbeterd" in counts and "nieuw" in counts
    rows = site.driver.find_elements(By.CSS_SELECTOR, "#changes tbody tr")
    assert rows
