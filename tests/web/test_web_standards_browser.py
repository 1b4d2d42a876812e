"""The standards register and the monitor pages in a real browser (Debian's Chromium via
Selenium) against a real ``meting serve`` process and database. No lab: these pages never
probe, so the server runs outside the lab's namespaces, on a Unix socket."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from meting.lab.bridge import Bridge
from tests.lab.dashboard_support import (
    METING,
    add_account,
    browser,
    log_in,
    meting,
    wait_for,
)

DATA = Path(__file__).parent.parent / "unit" / "data" / "monitor"


@dataclass
class Site:
    url: str
    driver: WebDriver


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("standards-browser")
    env = {**os.environ, "METING_DATABASE": f"sqlite:///{folder / 'meting.db'}"}
    meting(env, "monitor", "import-tenders", str(DATA / "tenders.csv"))
    meting(env, "monitor", "import-facilities", str(DATA / "facilities.csv"))
    password = add_account(env, "coordinator@example.nl", "--role", "coordinator")
    socket = folder / "meting.sock"
    with (folder / "serve.log").open("w") as log:
        process = subprocess.Popen([METING, "serve", "--uds", str(socket)], env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        forwarder = Bridge(socket)
        url = f"http://127.0.0.1:{forwarder.port}"
        driver = None
        try:
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline:
                assert process.poll() is None, (folder / "serve.log").read_text()
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                        break
                time.sleep(0.3)
            (folder / "downloads").mkdir()
            driver = browser(folder / "downloads")
            log_in(driver, url, "coordinator@example.nl", password,
                   "eigen wachtwoord van de coördinator")
            yield Site(url, driver)
        finally:
            if driver is not None:
                driver.quit()
            process.terminate()
            process.wait(30)
            forwarder.close()


def test_the_register_from_the_menu(site: Site) -> None:
    site.driver.get(site.url + "/review")
    site.driver.find_element(By.LINK_TEXT, "Standaarden").click()
    wait_for(site.driver, lambda d: d.find_elements(By.ID, "agreements"))
    rows = [r.text for r in site.driver.find_elements(By.CSS_SELECTOR, "#agreements tbody tr")]
    assert any("Mail: DANE" in r and "eind 2019" in r for r in rows)
    assert len(rows) == 23  # every agreement of the register, IPv6 parts included
    site.driver.find_element(By.LINK_TEXT, "security.txt").click()
    section = site.driver.find_element(By.ID, "about-security_txt").text
    assert "Besluit OBDO" in section and "25 mei 2023" in section


def test_the_monitor_per_year(site: Site) -> None:
    site.driver.get(site.url + "/review")
    site.driver.find_element(By.LINK_TEXT, "Monitor Open Standaarden").click()
    wait_for(site.driver, lambda d: d.find_elements(By.ID, "tender-figures"))
    assert "Monitor Open Standaarden 2024" in site.driver.find_element(By.TAG_NAME, "h1").text
    assert "71% (n=7)" in site.driver.find_element(By.ID, "tender-figures").text
    assert "50% (n=4)" in site.driver.find_element(By.ID, "at-target").text
    assert site.driver.find_elements(By.CSS_SELECTOR, "main svg rect.bar")  # a drawn chart
    Select(site.driver.find_element(By.NAME, "year")).select_by_visible_text("2023")
    site.driver.find_element(By.CSS_SELECTOR, "#monitor-year button").click()
    wait_for(site.driver, lambda d: "2023" in d.find_element(By.TAG_NAME, "h1").text)
    assert "67% (n=3)" in site.driver.find_element(By.ID, "tender-figures").text
    errors = [e for e in site.driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []  # no Content-Security-Policy refusal, no script error
