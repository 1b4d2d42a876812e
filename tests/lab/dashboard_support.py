"""Helpers of the dashboard's browser test: a real dashboard inside the lab's scanner
namespace (``meting lab serve``, so that a round it starts reaches the lab's servers),
reachable for the browser on loopback through the command's bridge, and one headless
Chromium from Debian driven by Selenium."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

METING = str(Path(sys.executable).parent / "meting")
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-extensions",
                  "--disable-component-update", "--disable-default-apps", "--disable-sync",
                  "--no-first-run", "--window-size=1400,1000")


# Chromium's words when an element it found belongs to a document a page load replaced;
# it reports this as a plain error, not as a stale element.
NODE_GONE = "does not belong to the document"


def wait_for(driver: WebDriver, condition: Callable[[WebDriver], object],
             seconds: float = 30) -> object:
    """Until ``condition(driver)`` holds. An element that goes stale while the condition
    reads it (a click's page load replaced it) means: look again, not fail."""
    def look(current: WebDriver) -> object:
        try:
            return condition(current)
        except WebDriverException as exc:
            if isinstance(exc, StaleElementReferenceException) or NODE_GONE in (exc.msg or ""):
                return False
            raise
    return WebDriverWait(driver, seconds, poll_frequency=0.2).until(look)


def log_in(driver: WebDriver, base_url: str, email: str, password: str, own: str) -> str:
    """Sign in; the first time (a one-time password) choose ``own``. The password now valid."""
    driver.delete_all_cookies()
    driver.get(base_url + "/login")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login").click()
    wait_for(driver, lambda d: d.find_elements(By.ID, "signed-in"))
    if not driver.find_elements(By.ID, "must-change"):
        return password
    driver.find_element(By.ID, "current").send_keys(password)
    driver.find_element(By.ID, "new").send_keys(own)
    driver.find_element(By.ID, "repeat").send_keys(own)
    driver.find_element(By.ID, "change-password").click()
    wait_for(driver, lambda d: not d.find_elements(By.ID, "password-form"))
    return own


def meting(env: dict[str, str], *argv: str, lab: bool = False,
           timeout: float = 600) -> subprocess.CompletedProcess[str]:
    command = [METING, "lab", "exec", "--", METING, *argv] if lab else [METING, *argv]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)
    assert done.returncode == 0, f"{' '.join(argv)}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done


def add_account(env: dict[str, str], email: str, *options: str) -> str:
    out = meting(env, "user", "add", email, *options).stdout
    found = re.search(r"one-time password: (\S+)", out)
    assert found, out
    return found.group(1)


class Server:
    """``meting lab serve --port 0``: the dashboard in the scanner namespace, bridged to a
    free port on loopback."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.log_path = folder / "serve.log"
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen([METING, "lab", "serve", "--port", "0"], env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.url = ""
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 240  # a loaded machine starts it slowly
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log_path.read_text()
            if not self.url:
                found = re.search(r"dashboard on (http://127\.0\.0\.1:\d+)/",
                                  self.log_path.read_text())
                self.url = found.group(1) if found else ""
            with contextlib.suppress(httpx.HTTPError):
                if self.url and httpx.get(f"{self.url}/login", timeout=2).status_code == 200:
                    return
            time.sleep(0.3)
        raise AssertionError("meting lab serve did not answer within four minutes: "
                             + self.log_path.read_text()[-2000:])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def browser(downloads: Path) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={downloads.parent / 'chromium-profile'}")
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(downloads)})
    driver.set_page_load_timeout(120)
    return driver


def lab_env(database: str) -> dict[str, str]:
    return {**os.environ, "METING_DATABASE": database}
