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
- Order: tests need not start in the order given. The in-process executor looks up each
  test's server addresses a window ahead and starts tests by address
  (``meting.run.dispatch``), so that a host shared by many domains is kept at its limit
  without the rest of the round queueing behind it. Celery workers take places per
  address in Redis and hand back a test whose addresses are full
  (``celery_app.WorkerRuntime.in_turn``).
- Sharing the work: ``run(tests, report, spare)`` may also be given the tests of the
  round's other processes on this machine; an executor with ``claims``
  (``meting.run.claims``) takes those nobody has started once its own have all started,
  and starts no test another process claimed. Executors without claims ignore ``spare``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from meting.probe import politeness, scan_sharing
from meting.probe.collect import server_addresses
from meting.probe.dns import DnsClient
from meting.probe.politeness import AddressLimiter, KeyedLimiter
from meting.probe.routing import RoutingData
from meting.probe.scan_sharing import SharedScans
from meting.records.psl import organisational_domain
from meting.run.claims import Claims
from meting.run.dispatch import AddressQueue, cap
from meting.run.retry import Backoff, describe, not_testable_evidence
from meting.run.shared_dns import RoundDnsClient, SharedAnswers
from meting.settings import Settings
from meting.store import PlannedTest, codec
from meting.tester import judge, measure


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
    raw_checked: bool = False  # ``raw`` was checked against the schema (to judge the test)

    @property
    def not_testable(self) -> bool:
        return "not_testable" in self.evidence


Report = Callable[[Outcome], None]
Perform = Callable[[PlannedTest], Awaitable[tuple[dict[str, Any], dict[str, Any]]]]


class Executor(Protocol):
    """Runs the pending tests of a round (see the module's contract)."""

    name: str  # stored with the round: "local", "celery"

    async def run(self, tests: Sequence[PlannedTest], report: Report,
                  spare: Sequence[PlannedTest] = ()) -> None: ...


class Ready:
    """A test whose server addresses are known, waiting for its turn (``dispatch``)."""

    def __init__(self, test: PlannedTest, addresses: Sequence[str],
                 client: DnsClient | None = None) -> None:
        self.test = test
        self.addresses = tuple(addresses)
        self.client = client  # the lookup's client, whose cache the first attempt reads
        self.looked_up = time.monotonic()


Lookup = Callable[[PlannedTest], Awaitable[Ready]]


async def no_lookup(test: PlannedTest) -> Ready:
    """No addresses known before the test (the order is then the planned order)."""
    return Ready(test, ())


class AsyncioExecutor:
    """Every test in this process's event loop (the default executor).

    Tests start in the order of ``meting.run.dispatch``: a window of tests ahead has its
    server addresses looked up, and the next free place goes to a test whose addresses
    have room, most shared addresses first."""

    name = "local"
    lookahead_per_place = 10  # tests looked up ahead per place of concurrency

    def __init__(self, settings: Settings, routing: RoutingData | None = None,
                 perform: Perform | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 lookup: Lookup | None = None, share_scans: bool = True,
                 claims: Claims | None = None) -> None:
        self.settings = settings
        self.claims = claims
        self.routing = routing
        self.backoff = Backoff(settings.retries, settings.retry_backoff)
        self.addresses = AddressLimiter(settings.per_address)
        self.domains = KeyedLimiter(settings.per_address)
        self.shared_dns = SharedAnswers()
        sharing = share_scans and settings.tls_scan_sharing > 0
        self.shared_scans = SharedScans(settings.tls_scan_sharing) if sharing else None
        self.perform = perform
        self.lookup = lookup or (no_lookup if perform else self._look_up)
        self.sleep = sleep

    async def run(self, tests: Sequence[PlannedTest | Ready], report: Report,
                  spare: Sequence[PlannedTest] = ()) -> None:
        """Run ``tests``; a ``Ready`` one has its addresses looked up already (a worker
        looks them up to decide whether to take the test). With ``claims``: then the
        ``spare`` tests that no process has claimed yet, each only if this one claims it
        first (the other processes' tests, while their own processes are still busy)."""
        # The blocking probes left (SSLv2 handshakes, sslyze's full scans) run in the
        # loop's default thread pool; its default size (CPU count + 4) would queue the
        # SSLv2 attempts of hundreds of tests.
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(
            max_workers=self.settings.concurrency, thread_name_prefix="meting-probe"))
        turns = _Turns(self.settings, self.lookahead_per_place)
        with politeness.use(self.addresses), scan_sharing.use(self.shared_scans):
            async with asyncio.TaskGroup() as group:
                group.create_task(self._look_ahead(tests, turns))
                await self._start(len(tests), turns, group, report)
                if self.claims is not None and spare:
                    left = [t for t in spare if not self.claims.taken(t.test_id)]
                    group.create_task(self._look_ahead(left, turns))
                    await self._start(len(left), turns, group, report)

    async def _start(self, count: int, turns: _Turns, group: asyncio.TaskGroup,
                     report: Report) -> None:
        """Start the next ``count`` tests in their turn, but none another process took."""
        for _ in range(count):
            ready = await turns.next()
            if self.claims is not None and not self.claims.take(ready.test.test_id):
                turns.done(ready)
                continue
            group.create_task(self._attempts(ready, turns, report))

    async def _look_ahead(self, tests: Sequence[PlannedTest | Ready], turns: _Turns) -> None:
        """Look up the tests' addresses, a bounded window ahead of the running tests."""
        async with asyncio.TaskGroup() as group:
            for test in tests:
                await turns.ahead.acquire()
                await turns.lookups.acquire()
                group.create_task(self._look_up_one(test, turns))

    async def _look_up_one(self, test: PlannedTest | Ready, turns: _Turns) -> None:
        try:
            ready = test if isinstance(test, Ready) else await self.ready(test)
        finally:
            turns.lookups.release()
        turns.add(ready)

    async def ready(self, test: PlannedTest) -> Ready:
        """The test with its server addresses; none when the lookup failed."""
        try:
            return await self.lookup(test)
        except Exception:  # the test itself will meet (and record) the failure
            return Ready(test, ())

    async def _look_up(self, test: PlannedTest) -> Ready:
        client = RoundDnsClient(self.settings, self.shared_dns, test.domain)
        async with asyncio.timeout(self.settings.test_budget):
            found = await server_addresses(test.kind, test.target, client)
        return Ready(test, found, client)

    async def _attempts(self, ready: Ready, turns: _Turns, report: Report) -> None:
        """The test's attempts; it holds its place (``turns.running``) from the start,
        except while it waits to retry."""
        test = ready.test
        started = time.monotonic()
        failures: list[str] = []
        holding = True
        try:
            while True:
                try:
                    async with self.domains.slot(organisational_domain(test.domain)):
                        evidence, judged, checked = await self._perform(ready)
                    break
                except Exception as exc:  # one attempt's failure is the test's, not the round's
                    failures.append(describe(exc, self.settings.test_budget))
                delay = self.backoff.delay(len(failures))
                if delay is None:
                    evidence = not_testable_evidence(test.kind, test.target, failures)
                    judged = judge(test.kind, evidence, self.settings.norm)
                    checked = None
                    break
                turns.running.release()
                holding = False
                await self.sleep(delay)
                await turns.running.acquire()
                holding = True
        finally:
            turns.done(ready, holding)
        attempts = len(failures)
        raw = None
        if "not_testable" not in evidence:
            attempts += 1
            evidence, judged, raw = self._bounded(test, evidence, judged, checked)
            if failures:
                evidence["failed_attempts"] = failures
                raw = None
        report(Outcome(test, evidence, judged, attempts, round(time.monotonic() - started, 3),
                       raw=raw, raw_checked=raw is not None and raw is checked))

    async def _perform(self, ready: Ready
                       ) -> tuple[dict[str, Any], dict[str, Any], bytes | None]:
        """The test's evidence, judged, and its JSON when checked to judge it."""
        if self.perform is not None:
            return (*await self.perform(ready.test), None)
        client, ready.client = ready.client, None  # a retry starts afresh
        if time.monotonic() - ready.looked_up > self.shared_dns.max_age:
            client = None  # waited long behind a busy address: its answers are asked again
        client = client or RoundDnsClient(self.settings, self.shared_dns, ready.test.domain)
        measured = await measure(ready.test.kind, ready.test.target, self.settings,
                                 self.routing, client)
        return measured.evidence, measured.judged, measured.raw

    def _bounded(self, test: PlannedTest, evidence: dict[str, Any], judged: dict[str, Any],
                 checked: bytes | None = None
                 ) -> tuple[dict[str, Any], dict[str, Any], bytes | None]:
        """Evidence over the max_evidence_bytes setting is not stored: the test is
        not_testable, saying why (a hostile server cannot fill the store). The JSON
        written to measure it is kept for the store (written once per test); ``checked``:
        that JSON, written and checked already to judge the test."""
        if "not_testable" in evidence:
            return evidence, judged, None
        raw = checked if checked is not None else codec.as_json(evidence)
        size = len(raw)
        limit = self.settings.max_evidence_bytes
        if size <= limit:
            return evidence, judged, raw
        bounded = not_testable_evidence(test.kind, test.target, [
            f"the evidence is {size:,} bytes, more than the {limit:,} allowed "
            "(setting max_evidence_bytes)"])
        return bounded, judge(test.kind, bounded, self.settings.norm), None


class _Turns:
    """Whose turn it is: the round's places (``running``), the window of tests looked up
    ahead (``ahead``) and the queue by address (``dispatch.AddressQueue``)."""

    def __init__(self, settings: Settings, lookahead_per_place: int) -> None:
        self.running = asyncio.Semaphore(settings.concurrency)
        self.lookups = asyncio.Semaphore(settings.concurrency)
        self.ahead = asyncio.Semaphore(max(1, lookahead_per_place * settings.concurrency))
        self.queue: AddressQueue[Ready] = AddressQueue(cap(settings.per_address))
        self.changed = asyncio.Event()

    def add(self, ready: Ready) -> None:
        self.queue.add(ready, ready.addresses)
        self.changed.set()

    async def next(self) -> Ready:
        """The next test to start, once a place is free and its addresses have room."""
        await self.running.acquire()
        while True:
            self.changed.clear()
            ready = self.queue.next()
            if ready is not None:
                self.ahead.release()
                return ready
            await self.changed.wait()

    def done(self, ready: Ready, holding: bool = True) -> None:
        """The test ended (or was cancelled): its place and its addresses are free."""
        self.queue.done(ready)
        if holding:
            self.running.release()
        self.changed.set()
