"""Storing outcomes beside the event loop (``run.writer``): in order, each committed before
it counts, a failure stops the round with that failure, and a one-connection database is
written in the loop itself. Real SQLite databases, no network."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from meting.run.executor import AsyncioExecutor, Outcome
from meting.run.retry import not_testable_evidence
from meting.run.round import run_round
from meting.run.writer import ResultWriter
from meting.settings import Settings
from meting.store import PlannedTest, Store
from tests.store.helpers import entry, judged

JUDGED = judged({"dnssec": "passed"})


def planned(store: Store, domains: int) -> tuple[int, list[PlannedTest]]:
    store.import_entries([entry(f"d{n}.nl", line=n + 2, mail=False) for n in range(domains)])
    round_id = store.create_round(None, "current", "vol")
    store.plan_round(round_id)
    return round_id, store.pending_tests(round_id)


def outcome(test: PlannedTest) -> Outcome:
    return Outcome(test, not_testable_evidence(test.kind, test.target, ["reset"]), JUDGED, 1,
                   0.1)


def test_outcomes_are_stored_in_order_in_another_thread_before_they_count(
        tmp_path: Path) -> None:
    told: list[tuple[int, bool, int, str]] = []
    with Store.open(f"sqlite:///{tmp_path / 'm.db'}") as store:
        round_id, tests = planned(store, 20)
        threads: set[str] = set()
        save = store.save_result

        def recorded(*args: Any, **kwargs: Any) -> bool:
            threads.add(threading.current_thread().name)
            return save(*args, **kwargs)

        store.save_result = recorded  # type: ignore[method-assign]

        def on_stored(done: Outcome, stored: bool) -> None:
            # told in the loop's thread, after the commit: the store has it already
            told.append((done.test.test_id, stored, store.round(round_id).done,
                         threading.current_thread().name))

        async def main() -> None:
            writer = ResultWriter(store, on_stored, lambda: None)
            try:
                for test in tests + tests[:1]:  # the first one twice: stored once
                    writer.report(outcome(test))
                await writer.drain()
            finally:
                writer.close()

        asyncio.run(main())
        assert store.round(round_id).done == 20
    assert threads == {"meting-store_0"}
    assert [t[0] for t in told[:20]] == [t.test_id for t in tests]
    assert [t[1] for t in told] == [True] * 20 + [False]
    assert all(done >= n for n, (_, _, done, _) in enumerate(told, 1) if n <= 20)
    assert {t[3] for t in told} == {"MainThread"}


def test_a_failed_write_stops_the_round_with_that_failure(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'm.db'}") as store:
        round_id, _ = planned(store, 30)
        save = store.save_result
        calls = 0

        def failing(*args: Any, **kwargs: Any) -> bool:
            nonlocal calls
            calls += 1
            if calls == 4:
                raise OSError(28, "No space left on device")
            return save(*args, **kwargs)

        store.save_result = failing  # type: ignore[method-assign]

        async def perform(test: PlannedTest) -> tuple[dict[str, Any], dict[str, Any]]:
            await asyncio.sleep(0.01)
            return not_testable_evidence(test.kind, test.target, ["reset"]), JUDGED

        executor = AsyncioExecutor(Settings(concurrency=2, retries=0), None, perform=perform)
        with pytest.raises(OSError, match="No space left"):
            asyncio.run(run_round(store, round_id, executor))
        info = store.round(round_id)
        assert 3 <= info.done < 30  # the three before; none after the round stopped
        assert info.done + info.pending == 30


def test_a_database_of_one_connection_is_written_in_the_loop() -> None:
    with Store.open("sqlite://") as store:
        assert store.one_connection
        round_id, tests = planned(store, 3)
        threads: list[str] = []

        def on_stored(done: Outcome, stored: bool) -> None:
            threads.append(threading.current_thread().name)
            assert stored

        async def main() -> None:
            writer = ResultWriter(store, on_stored, lambda: None)
            for test in tests:
                writer.report(outcome(test))
                assert store.round(round_id).done == len(threads)  # stored at once
            await writer.drain()
            writer.close()

        asyncio.run(main())
        assert threads == ["MainThread"] * 3


def test_a_slow_database_holds_the_round_back_instead_of_piling_up(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("meting.run.writer.BACKLOG", 2)
    release = threading.Event()
    with Store.open(f"sqlite:///{tmp_path / 'm.db'}") as store:
        round_id, tests = planned(store, 4)
        save = store.save_result

        def slow(*args: Any, **kwargs: Any) -> bool:
            release.wait(10)
            return save(*args, **kwargs)

        store.save_result = slow  # type: ignore[method-assign]
        handed: list[int] = []

        async def main() -> None:
            writer = ResultWriter(store, lambda o, s: None, lambda: None)
            threading.Timer(0.3, release.set).start()
            for test in tests:
                writer.report(outcome(test))
                handed.append(store.round(round_id).done)
            await writer.drain()
            writer.close()

        asyncio.run(main())
        # the third report waited for a write: by then the first was stored
        assert handed[:2] == [0, 0] and handed[2] >= 1
        assert store.round(round_id).done == 4


def test_a_failure_while_telling_of_a_stored_outcome_stops_the_round(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'm.db'}") as store:
        round_id, _ = planned(store, 10)

        def on_stored(done: Outcome, stored: bool) -> None:
            raise RuntimeError("the progress bar broke")

        async def perform(test: PlannedTest) -> tuple[dict[str, Any], dict[str, Any]]:
            await asyncio.sleep(0.01)
            return not_testable_evidence(test.kind, test.target, ["reset"]), JUDGED

        executor = AsyncioExecutor(Settings(concurrency=1, retries=0), None, perform=perform)
        with pytest.raises(RuntimeError, match="progress bar"):
            asyncio.run(run_round(store, round_id, executor, on_stored))
        assert store.round(round_id).state == "running"  # stopped, not finished
