"""Answers about infrastructure names shared by every test of a round.

Thousands of domains point at the same few name servers and mail platforms; each test
would otherwise ask the resolver for the same name server and MX host addresses again.
A round keeps one ``SharedAnswers``; each test still gets its own ``RoundDnsClient`` (its
own cache and count of queries sent), which asks the shared store first for the
addresses (A/AAAA) of names it has seen as the target of an NS or MX record.

Kept safe by three rules: only usable answers are shared (an error — a timeout,
SERVFAIL — is asked again by the next test, so one bad moment does not spread); a
shared answer is used for at most ``max_age`` seconds (a round can last hours); and
only infrastructure names are shared, never a test's own target names. Evidence stays
complete: a test records the shared answer as if it had asked (its ``dns_queries``
counts only what it sent itself).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from meting.probe.dns import DnsClient
from meting.probe.evidence import DnsAnswer
from meting.settings import Settings

SHARED_TYPES = frozenset({"A", "AAAA"})
TEACHING_TYPES = frozenset({"NS", "MX"})


def _norm(name: str) -> str:
    return name.rstrip(".").lower() + "."


class SharedAnswers:
    """Round-wide answers for infrastructure names, bounded in age and number."""

    def __init__(self, max_age: float = 600.0, max_entries: int = 50_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age = max_age
        self.max_entries = max_entries
        self.clock = clock
        self.hits = 0
        self._infrastructure: OrderedDict[str, None] = OrderedDict()
        self._answers: OrderedDict[tuple[str, str], tuple[float, DnsAnswer]] = OrderedDict()
        self._pending: dict[tuple[str, str], asyncio.Task[DnsAnswer]] = {}

    def learn(self, answer: DnsAnswer) -> None:
        """Remember the targets of an NS or MX answer as infrastructure names."""
        if answer.rtype not in TEACHING_TYPES or not answer.ok:
            return
        for rdata in answer.answers:
            target = rdata.split()[-1] if rdata.split() else ""
            if target and target != ".":
                self._infrastructure[_norm(target)] = None
                self._infrastructure.move_to_end(_norm(target))
        while len(self._infrastructure) > self.max_entries:
            self._infrastructure.popitem(last=False)

    def covers(self, name: str, rtype: str) -> bool:
        return rtype.upper() in SHARED_TYPES and _norm(name) in self._infrastructure

    async def get(self, name: str, rtype: str,
                  ask: Callable[[], Awaitable[DnsAnswer]]) -> DnsAnswer:
        """The shared answer, or ``ask()`` (once, however many tests want it at once)."""
        key = (_norm(name), rtype.upper())
        found = self._answers.get(key)
        if found is not None and self.clock() - found[0] <= self.max_age:
            self.hits += 1
            return found[1]
        task = self._pending.get(key)
        if task is None:
            task = asyncio.ensure_future(ask())
            self._pending[key] = task
            task.add_done_callback(lambda t: self._settle(key, t))
        else:
            self.hits += 1
        return await asyncio.shield(task)

    def _settle(self, key: tuple[str, str], task: asyncio.Task[DnsAnswer]) -> None:
        self._pending.pop(key, None)
        if task.cancelled() or task.exception() is not None or not task.result().ok:
            return
        self._answers[key] = (self.clock(), task.result())
        self._answers.move_to_end(key)
        while len(self._answers) > self.max_entries:
            self._answers.popitem(last=False)

    @property
    def size(self) -> int:
        return len(self._answers)


class RoundDnsClient(DnsClient):
    """A test's DNS client that shares infrastructure answers with the rest of the round."""

    def __init__(self, settings: Settings, shared: SharedAnswers) -> None:
        super().__init__(settings)
        self.shared = shared

    async def query(self, name: str, rtype: str) -> DnsAnswer:
        if self.shared.covers(name, rtype):
            return await self.shared.get(name, rtype, lambda: DnsClient.query(self, name, rtype))
        answer = await DnsClient.query(self, name, rtype)
        self.shared.learn(answer)
        return answer
