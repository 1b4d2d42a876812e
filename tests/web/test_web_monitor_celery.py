"""The scan monitor when the dashboard runs rounds on Celery (``dashboard_executor =
celery``): the workers are asked through a real Redis broker ("geen workers" when none
answers, the broker's problem when it does not answer), and a store that workers cannot
share is refused before any round is made. The round itself on a real worker over the lab:
tests/lab/test_dashboard_celery.py."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from meting.settings import Settings
from meting.store import Store
from tests import services
from tests.web.conftest import csrf_of, signed_in
from tests.web.dashboard_data import Dashboard


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with services.redis_server(tmp_path_factory.mktemp("redis")) as socket:
        yield f"unix://{socket}"


def celery_app(dashboard: Dashboard, broker: str) -> Iterator[FastAPI]:
    from meting.web.app import create_app

    with Store.open(dashboard.url) as store:
        yield create_app(store, Settings(database=dashboard.url, broker=broker,
                                         dashboard_executor="celery"))


def test_the_monitor_says_no_worker_answers(dashboard: Dashboard, broker: str) -> None:
    for app in celery_app(dashboard, broker):
        page = signed_in(app, dashboard, "coordinator").get("/monitor").text
        assert 'data-executor="celery"' in page
        assert 'id="no-workers"' in page and "Geen meetprocessen" in page
        assert 'id="workers"' not in page


def test_the_monitor_says_the_broker_does_not_answer(dashboard: Dashboard,
                                                     tmp_path: Path) -> None:
    for app in celery_app(dashboard, f"unix://{tmp_path / 'no-redis.sock'}"):
        page = signed_in(app, dashboard, "coordinator").get("/monitor")
        assert page.status_code == 200
        assert 'id="broker-problem"' in page.text
        assert "De berichtenserver (broker) is niet bereikbaar" in page.text


def test_a_store_the_workers_cannot_share_is_refused_before_a_round_is_made(
        dashboard: Dashboard, broker: str) -> None:
    for app in celery_app(dashboard, broker):
        before = [r.id for r in app.state.store.rounds()]
        c = signed_in(app, dashboard, "coordinator")
        answer = c.post("/monitor/start", data={"set_name": "kern", "label": "gedeeld",
                                                "csrf": csrf_of(c.get("/monitor").text)})
        assert answer.status_code == 409
        assert "needs a database every worker shares" in answer.text
        assert [r.id for r in app.state.store.rounds()] == before


def test_without_the_setting_rounds_run_here_and_no_worker_is_asked(app: FastAPI,
                                                                    dashboard: Dashboard) -> None:
    settings: Settings = app.state.settings
    assert settings.dashboard_executor == "local"
    page = signed_in(app, dashboard, "coordinator").get("/monitor").text
    assert 'data-executor="local"' in page and 'id="no-workers"' not in page
    assert not hasattr(app.state, "workers")


def test_an_unknown_executor_is_refused_with_one_line(dashboard: Dashboard,
                                                      broker: str) -> None:
    from meting.web.app import create_app

    with Store.open(dashboard.url) as store:
        app = create_app(store, Settings(database=dashboard.url, dashboard_executor="kafka"))
        c = signed_in(app, dashboard, "coordinator")
        answer = c.post("/monitor/start", data={"set_name": "kern",
                                                "csrf": csrf_of(c.get("/monitor").text)})
        assert answer.status_code == 409
        assert "unknown dashboard_executor 'kafka': one of local, celery" in \
            html.unescape(answer.text)
