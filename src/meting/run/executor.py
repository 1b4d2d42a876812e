"""Executors: what runs the pending tests of a round.

Every executor, in-process or distributed, keeps the same contract:

- ``run(tests, report)`` brings every test it is given to exactly one *outcome* and calls
  ``report(outcome)`` once per test, in the caller's thread and event loop, as soon as
  the test is finished (order is not kept). The caller stores the outcome at once.
- An outcome is final: the evidence and the judged columns/subtests, or — when a test
  raised or overran its budget on every attempt (``Settings.retries`` retries with
  exponential backoff from ``Settings.retry_backoff`` seconds) — a ``not_testable``
  result that says why. Both are stored, so a resumed round does not redo them.
- A test that was not reported when ``run`` ends (cancelled, killed, a worker lost)
  has no result and stays pending in the store; the next ``meting run --round ID`` runs
  it again. Tests may therefore run more than once (at least once), and storing is
  idempotent (``Store.save_result`` refuses a second result for a test).
- Politeness: at most ``Settings.concurrency`` tests at once, at most
  ``Settings.per_address`` tests at once of one organisational domain (what is known
  before a test starts), and at most ``Settings.per_address`` exchanges at once with one
  server address (enforced in the probes, ``meting.probe.politeness``). A distributed
  executor must keep the address limit across its workers (e.g. a shared counter in its
  broker) or divide it among them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from meting.probe import politeness
from meting.probe.politeness import AddressLimiter, KeyedLimiter
from meting.probe.routing import RoutingData
from meting.records.psl import organisational_domain
from meting.run.retry import Backoff, describe, not_testable_evidence
from meting.run.shared_dns import RoundDnsClient, SharedAnswers
from meting.settings import Settings
from meting.store import PlannedTest, codec
from meting.tester import judge, run_test


@dataclass(frozen=True)
class Outcome:
    """A finished test: what to store, and how it went."""

    test: PlannedTest
    evidence: dict[str, Any]
    judged: dict[str, Any]
    attempts: int
    seconds: float
    saved: bool = False  # stored already by the worker that ran it (distributed executors)
    raw: bytes | None = None  # the evidence as JSON, when written already (stored as is)

    @property
    def not_testable(self) -> bool:
        return "not_testable" in self.evidence


Report = Callable[[Outcome], None]
Perform = Callable[[PlannedTest], Awaitable[tuple[dict[str, Any], dict[str, Any]]]]


class Executor(Protocol):
    """Runs the pending tests of a round (see the module's contract)."""

    name: str  # stored with the round: "local", "celery"

    async def run(self, tests: Sequence[PlannedTest], report: Report) -> None: ...


class AsyncioExecutor:
    """Every test in this process's event loop (the default executor)."""

    name = "local"

    def __init__(self, settings: Settings, routing: RoutingData | None = None,
                 perform: Perform | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.settings = settings
        self.routing = routing
        self.backoff = Backoff(settings.retries, settings.retry_backoff)
        self.addresses = AddressLimiter(settings.per_address)
        self.domains = KeyedLimiter(settings.per_address)
        self.shared_dns = SharedAnswers()
        self.perform = perform or self._run_test
        self.sleep = sleep

    async def run(self, tests: Sequence[PlannedTest], report: Report) -> None:
        # Blocking probes (TLS handshakes) run in the loop's default thread pool; its
        # default size (CPU count + 4) would queue the handshakes of hundreds of tests.
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(
            max_workers=self.settings.concurrency, thread_name_prefix="meting-probe"))
        running = asyncio.Semaphore(self.settings.concurrency)
        # Tasks alive at once (running or waiting to retry): bounds memory on big rounds.
        alive = asyncio.Semaphore(2 * self.settings.concurrency)
        with politeness.use(self.addresses):
            async with asyncio.TaskGroup() as group:
                for test in tests:
                    await alive.acquire()
                    task = group.create_task(self._attempts(test, running, report))
                    task.add_done_callback(lambda _: alive.release())

    async def _attempts(self, test: PlannedTest, running: asyncio.Semaphore,
                        report: Report) -> None:
        started = time.monotonic()
        failures: list[str] = []
        while True:
            try:
                async with running, self.domains.slot(organisational_domain(test.domain)):
                    evidence, judged = await self.perform(test)
                break
            except Exception as exc:  # any failure of one attempt is the test's, not the round's
                failures.append(describe(exc, self.settings.test_budget))
            delay = self.backoff.delay(len(failures))
            if delay is None:
                evidence = not_testable_evidence(test.kind, test.target, failures)
                judged = judge(test.kind, evidence, self.settings.norm)
                break
            await self.sleep(delay)
        attempts = len(failures)
        raw = None
        if "not_testable" not in evidence:
            attempts += 1
            evidence, judged, raw = self._bounded(test, evidence, judged)
            if failures:
                evidence["failed_attempts"] = failures
                raw = None
        report(Outcome(test, evidence, judged, attempts, round(time.monotonic() - started, 3),
                       raw=raw))

    def _bounded(self, test: PlannedTest, evidence: dict[str, Any], judged: dict[str, Any]
                 ) -> tuple[dict[str, Any], dict[str, Any], bytes | None]:
        """Evidence over the max_evidence_bytes setting is not stored: the test is
        not_testable, saying why (a hostile server cannot fill the store). The JSON
        written to measure it is kept for the store (written once per test)."""
        if "not_testable" in evidence:
            return evidence, judged, None
        raw = codec.as_json(evidence)
        size = len(raw)
        limit = self.settings.max_evidence_bytes
        if size <= limit:
            return evidence, judged, raw
        bounded = not_testable_evidence(test.kind, test.target, [
            f"the evidence is {size:,} bytes, more than the {limit:,} allowed "
            "(setting max_evidence_bytes)"])
        return bounded, judge(test.kind, bounded, self.settings.norm), None

    async def _run_test(self, test: PlannedTest) -> tuple[dict[str, Any], dict[str, Any]]:
        client = RoundDnsClient(self.settings, self.shared_dns)
        return await run_test(test.kind, test.target, self.settings, self.routing, client)
