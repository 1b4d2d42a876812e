"""A round on Celery workers (`meting run --executor celery`), and watching any round.

The runner sends one message per pending test to the broker and then watches the
shared store: the workers store every outcome themselves, and each test that turns up
done is reported once (the progress bar and counts work as in-process). The store, not
a Celery result backend, is the truth: a round is done when its tests are stored, by
whichever worker, however often a test had to be handed out again.

Stopping the runner (Ctrl-C) withdraws its run token, so the workers skip the messages
still queued; tests already running finish and are stored. Killing the runner leaves
the token, and the workers carry on with the round; ``meting run --round ID`` later
sends the still-pending tests under a new token (the old messages are then skipped).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import kombu.exceptions
import redis
import redis.exceptions
from celery import Celery
from rich.console import Console

from meting.run.celery_app import (
    DistributedError,
    check_shared,
    make_app,
    retest_key,
    run_key,
    send_tests,
)
from meting.run.console import RoundProgress, counts_text, status_counts, summary_table
from meting.run.executor import Outcome, Report
from meting.run.requests import CommandError, checked_settings
from meting.run.round import Part, run_to_end
from meting.run.shared_limiter import redis_url
from meting.settings import Settings
from meting.store import PlannedTest, RoundInfo, Store, StoredResult, StoreError

POLL = 0.5  # seconds between looks at the store, at least
POLL_COST = 10  # ... and at least this many times what one look took

# Withdraw a run token only if it is still ours (a newer run may have taken over).
WITHDRAW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class CeleryExecutor:
    """Every test on Celery workers; outcomes watched in the shared store."""

    name = "celery"

    def __init__(self, settings: Settings, store: Store, round_id: int,
                 app: Celery | None = None, poll: float = POLL) -> None:
        check_shared(settings)
        self.settings = settings
        self.store = store
        self.round_id = round_id
        self.app = app or make_app(settings)
        self.tokens = redis.Redis.from_url(redis_url(settings.broker), decode_responses=True)
        self.poll = poll

    def workers(self, timeout: float = 2.0) -> list[str]:
        """Names of the workers that answer a ping now."""
        answers = self.app.control.ping(timeout=timeout) or []
        return sorted(name for answer in answers for name in answer)

    async def run(self, tests: Sequence[PlannedTest], report: Report,
                  spare: Sequence[PlannedTest] = ()) -> None:
        if not tests:
            return
        run = uuid.uuid4().hex
        self.tokens.set(run_key(self.round_id), run)
        try:
            await asyncio.to_thread(self._send, tests, run)
            await self._watch(tests, report)
        finally:
            self.tokens.eval(WITHDRAW, 1, run_key(self.round_id), run)

    def _send(self, tests: Sequence[PlannedTest], run: str) -> None:
        send_tests(self.app, tests, self.round_id, self.settings.norm, run)

    async def _watch(self, tests: Sequence[PlannedTest], report: Report) -> None:
        waiting = {t.test_id: t for t in tests}
        while waiting:
            started = time.monotonic()
            done = await asyncio.to_thread(self._done, waiting)
            for test_id, result in done.items():
                report(stored_outcome(waiting.pop(test_id), result))
            if waiting:
                spent = time.monotonic() - started
                await asyncio.sleep(max(self.poll, POLL_COST * spent))

    def _done(self, waiting: dict[int, PlannedTest]) -> dict[int, StoredResult]:
        return {r.test_id: r for r in self.store.results(self.round_id) if r.test_id in waiting}


class CeleryRetests:
    """Re-tests on Celery workers: the same task, politeness limits and retries as a round's
    tests; each worker stores its re-test itself, and `finished` (the ids of the given
    re-tests that are stored) tells when they are in."""

    name = "celery"

    def __init__(self, settings: Settings, round_id: int,
                 finished: Callable[[Sequence[int]], set[int]], poll: float = POLL) -> None:
        check_shared(settings)
        self.settings = settings
        self.round_id = round_id
        self.finished = finished
        self.app = make_app(settings)
        self.tokens = redis.Redis.from_url(redis_url(settings.broker), decode_responses=True)
        self.poll = poll

    async def run(self, tests: Sequence[PlannedTest], report: Report,
                  spare: Sequence[PlannedTest] = ()) -> None:
        if not tests:
            return
        run = uuid.uuid4().hex
        self.tokens.set(retest_key(run), run)
        try:
            await asyncio.to_thread(send_tests, self.app, tests, self.round_id,
                                    self.settings.norm, run, True)
            waiting = {t.test_id: t for t in tests}
            while waiting:
                done = await asyncio.to_thread(self.finished, list(waiting))
                for test_id in sorted(done & set(waiting)):
                    report(Outcome(waiting.pop(test_id), {}, {}, attempts=0, seconds=0.0,
                                   saved=True))
                if waiting:
                    await asyncio.sleep(self.poll)
        finally:
            self.tokens.delete(retest_key(run))


def stored_outcome(test: PlannedTest, result: StoredResult) -> Outcome:
    """A test a worker stored, as an outcome to report (statuses only; not stored again)."""
    judged = {"columns": {c: {"status": s} for c, s in result.columns.items()},
              "subtests": {n: {"status": s} for n, s in result.subtests.items()}}
    every_column_not_testable = set(result.columns.values()) == {"not_testable"}
    evidence: dict[str, Any] = {"not_testable": {}} \
        if every_column_not_testable and not result.subtests else {}
    return Outcome(test, evidence, judged, attempts=0, seconds=0.0, saved=True)


def watch(console: Console, store: Store, round_id: int, every: float = 1.0) -> RoundInfo:
    """Show a round's progress from the store until every test is done; Ctrl-C stops watching.

    Works from any machine that reaches the store, whoever runs the round.
    """
    info = store.round(round_id)
    try:
        progress = RoundProgress(console, info)
        with progress.shown():
            while info.pending > 0:
                time.sleep(every)
                info = store.round(round_id)
                progress.progress.update(progress.task, completed=info.done,
                                         label=f"{info.label} ({info.state})",
                                         counts=counts_text(status_counts(info)))
    except KeyboardInterrupt:
        console.print(f"stopped watching round {info.label}; the round itself goes on "
                      f"({info.state}, {info.done} of {info.planned} tests done)")
    return info


def check_cluster(settings: Settings) -> None:
    """Before a round is made: the store must be shared (CommandError if not)."""
    try:
        check_shared(settings)
    except DistributedError as exc:
        raise CommandError(str(exc)) from exc


def execute_distributed(store: Store, console: Console, info: RoundInfo, settings: Settings,
                        part: Part) -> RoundInfo:
    """`meting run --executor celery`: the round's pending tests on the workers."""
    try:
        executor = CeleryExecutor(settings, store, info.id)
        workers = executor.workers()
        console.print(f"{len(workers)} worker(s) answer on {settings.broker}"
                      + ("" if workers else "; tests wait in the queue until one starts "
                         "(meting worker)"))
        progress = RoundProgress(console, info)
        with progress.shown():
            done = run_to_end(store, info.id, executor, progress.stored, part)
    except DistributedError as exc:
        raise CommandError(str(exc)) from exc
    except (kombu.exceptions.OperationalError, redis.exceptions.ConnectionError) as exc:
        raise CommandError(f"the broker {settings.broker} cannot be reached ({exc}); start "
                           f"it or set METING_BROKER, then continue with: meting run "
                           f"--round {info.id} --executor celery") from exc
    console.print(f"round {done.label}: {progress.new} tests run now on the workers; "
                  f"{done.done} of {done.planned} done, {done.state}")
    return done


def watch_round(console: Console, round_id: int, overrides: dict[str, Any]) -> int:
    """`meting run --round ID --watch`: the round's progress until it is done; exit code."""
    settings = checked_settings(overrides)
    with Store.open(settings.database) as store:
        try:
            info = watch(console, store, round_id)
        except StoreError as exc:
            raise CommandError(str(exc)) from exc
    console.print(summary_table(info))
    return 0
