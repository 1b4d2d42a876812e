"""An account's language: a signed-in user switches the dashboard to English in headless
Chromium (a real ``meting serve``, a real database); the account keeps the choice, and the
review cycle's mails to it are then in English while another account's stay Dutch. The mails
go through the lab relay's submission port (STARTTLS and a login) into its mailbox."""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from sqlalchemy import select

from meting.lab import mailbox
from meting.store import ImportedStatuses, Store
from meting.store.web_models import User
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

ENGLISH, DUTCH = "Gemeente Zonder HSTS", "Gemeente Perfect"
TAG = uuid.uuid4().hex[:8]
READER, OTHER = f"lezer-{TAG}@geen-hsts.nl", f"collega-{TAG}@perfect.nl"
SENDER = f"taal-{TAG}@coordinatie.lab.invalid"


@dataclass
class Site:
    server: Server
    driver: WebDriver
    env: dict[str, str]
    database: str
    state: Path


@pytest.fixture(scope="module")
def site(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("account-language")
    folder.chmod(0o755)
    database = f"sqlite:///{folder / 'meting.db'}"
    state = Path(lab.info["mailbox"]).parent.parent
    env = {**lab_env(database), "METING_SMTP_HOST": lab.info["mail_relay"],
           "METING_SMTP_PORT": "587", "METING_SMTP_SECURITY": "starttls",
           "METING_SMTP_USER": lab.info["mail_relay_user"],
           "METING_SMTP_PASSWORD": mailbox.relay_password(state),
           "METING_SMTP_CA_FILE": lab.trust_store, "METING_MAIL_SENDER": SENDER}
    registry = folder / "registry.csv"
    with registry.open("w", newline="") as out:
        csv.writer(out).writerows([["organisation", "category", "domain", "umbrella", "sets"],
                                   [ENGLISH, "gemeente", "geen-hsts.nl", "", "t"],
                                   [DUTCH, "gemeente", "perfect.nl", "", "t"]])
    meting(env, "import", str(registry))
    with Store.open(database) as store:
        measured = store.create_round("t", "2021", "taal-ronde", dt.date(2026, 9, 1))
        store.import_statuses(measured, "web", [
            ImportedStatuses("geen-hsts.nl", {"dnssec": "passed", "hsts": "failed"}),
            ImportedStatuses("perfect.nl", {"dnssec": "passed", "hsts": "passed"})])
        store.set_round_state(measured, "running")
        store.set_round_state(measured, "finished")
    password = add_account(env, READER, "--role", "organisation", "--organisation", ENGLISH)
    add_account(env, OTHER, "--role", "organisation", "--organisation", DUTCH)
    server = Server(env, folder)
    driver = browser(folder / "downloads")
    try:
        log_in(driver, server.url, READER, password, f"eigen wachtwoord {TAG}")
        yield Site(server, driver, env, database, state)
    finally:
        driver.quit()
        server.stop()


def languages(database: str) -> dict[str, str]:
    with Store.open(database) as store, store.engine.connect() as connection:
        return dict(connection.execute(select(User.email, User.lang)).all())


def delivered(site: Site, address: str) -> list[EmailMessage]:
    return [m for m in mailbox.delivered(site.state, address) if m["From"] == SENDER]


def subject(message: EmailMessage) -> str:
    return " ".join(str(message["Subject"]).split())  # unfolded


def test_the_language_switch_is_kept_in_the_account_and_its_mails_follow_it(
        site: Site) -> None:
    d = site.driver
    assert languages(site.database) == {READER: "nl", OTHER: "nl"}  # the default
    d.get(site.server.url + "/")
    assert d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nl"
    d.find_element(By.ID, "language").click()
    wait_for(d, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
    assert languages(site.database) == {READER: "en", OTHER: "nl"}

    until = (dt.date.today() + dt.timedelta(days=14)).isoformat()
    opened = meting(site.env, "review", "open", "--round", "taal-ronde", "--until", until,
                    lab=True)
    assert "mails: 2 sent" in opened.stdout, opened.stdout + opened.stderr
    wait_for(d, lambda _: delivered(site, READER) and delivered(site, OTHER), 60)
    [english], [dutch] = delivered(site, READER), delivered(site, OTHER)
    assert subject(english).startswith("Results of measurement taal-ronde")
    assert english["Content-Language"] == "en"
    assert subject(dutch).startswith("Resultaten meting taal-ronde")
    assert dutch["Content-Language"] == "nl"


def test_signing_in_again_brings_back_the_accounts_language(site: Site) -> None:
    d = site.driver
    assert languages(site.database)[READER] == "en"  # chosen by the test above
    log_in(d, site.server.url, READER, f"eigen wachtwoord {TAG}", "")  # clears every cookie
    d.get(site.server.url + "/")
    assert d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert d.get_cookie("meting_lang")["value"] == "en"  # type: ignore[index]
