"""Politeness towards the servers we measure: at most N exchanges with one address at once.

A round runs hundreds of tests at once, and thousands of domains share a few hosting
addresses, mail platforms and name servers. The planner only knows target names, so the
limit is enforced where the address is finally known: in the probe primitives (TCP
connect, SMTP greeting, HTTP fetch, TLS handshakes, direct DNS queries), each of which
holds one slot of the address for the length of one exchange.

Holding a slot per exchange, not per test, means a test never holds one address while
waiting for another, so tests that share servers cannot deadlock on each other.

The runner makes one ``AddressLimiter`` per round and installs it with ``use``; it
reaches every probe through the context that asyncio tasks inherit, so the collectors
need not pass it along. Without one installed (``meting check``) nothing is limited.

Waiting for a slot is politeness, not slowness of the server: a test that registered
its budget (``counting``) gets its deadline moved on by the time it waited, so tests
queued behind a big hosting address are not failed for waiting their turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any


class KeyedLimiter:
    """At most ``limit`` holders per key at once; keys are independent.

    A key's semaphore exists only while someone holds or waits for it, so memory stays
    bounded by the work in flight, not by the number of keys ever seen.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"a limit per key must be at least 1, not {limit}")
        self.limit = limit
        self._slots: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}

    def slot(self, key: str) -> contextlib.AbstractAsyncContextManager[None]:
        return _KeySlot(self._slots, key, self.limit)

    def busy(self, key: str) -> int:
        """Holders and waiters of a key right now."""
        entry = self._slots.get(key)
        return entry[1][0] if entry else 0

    @property
    def keys(self) -> int:
        return len(self._slots)


class AddressLimiter(KeyedLimiter):
    """A ``KeyedLimiter`` on server addresses (IPv4 or IPv6, as text)."""


_current: contextvars.ContextVar[AddressLimiter | None] = contextvars.ContextVar(
    "meting_address_limiter", default=None)


@contextlib.contextmanager
def use(limiter: AddressLimiter | None) -> Iterator[None]:
    """Install a limiter for the probes run in this context (and tasks started from it)."""
    token = _current.set(limiter)
    try:
        yield
    finally:
        _current.reset(token)


_budget: contextvars.ContextVar[asyncio.Timeout | None] = contextvars.ContextVar(
    "meting_test_budget", default=None)


@contextlib.contextmanager
def counting(budget: asyncio.Timeout) -> Iterator[None]:
    """Let slot waits in this context move ``budget``'s deadline on by the time waited."""
    token = _budget.set(budget)
    try:
        yield
    finally:
        _budget.reset(token)


def waited(seconds: float) -> None:
    """Move this context's budget on by ``seconds`` spent waiting for another test's
    exchange with a server (``scan_sharing``), as for a slot."""
    _move_deadline(seconds)


# A slot that was free is taken without waiting, yet the loop's clock moved on a few
# microseconds: rescheduling the budget for that (a new timer each time) cost 1% of a
# round's CPU and moved nothing that matters.
NOT_A_WAIT = 0.001  # seconds


def _move_deadline(waited: float) -> None:
    if waited < NOT_A_WAIT:
        return
    budget = _budget.get()
    deadline = budget.when() if budget is not None else None
    if budget is None or deadline is None:
        return
    with contextlib.suppress(RuntimeError):  # the budget has already run out
        budget.reschedule(deadline + waited)


def slot(address: str) -> contextlib.AbstractAsyncContextManager[None]:
    """Hold one slot of ``address`` for one exchange (no limit when none is installed)."""
    return _AddressSlot(address)


# The two slots below are classes, not generator-based context managers: every TLS
# handshake, DNS question and connection takes one, and a generator's set-up cost
# about 2% of a round's CPU.
class _KeySlot:
    __slots__ = ("entry", "key", "limit", "slots")

    def __init__(self, slots: dict[str, tuple[asyncio.Semaphore, list[int]]], key: str,
                 limit: int) -> None:
        self.slots, self.key, self.limit = slots, key, limit

    async def __aenter__(self) -> None:
        entry = self.slots.get(self.key)
        if entry is None:
            entry = self.slots[self.key] = (asyncio.Semaphore(self.limit), [0])
        self.entry = entry
        entry[1][0] += 1
        try:
            await entry[0].acquire()
        except BaseException:
            self._leave()
            raise

    async def __aexit__(self, *_: object) -> None:
        self.entry[0].release()
        self._leave()

    def _leave(self) -> None:
        users = self.entry[1]
        users[0] -= 1
        if users[0] == 0:
            del self.slots[self.key]


class _AddressSlot:
    __slots__ = ("address", "held")

    def __init__(self, address: str) -> None:
        self.address = address
        self.held: contextlib.AbstractAsyncContextManager[None] | None = None

    async def __aenter__(self) -> None:
        limiter = _current.get()
        if limiter is None:
            return
        loop = asyncio.get_running_loop()
        asked = loop.time()
        held = limiter.slot(self.address)
        await held.__aenter__()
        self.held = held
        _move_deadline(loop.time() - asked)

    async def __aexit__(self, *exc: Any) -> None:
        if self.held is not None:
            await self.held.__aexit__(*exc)
