"""A runner that loses its database in the middle of a round: the disk fills (SQLite on a
small tmpfs), or PostgreSQL stops. The round is marked interrupted when the database still
takes it, or stays running and is shown as abandoned; nothing stored is lost, nothing is
half-stored, and the round continues once the database works again."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from meting.cli_store import round_record
from meting.errors import OperationError
from meting.run.executor import AsyncioExecutor
from meting.run.retry import not_testable_evidence
from meting.run.round import run_to_end
from meting.settings import Settings
from meting.store import PlannedTest, Store
from tests import services
from tests.store.helpers import entry, judged

DOMAINS = 60
JUDGED = judged({"dnssec": "passed"})


def executor(before_each: Callable[[int], None] = lambda n: None) -> AsyncioExecutor:
    """Tests that need no network: each gives valid, incompressible evidence of 32 KB."""
    done = 0

    async def perform(test: PlannedTest) -> tuple[dict[str, Any], dict[str, Any]]:
        nonlocal done
        done += 1
        before_each(done)
        return not_testable_evidence(test.kind, test.target, [noise()]), JUDGED

    settings = Settings(concurrency=1, retries=0)
    return AsyncioExecutor(settings, None, perform=perform)


def noise() -> str:
    return os.urandom(16_384).hex()


def planned_round(url: str) -> int:
    with Store.open(url) as store:
        store.import_entries([entry(f"d{n}.nl", line=n + 2, mail=False)
                              for n in range(DOMAINS)])
        round_id = store.create_round(None, "current", "vol")
        store.plan_round(round_id)
    return round_id


def consistent(store: Store, round_id: int) -> int:
    """Done tests, each with its evidence (nothing half-stored)."""
    done = list(store.results(round_id, with_evidence=True))
    assert all(r.evidence is not None
               and len(r.evidence["not_testable"]["attempts"][0]) == 32_768 for r in done)
    return len(done)


def stored_at_least(url: str, round_id: int, count: int) -> None:
    """Wait (a minute at most) until ``count`` results of the round are stored."""
    deadline = time.monotonic() + 60
    while True:
        with Store.open(url, create=False) as store:
            if store.round(round_id).done >= count:
                return
        assert time.monotonic() < deadline, f"{count} results were not stored in a minute"
        time.sleep(0.05)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1200k", "tmpfs", str(disk)],
                   check=True)
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_full_disk_interrupts_the_round_and_it_resumes(small_disk: Path) -> None:
    url = f"sqlite:///{small_disk / 'meting.db'}"
    round_id = planned_round(url)
    with Store.open(url) as store:
        with pytest.raises(OperationError) as stopped:
            run_to_end(store, round_id, executor())
        info = store.round(round_id)
        stored = consistent(store, round_id)
    message = str(stopped.value)
    assert f"round {round_id} stopped: the disk holding the database is full" in message
    assert f"continue it with meting run --round {round_id}" in message
    assert 0 < stored < DOMAINS and info.done == stored
    assert info.state in ("interrupted", "running")
    if info.state == "running":
        assert "left marked running" in message
    else:
        assert "marked interrupted" in message
    subprocess.run(["mount", "-o", "remount,size=8m", str(small_disk)], check=True)
    with Store.open(url) as store:
        finished = run_to_end(store, round_id, executor())
        assert finished.state == "finished"
        assert consistent(store, round_id) == DOMAINS


def test_postgresql_stopping_leaves_the_round_abandoned_and_resumable() -> None:
    with services.postgres_server() as socket_dir:
        url = services.postgres_database(socket_dir, "meting_lost")
        round_id = planned_round(url)
        data = socket_dir / "data"
        bindir = services._pg_bindir()

        def pg_ctl(*args: str) -> None:
            subprocess.run(services._as_server_user([str(bindir / "pg_ctl"), "-D", str(data),
                                                     "-w", *args]), check=True,
                           capture_output=True)

        def stop_after_five(n: int) -> None:
            if n == 6:  # results are stored beside the tests (run.writer): wait for five
                stored_at_least(url, round_id, 5)
                pg_ctl("-m", "immediate", "stop")

        with Store.open(url) as store, pytest.raises(OperationError) as stopped:
            run_to_end(store, round_id, executor(stop_after_five))
        message = str(stopped.value)
        assert f"round {round_id} stopped: cannot reach the database" in message \
            or f"round {round_id} stopped: the database failed" in message
        assert "left marked running; `meting rounds` shows it as abandoned" in message
        pg_ctl("-l", str(socket_dir / "log"), "-o",
               f"-p {services.PG_PORT} -k {socket_dir} -c listen_addresses=''", "start")
        with Store.open(url) as store:
            info = store.round(round_id)
            assert (info.state, info.done) == ("running", consistent(store, round_id))
            assert 5 <= info.done < DOMAINS
            later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
            shown = round_record(info, store.last_results().get(round_id), later, 900)
            assert shown["abandoned"] is True
            assert round_record(info, store.last_results().get(round_id),
                                dt.datetime.now(dt.UTC), 900)["abandoned"] is False
            finished = run_to_end(store, round_id, executor())
            assert finished.state == "finished"
            assert consistent(store, round_id) == DOMAINS
