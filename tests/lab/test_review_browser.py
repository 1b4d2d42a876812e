"""The review pages end to end in headless Chromium: a real ``meting serve`` (in the lab's
scanner namespace, so its re-tests reach the lab's servers) on a database filled by a real
round over lab domains. The coordinator opens the review; an organisation reacts, explains
and asks a re-test, and sees only its own; the coordinator decides and closes; the mails
reach the lab's mailbox."""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from meting.lab import mailbox
from meting.store import Store
from meting.store.review import ReviewStore
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

pytestmark = pytest.mark.lab

ORGANISATION = "Gemeente Zonder HSTS"
OTHER = "Gemeente Perfect"
ADDRESS = "bestuur@geen-hsts.nl"
PAYLOAD = '<img src=x onerror="window.__xss=1">Wij reageren.'
SENDER = f"review-{uuid.uuid4().hex[:8]}@coordinatie.lab.invalid"


@dataclass
class Site:
    server: Server
    driver: WebDriver
    passwords: dict[str, str]
    round_id: int
    database: str
    state: Path

    def log_in(self, email: str) -> None:
        self.passwords[email] = log_in(self.driver, self.server.url, email,
                                       self.passwords[email], f"eigen wachtwoord van {email}")

    def review(self) -> None:
        self.driver.get(f"{self.server.url}/review/{self.round_id}")

    def rows(self, table: str) -> list[str]:
        """The first cell of each row."""
        return [r.text for r in self.driver.find_elements(
            By.CSS_SELECTOR, f"#{table} tbody tr td:first-child")]

    def mails(self) -> list[str]:
        return [" ".join(str(m["Subject"]).split())  # unfolded
                for m in mailbox.delivered(self.state, ADDRESS) if m["From"] == SENDER]


def wait(driver: WebDriver, condition: object, seconds: float = 60) -> object:
    return wait_for(driver, condition, seconds)


@pytest.fixture(scope="module")
def site(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("review-browser")
    folder.chmod(0o755)
    database = f"sqlite:///{folder / 'meting.db'}"
    env = {**lab_env(database), "METING_SMTP_HOST": lab.info["mail_relay"],
           "METING_SMTP_SECURITY": "none", "METING_MAIL_SENDER": SENDER}
    registry = folder / "registry.csv"
    with registry.open("w", newline="") as out:
        csv.writer(out).writerows([["organisation", "category", "domain", "umbrella", "sets"],
                                   [ORGANISATION, "gemeente", "geen-hsts.nl", "VNG", "r"],
                                   [OTHER, "gemeente", "perfect.nl", "VNG", "r"]])
    meting(env, "import", str(registry))
    meting(env, "run", "--set", "r", "--label", "ronde-review", lab=True)
    meting(env, "recipient", "add", ADDRESS, "--organisation", ORGANISATION)
    with Store.open(database) as store:
        round_id = store.round_by_label("ronde-review").id
    passwords = {"coordinator@example.nl": add_account(env, "coordinator@example.nl", "--role",
                                                       "coordinator"),
                 "gemeente@example.nl": add_account(env, "gemeente@example.nl", "--role",
                                                    "organisation", "--organisation",
                                                    ORGANISATION)}
    server = Server(env, folder)
    driver = browser(folder / "downloads")
    try:
        yield Site(server, driver, passwords, round_id, database, Path(lab.info["mailbox"]
                                                                      ).parent.parent)
    finally:
        driver.quit()
        server.stop()


def test_the_review_cycle_in_the_browser(site: Site) -> None:
    d = site.driver
    site.log_in("coordinator@example.nl")
    d.get(site.server.url + "/review")
    d.find_element(By.LINK_TEXT, "ronde-review").click()
    until = d.find_element(By.ID, "open-until")
    d.execute_script("arguments[0].value = arguments[1]", until,
                     (dt.date.today() + dt.timedelta(days=21)).isoformat())
    d.find_element(By.ID, "open-review").click()
    wait(d, lambda d: "Reageren kan tot en met" in d.find_element(By.ID, "window-state").text)

    site.log_in("gemeente@example.nl")
    site.review()
    assert site.rows("reactions") == [ORGANISATION]  # not the other organisation
    assert site.rows("domains") == ["geen-hsts.nl"]
    assert not d.find_elements(By.ID, "close-form")  # the coordinator's
    d.find_element(By.CSS_SELECTOR, ".reaction-form textarea").send_keys(PAYLOAD)
    d.find_element(By.CSS_SELECTOR, ".reaction-form button").click()
    wait(d, lambda d: "ingediend" in d.find_element(By.ID, "reactions").text)
    form = d.find_element(By.CSS_SELECTOR, ".explanation-form")
    Select(form.find_element(By.NAME, "column")).select_by_value("web:hsts")
    form.find_element(By.NAME, "reason").send_keys("Nieuwe server in januari.")
    form.find_element(By.TAG_NAME, "button").click()
    wait(d, lambda d: "Nieuwe server in januari." in d.find_element(By.ID, "explanations").text)
    d.find_element(By.CSS_SELECTOR, ".retest-form button").click()  # runs at once
    wait(d, lambda d: len(site.rows("retests")) == 2, 300)
    assert sorted(site.rows("retests")) == ["geen-hsts.nl (Mail)", "geen-hsts.nl (Web)"]
    assert d.execute_script("return window.__xss === undefined")

    site.log_in("coordinator@example.nl")
    site.review()
    assert len(site.rows("reactions")) == 2  # the coordinator sees every organisation
    d.find_element(By.CSS_SELECTOR, "#reactions button[value=approve]").click()
    wait(d, lambda d: "goedgekeurd" in d.find_element(By.ID, "reactions").text)
    d.find_element(By.CSS_SELECTOR, "#explanations button[value=accept]").click()
    wait(d, lambda d: "geaccepteerd" in d.find_element(By.ID, "explanations").text)
    d.find_element(By.ID, "close-review").click()
    wait(d, lambda d: "gesloten" in d.find_element(By.ID, "window-state").text)
    assert PAYLOAD in d.find_element(By.ID, "reactions").text  # shown as text
    assert d.execute_script("return window.__xss === undefined")

    with Store.open(site.database) as store:
        assert store.reactions(site.round_id) == {ORGANISATION: PAYLOAD}
        review = ReviewStore(store)
        assert [e.state for e in review.explanations(site.round_id)] == ["accepted"]
        assert {r.requested_by for r in review.retests(site.round_id)} == {
            "gemeente@example.nl"}
    wait(d, lambda _: len(site.mails()) == 5, 60)
    subjects = site.mails()
    assert any(s.startswith("Resultaten meting ronde-review") for s in subjects)
    assert "Hertest van geen-hsts.nl (meting ronde-review) is klaar" in subjects
    assert "Uw formele reactie op meting ronde-review is goedgekeurd" in subjects
    assert "Uw uitleg bij geen-hsts.nl (Web HSTS) is geaccepteerd" in subjects
    assert "Meting ronde-review is definitief" in subjects
