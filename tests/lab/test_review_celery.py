"""Scheduled rounds and re-tests on Celery: a real Redis broker, a real PostgreSQL, one
`meting worker` in the lab's scanner namespace.

`meting scheduler` and `meting retest` run in the root namespace, which reaches the broker
and the store (Unix sockets) but none of the lab's servers: a result they store can only
have come from the worker, and the worker's log names each test and re-test it ran.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from meting.registry.lists import read_list
from meting.store import Store
from meting.store.review import ReviewStore
from meting.store.review_models import Schedule
from tests.lab.conftest import Lab
from tests.lab.test_distributed import Cluster, finish, start_worker, wait_ready
from tests.lab.test_review_cycle import GEMEENTE, REGISTRY
from tests.services import postgres_database, postgres_server, redis_server

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def cluster(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    base = tmp_path_factory.mktemp("review-celery")
    os.chmod(base, 0o755)
    listed = base / "registry.csv"
    with listed.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["organisation", "category", "domain", "umbrella", "sets"])
        writer.writerows([[org, cat, dom, umb, "review"] for org, cat, dom, umb in REGISTRY])
    with redis_server(base) as socket, postgres_server() as pg:
        database = postgres_database(pg, "meting_review_celery")
        entries = read_list(listed)
        assert entries.ok, entries.errors
        with Store.open(database) as store:
            store.import_entries(entries.entries)
        found = Cluster(lab, database, f"unix://{socket}", base, [])
        try:
            found.workers.append(start_worker(found, 0))
            wait_ready(found, 0)
            yield found
        finally:
            for worker in found.workers:
                worker.terminate()
                worker.wait(timeout=120)


def started(log: str, what: str) -> set[int]:
    """Ids of the tests (`test`) or re-tests (`re-test`) the worker's log says it started."""
    return {int(n) for n in re.findall(rf"(?<![\w-]){what} (\d+) started", log)}


@pytest.fixture(scope="module")
def scheduled(cluster: Cluster) -> int:
    """A monthly schedule missed while the scheduler was down; one pass on Celery."""
    added = cluster.outside("schedule", "add", "--set", "review", "--every", "monthly",
                            "--label-pattern", "celery-%Y-%m")
    code, out = finish(added)
    assert code == 0, out
    with Store.open(cluster.database) as store, store.engine.begin() as connection:
        connection.execute(update(Schedule).values(
            created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=100)))
    code, out = finish(cluster.outside("scheduler", "--once", "--executor", "celery"))
    assert code == 0, out[-3000:]
    with Store.open(cluster.database) as store:
        [info] = store.rounds()
    return info.id


def test_a_due_schedule_runs_its_round_on_the_workers(cluster: Cluster,
                                                      scheduled: int) -> None:
    with Store.open(cluster.database) as store:
        info = store.round(scheduled)
        results = {(r.domain, r.kind): r for r in store.results(scheduled)}
    assert info.label.startswith("celery-") and info.state == "finished"
    assert info.done == info.planned == 6
    assert {r.test_id for r in results.values()} <= started(cluster.log(0), "test")
    assert results[("geen-hsts.nl", "web")].columns["hsts"] == "failed"
    assert results[("perfect.nl", "web")].columns["hsts"] == "passed"


def test_a_retest_asked_for_runs_on_the_workers(cluster: Cluster, scheduled: int) -> None:
    with Store.open(cluster.database) as store:
        label = store.round(scheduled).label
        original = next(r for r in store.results(scheduled, "web")
                        if r.domain == "geen-hsts.nl")
    until = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    code, out = finish(cluster.outside("review", "open", "--round", label, "--until", until))
    assert code == 0, out
    asked = cluster.outside("retest", "geen-hsts.nl", "--round", label, "--kind", "web",
                            "--by", GEMEENTE, "--executor", "celery")
    code, out = finish(asked)
    assert code == 0, out[-3000:]
    with Store.open(cluster.database) as store:
        [retest] = ReviewStore(store).retests(scheduled)
    assert (retest.domain, retest.kind, retest.requested_by) == ("geen-hsts.nl", "web",
                                                                 GEMEENTE)
    assert retest.id in started(cluster.log(0), "re-test")
    # the same server, unchanged since the round: the same statuses, now from a re-test
    assert retest.columns == original.columns and retest.columns["hsts"] == "failed"
    assert "1 re-tests of geen-hsts.nl stored" in out


def test_celery_refuses_a_store_the_workers_cannot_share(cluster: Cluster,
                                                         tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("METING_")}
    env |= {**cluster.env(scanner=False), "METING_DATABASE": f"sqlite:///{tmp_path}/x.db",
            "METING_REVIEW_EXECUTOR": "celery"}
    done = subprocess.run([sys.executable, "-m", "meting.cli", "scheduler", "--once"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert "needs a database every worker shares" in done.stderr
    assert "Traceback" not in done.stderr
