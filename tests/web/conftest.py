"""One store and one application for the dashboard tests of a module (no lab needed)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from meting.settings import Settings
from meting.store import Store
from meting.web.app import create_app
from tests.web.dashboard_data import ACCOUNTS, Dashboard, build

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Dashboard:
    return build(tmp_path_factory.mktemp("dashboard") / "meting.db")


@pytest.fixture(scope="module")
def app(dashboard: Dashboard) -> Iterator[FastAPI]:
    with Store.open(dashboard.url) as store:
        yield create_app(store, Settings(database=dashboard.url))


def client(app: FastAPI, https: bool = False) -> TestClient:
    return TestClient(app, base_url="https://testserver" if https else "http://testserver",
                      follow_redirects=False)


def csrf_of(page_html: str) -> str:
    found = CSRF_FIELD.search(page_html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def signed_in(app: FastAPI, dashboard: Dashboard, who: str, https: bool = False) -> TestClient:
    """A client with a session of the test role ``who`` (see dashboard_data.ACCOUNTS)."""
    c = client(app, https)
    token = csrf_of(c.get("/login").text)
    answer = c.post("/login", data={"email": ACCOUNTS[who][0], "csrf": token, "next": "/",
                                    "password": dashboard.passwords[who]})
    assert answer.status_code == 303, answer.text[:500]
    return c


@pytest.fixture
def tmp_store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'meting.db'}") as store:
        yield store
