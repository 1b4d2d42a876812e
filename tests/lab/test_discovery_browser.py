"""The candidates page in a real browser against a real ``meting serve``: the coordinator
sees what discovery found, accepts one name into the registry and ignores another; an
organisation's user has no way to the page."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.expected_conditions import staleness_of

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

LIST = """organisation,category,domain,web_host,mail,umbrella,sets
Gemeente Ontdekdorp,gemeente,perfect.nl,,yes,,kern
Provincie Elders,provincie,gedeeld-a.nl,,yes,,kern
"""
NAMES = ["loket.perfect.nl", "oud.perfect.nl", "mijn.gedeeld-a.nl"]


@pytest.fixture(scope="module")
def served(lab: Lab, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[Server, WebDriver, dict[str, str], dict[str, str]]]:
    folder = tmp_path_factory.mktemp("candidates")
    env = lab_env(f"sqlite:///{folder / 'meting.db'}")
    (folder / "list.csv").write_text(LIST)
    meting(env, "import", str(folder / "list.csv"))
    export = folder / "crtsh.json"
    export.write_text(json.dumps([{"id": 5, "name_value": "\n".join(NAMES)}]))
    meting(env, "discover", "--sources", "ct", "--ct-file", str(export))
    emails = {"coordinator": "coordinator@example.nl", "organisation": "gemeente@example.nl"}
    passwords = {
        "coordinator": add_account(env, emails["coordinator"], "--role", "coordinator"),
        "organisation": add_account(env, emails["organisation"], "--role", "organisation",
                                    "--organisation", "Gemeente Ontdekdorp"),
    }
    server = Server(env, folder)
    downloads = folder / "downloads"
    downloads.mkdir()
    driver = browser(downloads)
    try:
        yield server, driver, emails, passwords
    finally:
        driver.quit()
        server.stop()


def rows(driver: WebDriver) -> dict[str, str]:
    """Name -> state cell of the candidates table."""
    return {r.get_attribute("data-name") or "": r.find_elements(By.TAG_NAME, "td")[-1].text
            for r in driver.find_elements(By.CSS_SELECTOR, "#candidates tbody tr")}


def refused(driver: WebDriver, names: list[str], organisation: str) -> str:
    """Try to accept ``names`` for ``organisation``; the reason the page gives."""
    for name in names:
        driver.find_element(By.CSS_SELECTOR, f'input[value="{name}"]').click()
    driver.find_element(By.NAME, "organisation").send_keys(organisation)
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.ID, "accept").click()
    problem = wait_for(driver, lambda d: staleness_of(page)(d) and d.find_elements(By.ID,
                                                                                  "problem"))
    assert isinstance(problem, list)
    return str(problem[0].text)


def test_coordinator_accepts_and_ignores_in_the_browser(
        served: tuple[Server, WebDriver, dict[str, str], dict[str, str]]) -> None:
    server, driver, emails, passwords = served
    log_in(driver, server.url, emails["coordinator"], passwords["coordinator"],
           "eigen wachtwoord van de coordinator")
    driver.find_element(By.LINK_TEXT, "Gevonden namen").click()
    wait_for(driver, lambda d: d.find_elements(By.ID, "candidates"))
    assert rows(driver) == dict.fromkeys(NAMES, "nieuw")
    # a refusal shows discovery's own reason, in the viewer's language
    assert refused(driver, [], "") == "Kies eerst een of meer namen."
    assert refused(driver, ["mijn.gedeeld-a.nl"], "Bestaat Niet") == (
        "geen organisatie 'Bestaat Niet' in het register")
    driver.get(server.url + "/candidates")
    driver.find_element(By.ID, "language").click()
    wait_for(driver, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
    assert refused(driver, ["mijn.gedeeld-a.nl"], "Bestaat Niet") == (
        "no organisation 'Bestaat Niet' in the registry")
    driver.get(server.url + "/candidates")
    driver.find_element(By.ID, "language").click()
    wait_for(driver, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nl")
    assert rows(driver) == dict.fromkeys(NAMES, "nieuw")  # nothing changed
    driver.find_element(By.CSS_SELECTOR, 'input[value="loket.perfect.nl"]').click()
    driver.find_element(By.ID, "accept").click()
    decided = wait_for(driver, lambda d: d.find_elements(By.ID, "decided"))
    assert isinstance(decided, list) and "1 namen opgenomen" in decided[0].text
    assert rows(driver) == {"loket.perfect.nl": "opgenomen"}
    driver.get(server.url + "/candidates")
    driver.find_element(By.CSS_SELECTOR, 'input[value="oud.perfect.nl"]').click()
    driver.find_element(By.ID, "ignore").click()
    wait_for(driver, lambda d: d.find_elements(By.ID, "decided"))
    assert rows(driver) == {"oud.perfect.nl": "genegeerd"}
    driver.get(server.url + "/registry?q=perfect.nl")
    registry = driver.find_element(By.ID, "registry-entries").text
    assert "loket.perfect.nl" in registry and "oud.perfect.nl" not in registry

    log_in(driver, server.url, emails["organisation"], passwords["organisation"],
           "eigen wachtwoord van de gemeente")
    assert not driver.find_elements(By.LINK_TEXT, "Gevonden namen")
    driver.get(server.url + "/candidates")
    assert not driver.find_elements(By.ID, "candidates")
