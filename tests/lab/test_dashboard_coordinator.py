"""A coordinator's work in the dashboard, in headless Chromium against a real ``meting serve``
with ``dashboard_executor = celery``, a real Redis broker, a real PostgreSQL store and a real
``meting worker`` process in the lab's scanner namespace.

The scan monitor shows the worker; the round it starts is sent to the broker, run by the
worker (its log says so, test by test) and stored to the last test; once the worker is
stopped the monitor says that no worker answers. In the registry a domain no round measured
is deleted after its confirmation, a measured one is refused, and a domain set (named by a
script payload, which stays inert) is created, filled, emptied, renamed and deleted."""

from __future__ import annotations

import csv
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select

from meting.store import Store
from tests.lab.conftest import Lab
from tests.lab.dashboard_support import (
    METING,
    Server,
    add_account,
    browser,
    lab_env,
    log_in,
    meting,
    wait_for,
)
from tests.services import postgres_database, postgres_server, redis_server

pytestmark = pytest.mark.lab

SMALL_SET = "klein-celery"
ROUND_ROW = """const row = document.getElementById(arguments[0]);
return row ? [row.dataset.state, row.dataset.done, row.dataset.planned] : null;"""
EMAIL = "coordinator@example.nl"


@dataclass
class CelerySite:
    server: Server
    driver: WebDriver
    worker: subprocess.Popen[bytes]
    worker_log: Path
    database: str
    password: str

    def get(self, path: str) -> None:
        self.driver.get(self.server.url + path)


def small_registry(source: Path, target: Path, size: int = 3) -> None:
    """The lab's list with a set of ``size`` generated domains."""
    with source.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    sets = header.index("sets")
    for row in [r for r in body if "generated" in r[sets]][:size]:
        row[sets] += f";{SMALL_SET}"
    with target.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *body])


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    worker = subprocess.Popen([METING, "lab", "exec", "--", METING, "worker", "--concurrency",
                               "4"], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while " ready." not in log.read_text(errors="replace"):
        assert worker.poll() is None, log.read_text(errors="replace")[-3000:]
        assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
        time.sleep(0.2)
    return worker


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()  # warm shutdown: running tests finish first
        try:
            process.wait(120)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def site(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CelerySite]:
    folder = tmp_path_factory.mktemp("dashboard-celery")
    with redis_server(folder) as socket, postgres_server() as pg:
        database = postgres_database(pg, "meting_dashboard_celery")
        env = {**lab_env(database), "METING_BROKER": f"unix://{socket}",
               "METING_DASHBOARD_EXECUTOR": "celery", "METING_RETRIES": "0"}
        registry = folder / "registry.csv"
        small_registry(Path(lab.info["registry"]), registry)
        meting(env, "import", str(registry))
        password = add_account(env, EMAIL, "--role", "coordinator")
        log = folder / "worker.log"
        worker = start_worker(env, log)
        server = Server(env, folder)
        driver = browser(folder / "downloads")
        try:
            yield CelerySite(server, driver, worker, log, database, password)
        finally:
            driver.quit()
            server.stop()
            stop(worker)


def test_a_round_started_on_the_monitor_runs_on_the_celery_worker(site: CelerySite) -> None:
    site.password = log_in(site.driver, site.server.url, EMAIL, site.password,
                           "eigen wachtwoord van de coördinator")
    site.get("/monitor")
    assert site.driver.find_element(By.ID, "executor").get_attribute("data-executor") == \
        "celery"
    shown = wait_for(site.driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#workers .worker"))
    assert isinstance(shown, list) and len(shown) == 1
    worker_name = shown[0].get_attribute("data-name")
    assert worker_name and worker_name.startswith("meting-")

    Select(site.driver.find_element(By.ID, "start-set")).select_by_value(SMALL_SET)
    site.driver.find_element(By.ID, "start-label").send_keys("celery-1")
    site.driver.find_element(By.ID, "start-round").click()
    with Store.open(site.database) as store:
        made = wait_for(site.driver, lambda d: next(
            (r for r in store.rounds() if r.label == "celery-1"), None))
    assert made is not None
    row_id = f"round-{made.id}"  # type: ignore[attr-defined]
    seen_states = set()

    def finished(driver: WebDriver) -> bool:
        row = driver.execute_script(ROUND_ROW, row_id)
        if row:
            seen_states.add(row[0])
        return bool(row) and row[0] == "finished" and row[1] == row[2] != "0"

    wait_for(site.driver, finished, 600)
    with Store.open(site.database) as store:
        info = store.round_by_label("celery-1")
        results = list(store.results(info.id))
    assert info.executor == "celery" and info.state == "finished"
    assert info.done == info.planned == len(results) == 6  # 3 domains, web and mail
    log = site.worker_log.read_text(errors="replace")
    for result in results:  # every test was run and stored by the worker, not the server
        assert f"test {result.test_id} stored" in log, log[-3000:]
    assert site.driver.find_element(By.LINK_TEXT, "celery-1")  # it has results to show


def test_the_monitor_says_no_worker_answers_once_it_stopped(site: CelerySite) -> None:
    stop(site.worker)
    site.get("/monitor")
    wait_for(site.driver, lambda d: d.find_elements(By.ID, "no-workers"), 60)
    assert "Geen meetprocessen" in site.driver.find_element(By.ID, "no-workers").text
    assert not site.driver.find_elements(By.CSS_SELECTOR, "#workers .worker")


XSS_SET = '"><img src=x onerror="window.__xss=1">Proefset'


def element(site: CelerySite, element_id: str) -> WebElement:
    found = wait_for(site.driver, lambda d: d.find_elements(By.ID, element_id))
    assert isinstance(found, list)
    first: WebElement = found[0]
    return first


def shows(site: CelerySite, element_id: str, text: str) -> None:
    """Wait until the page (the one a click leads to) has the element with this text."""
    wait_for(site.driver, lambda d: any(text in e.text for e in d.find_elements(
        By.ID, element_id)))


def test_a_domain_is_deleted_after_its_confirmation_unless_a_round_measured_it(
        site: CelerySite) -> None:
    with Store.open(site.database) as store:
        measured = {r.domain for r in store.results(store.round_by_label("celery-1").id)}
        unmeasured = sorted(e.domain for e in store.export_entries()
                            if e.domain not in measured)[0]
    site.get(f"/registry?q={unmeasured}")
    site.driver.find_element(
        By.CSS_SELECTOR, f"#registry-entries a[href$='/registry/domains/{unmeasured}/delete']"
    ).click()
    element(site, "delete-domain").click()
    shows(site, "done", f"Domein {unmeasured} is verwijderd.")
    with Store.open(site.database) as store:
        assert unmeasured not in {e.domain for e in store.export_entries()}

    one = sorted(measured)[0]
    site.get(f"/registry/domains/{one}/delete")
    assert "celery-1" in element(site, "delete-rounds").text
    assert element(site, "not-deletable").is_displayed()
    assert not site.driver.find_elements(By.ID, "delete-domain")


def test_a_domain_set_is_made_filled_emptied_renamed_and_deleted(site: CelerySite) -> None:
    with Store.open(site.database) as store:
        two = sorted(e.domain for e in store.export_entries())[:2]
    site.get("/registry")
    element(site, "edit-sets").click()
    element(site, "set-name").send_keys(XSS_SET)
    site.driver.find_element(By.ID, "set-create").click()
    shows(site, "done", "De set is aangemaakt.")
    assert XSS_SET.casefold() in site.driver.find_element(By.ID, "set-title").text
    assert not site.driver.find_elements(By.CSS_SELECTOR, "img[src='x']")
    assert site.driver.execute_script("return window.__xss === undefined")

    element(site, "set-add-names").send_keys("\n".join(two))
    site.driver.find_element(By.ID, "set-add").click()
    shows(site, "done", "2 domein(en) toegevoegd.")
    rows = site.driver.find_elements(By.CSS_SELECTOR, "#set-members tbody tr")
    assert sorted(r.find_elements(By.TAG_NAME, "td")[1].text for r in rows) == two

    site.driver.find_element(By.CSS_SELECTOR, f"input[value='{two[0]}']").click()
    site.driver.find_element(By.ID, "set-remove").click()
    shows(site, "done", "1 domein(en) uit de set gehaald.")
    rows = site.driver.find_elements(By.CSS_SELECTOR, "#set-members tbody tr")
    assert [r.find_elements(By.TAG_NAME, "td")[1].text for r in rows] == [two[1]]

    name = element(site, "set-new-name")
    name.clear()
    name.send_keys("hernoemd")
    site.driver.find_element(By.ID, "set-rename").click()
    shows(site, "done", "De set heeft een nieuwe naam.")
    shows(site, "set-title", "Domeinset hernoemd")

    site.driver.find_element(By.ID, "set-delete-confirm").click()
    site.driver.find_element(By.ID, "set-delete").click()
    shows(site, "done", "Set hernoemd is verwijderd")
    with Store.open(site.database) as store:
        assert "hernoemd" not in store.domain_sets()
        assert two[1] in {e.domain for e in store.export_entries()}
    assert site.driver.execute_script("return window.__xss === undefined")
