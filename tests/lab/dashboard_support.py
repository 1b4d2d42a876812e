"""Helpers of the dashboard's browser test: a real ``meting serve`` process inside the lab's
scanner namespace (so that a round it starts reaches the lab's servers), listening on a Unix
socket, made reachable for the browser on loopback by a small TCP forwarder, and one headless
Chromium from Debian driven by Selenium."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys
import threading
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


class Forwarder:
    """TCP on 127.0.0.1 (an ephemeral port) to a Unix socket, in a thread of its own."""

    def __init__(self, socket_path: Path) -> None:
        self.socket_path = str(socket_path)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        assert self._ready.wait(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._pipe, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            back_reader, back_writer = await asyncio.open_unix_connection(self.socket_path)
        except OSError:
            writer.close()
            return

        async def copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            with contextlib.suppress(OSError, RuntimeError):
                sink.close()

        await asyncio.gather(copy(reader, back_writer), copy(back_reader, writer))

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


class Server:
    """``meting lab exec -- meting serve --uds PATH`` and its forwarder."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.socket = folder / "meting.sock"
        self.log = (folder / "serve.log").open("w")
        self.process = subprocess.Popen(
            [METING, "lab", "exec", "--", METING, "serve", "--uds", str(self.socket)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.forwarder = Forwarder(self.socket)
        self.url = f"http://127.0.0.1:{self.forwarder.port}"
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 240  # a loaded machine starts it slowly
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.socket.parent / "serve.log").read_text()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/login", timeout=2).status_code == 200:
                    return
            time.sleep(0.3)
        raise AssertionError("meting serve did not answer within four minutes: "
                             + (self.socket.parent / "serve.log").read_text()[-2000:])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.forwarder.close()
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
