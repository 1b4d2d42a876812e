"""The Celery side of a distributed round: the app, the test task, and `meting worker`.

A worker process runs tests in one event loop of its own (a thread beside Celery's
threads); each Celery thread hands it one test and waits. The test runs exactly as in
the in-process executor (same retries, budget and judging, through ``AsyncioExecutor``),
but with the politeness limits kept in Redis so they hold across every worker, and the
worker stores the outcome itself in the shared store (``Store.save_result`` takes one
result per test, so a test run twice is stored once).

Nothing is lost when a worker dies: a message is acknowledged only after its result is
stored (``acks_late``), a worker process lost mid-test gives its message back
(``task_reject_on_worker_lost``), and a whole machine that dies never acknowledges, so
the broker hands the message to another worker once the visibility timeout passes —
set longer than any test can take, retries included, so a live test is never handed
out twice.

Workers keep the order by address of one process (``meting.run.dispatch``) between
them: a round's test runs only when each of its server addresses has fewer than
``dispatch.cap`` tests in flight across the workers (places in Redis); otherwise the
worker hands the message back to the end of the queue and takes the next.

Each message carries the *run token* of the ``meting run`` that sent it; the runner
keeps the token of its round in Redis while it runs. A worker skips a message whose
token is no longer the round's: the round was stopped (Ctrl-C) or is being run again
by a newer ``meting run``, which has sent its own messages for every pending test.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import threading
import time
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

import redis
import redis.asyncio
from celery import Celery
from celery.exceptions import Reject

from meting.run.dispatch import cap
from meting.run.executor import AsyncioExecutor, Outcome, Ready
from meting.run.retry import Backoff
from meting.run.shared_limiter import (
    MARGIN,
    SharedAddressLimiter,
    SharedLimiter,
    SharedPlaces,
    redis_url,
)
from meting.settings import Settings
from meting.store import PlannedTest, Store, StoreError
from meting.tester import routing_data

TASK = "meting.run_test"
QUEUE = "meting"
RESTORE_MARGIN = 15.0  # seconds beyond the longest a test can take
STORE_PAUSE = 5.0  # seconds before a message is given back after the store failed
HAND_BACK_AFTER = 2.0  # seconds a worker waits for room at a test's addresses, at most

log = logging.getLogger("meting.worker")
T = TypeVar("T")


class DistributedError(Exception):
    """A distributed round cannot run as configured; the message says what to change."""


LIMITER_CONNECTIONS = 100  # Redis connections of one worker's politeness limiters


def run_key(round_id: int) -> str:
    """The Redis key holding the run token of a round being run."""
    return f"meting:round:{round_id}:run"


def retest_key(run: str) -> str:
    """The Redis key that holds the token of one request's re-tests while it waits for them
    (each request its own: two organisations' re-tests in one round never cancel each
    other, and a round being run is not touched)."""
    return f"meting:retests:{run}:run"


def celery_url(broker: str) -> str:
    """Celery's spelling of a broker URL (a Unix socket is ``redis+socket://PATH``)."""
    if broker.startswith("unix://"):
        return "redis+socket://" + broker.removeprefix("unix://")
    return broker


def visibility_timeout(settings: Settings) -> float:
    """Longer than a test can take with all its retries: only a lost test is handed out again."""
    backoff = Backoff(settings.retries, settings.retry_backoff)
    waits = sum(backoff.delay(n) or 0.0 for n in range(1, settings.retries + 1))
    return (settings.retries + 1) * settings.test_budget + waits + RESTORE_MARGIN


def check_shared(settings: Settings) -> None:
    """Refuse a store that other machines cannot share."""
    if settings.database.startswith("sqlite"):
        raise DistributedError(
            f"the celery executor needs a database every worker shares (PostgreSQL, e.g. "
            f"METING_DATABASE=postgresql+psycopg://meting@dbhost/meting), not "
            f"{settings.database}")


def make_app(settings: Settings) -> Celery:
    """The Celery app of a broker, with the test task registered."""
    app = Celery("meting", broker=celery_url(settings.broker), set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        # Scan for the messages of dead workers every restore interval (10 s), not every
        # tenth one as kombu does by default.
        broker_transport_options={"visibility_timeout": visibility_timeout(settings),
                                  "unacked_restore_throttle": 1},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    runtimes = _Runtimes(settings)

    @app.task(name=TASK, bind=False)  # type: ignore[untyped-decorator]
    def run_test(test_id: int, domain: str, kind: str, target: str, round_id: int,
                 norm: str, run: str, retest: bool = False) -> str:
        return runtimes.get().handle(PlannedTest(test_id, domain, kind, target), round_id,
                                     norm, run, retest)

    return app


class _Runtimes:
    """One ``WorkerRuntime`` per worker process, made at the first test it gets."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lock = threading.Lock()
        self.runtime: WorkerRuntime | None = None

    def get(self) -> WorkerRuntime:
        with self.lock:
            if self.runtime is None:
                self.runtime = WorkerRuntime(self.settings)
            return self.runtime


class WorkerRuntime:
    """A worker's event loop, store, shared limiters and executors (one per norm)."""

    def __init__(self, settings: Settings) -> None:
        check_shared(settings)
        self.settings = settings
        self.store = Store.open(settings.database)
        self.tokens = redis.Redis.from_url(redis_url(settings.broker), decode_responses=True)
        # A blocking pool: the slots of all tests in flight are asked for at once (a host
        # with many addresses alone asks for dozens); redis-py's plain pool raises "Too many
        # connections" past its 100, which ended such a test not_testable.
        self.limits = redis.asyncio.Redis(connection_pool=redis.asyncio.BlockingConnectionPool
                                          .from_url(redis_url(settings.broker),
                                                    max_connections=LIMITER_CONNECTIONS,
                                                    timeout=None))
        # Tests in flight per address across all workers, as ``dispatch.cap`` allows in
        # one process; a place is held for the whole test, so its lease outlives one.
        self.places = SharedPlaces(self.limits, cap(settings.per_address),
                                   visibility_timeout(settings))
        self.routing = routing_data(settings)
        self.executors: dict[tuple[str, bool], AsyncioExecutor] = {}
        self.executors_lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="meting-tests", daemon=True).start()

    def executor(self, norm: str, retest: bool = False) -> AsyncioExecutor:
        """The executor of a norm's tests; re-tests have their own, which shares no scans
        (a re-test measures the server as it is now)."""
        with self.executors_lock:
            found = self.executors.get((norm, retest))
            if found is None:
                settings = dataclasses.replace(self.settings, norm=norm)
                found = AsyncioExecutor(settings, self.routing, share_scans=not retest)
                ttl = settings.test_budget + MARGIN
                found.addresses = SharedAddressLimiter(self.limits, settings.per_address, ttl)
                found.domains = SharedLimiter(self.limits, settings.per_address, ttl, "domain")
                self.executors[(norm, retest)] = found
            return found

    def outcome(self, test: PlannedTest | Ready, norm: str, retest: bool = False) -> Outcome:
        """Run one test in the worker's loop (retries included); its outcome."""
        outcomes: list[Outcome] = []
        executor = self.executor(norm, retest)
        asyncio.run_coroutine_threadsafe(executor.run([test], outcomes.append),
                                         self.loop).result()
        return outcomes[0]

    def handle(self, test: PlannedTest, round_id: int, norm: str, run: str,
               retest: bool = False) -> str:
        """One message: run the test (a round's, or a re-test) unless its run is over, store
        the outcome."""
        what = "re-test" if retest else "test"
        if self.tokens.get(retest_key(run) if retest else run_key(round_id)) != run:
            log.info("%s %s of round %s skipped: its run is over", what, test.test_id, round_id)
            return "skipped"
        if retest:
            _started(what, test, round_id)
            outcome = self.outcome(test, norm, True)
        else:
            outcome = self.in_turn(test, norm, round_id)
        try:
            stored = self._save(test, outcome, retest)
        except StoreError as exc:  # not this store's test: a worker on the wrong database
            log.error("test %s not stored: %s (is METING_DATABASE the runner's?)",
                      test.test_id, exc)
            raise Reject(str(exc), requeue=False) from exc
        except Exception as exc:  # the database is away: give the test back, try later
            log.error("test %s not stored, given back: %s", test.test_id, exc)
            time.sleep(STORE_PAUSE)
            raise Reject(str(exc), requeue=True) from exc
        log.info("%s %s %s in %.1f s (round %s)", what, test.test_id,
                 "stored" if stored else "already stored", outcome.seconds, round_id)
        return "stored" if stored else "duplicate"

    def in_turn(self, test: PlannedTest, norm: str, round_id: int) -> Outcome:
        """A round's test, run once its server addresses have room for it: fewer than
        ``dispatch.cap`` tests of each in flight across the workers. A worker that finds
        no room within ``HAND_BACK_AFTER`` hands the message back to the end of the queue
        and takes the next, so the tests of a busy hosting address never fill every
        worker's places while other servers' tests wait. (Re-tests are not ordered: they
        are few, and someone waits for them.)"""
        ready = self._run(self.executor(norm).ready(test))
        lease = self._run(self._room(ready.addresses))
        if lease is None:
            log.info("test %s handed back: no room at %s (%s tests of an address in flight "
                     "at most; round %s)", test.test_id, ", ".join(ready.addresses),
                     self.places.limit, round_id)
            raise Reject("its server addresses have no room", requeue=True)
        _started("test", test, round_id)
        try:
            return self.outcome(ready, norm)
        finally:
            self._run(self.places.give_back(ready.addresses, lease))

    async def _room(self, addresses: Sequence[str]) -> str | None:
        """A lease on a place at every address, waiting ``HAND_BACK_AFTER`` at most."""
        deadline = time.monotonic() + HAND_BACK_AFTER
        pause = 0.05
        while (lease := await self.places.take(addresses)) is None:
            if time.monotonic() + pause > deadline:
                return None
            await asyncio.sleep(pause)
            pause = min(0.5, pause * 2)
        return lease

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        """``work`` in the worker's event loop; its result here."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result()

    def _save(self, test: PlannedTest, outcome: Outcome, retest: bool) -> bool:
        if retest:
            from meting.store.review import ReviewStore

            return ReviewStore(self.store).save_retest(test.test_id, outcome.evidence,
                                                       outcome.judged, outcome.attempts)
        return self.store.save_result(test.test_id, outcome.evidence, outcome.judged,
                                      attempts=outcome.attempts)


def _started(what: str, test: PlannedTest, round_id: int) -> None:
    log.info("%s %s started: %s %s (round %s)", what, test.test_id, test.kind, test.target,
             round_id)


def worker_argv(concurrency: int, loglevel: str = "INFO") -> list[str]:
    return ["worker", "--pool=threads", f"--concurrency={concurrency}",
            f"--loglevel={loglevel}", f"--hostname=meting-{os.getpid()}@%h", f"--queues={QUEUE}",
            "--without-gossip", "--without-mingle"]


def run_worker(settings: Settings, concurrency: int | None = None) -> None:
    """`meting worker`: take tests from the broker until stopped (Ctrl-C: warm shutdown)."""
    check_shared(settings)
    logging.getLogger("meting").setLevel(logging.INFO)
    app = make_app(settings)
    app.worker_main(worker_argv(concurrency or settings.concurrency))


def send_tests(app: Celery, tests: Sequence[PlannedTest], round_id: int, norm: str,
               run: str, retest: bool = False) -> None:
    """One message per test (or re-test), all through one producer."""
    with app.producer_or_acquire() as producer:
        for test in tests:
            kwargs: dict[str, Any] = {"test_id": test.test_id, "domain": test.domain,
                                      "kind": test.kind, "target": test.target,
                                      "round_id": round_id, "norm": norm, "run": run,
                                      "retest": retest}
            app.send_task(TASK, kwargs=kwargs, queue=QUEUE, producer=producer)
