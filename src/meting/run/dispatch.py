"""The order in which a round's tests start: by server address, so that shared hosts
do not serialise the rest of the round.

Thousands of government domains share a few hosting addresses. The probes hold one
politeness slot of an address per exchange (``meting.probe.politeness``), so at most
``per_address`` exchanges run at once with any server. Started in planned order, the
tests of a big hosting address would take most of the round's concurrency and wait
there for its few slots, while tests of other servers wait for a free place in the
round. Here, tests are handed out by address instead:

- a test's server addresses are looked up before it starts (the executor does that a
  window ahead), and the test joins the queue of its *group* (its set of addresses);
- a test starts only when every one of its addresses has fewer than ``cap`` tests in
  flight — enough to keep the address at its politeness limit while the other phases
  of those tests (DNS, judging) run, and no more;
- among the groups that can start one, the one with the most queued tests goes first
  (the most shared addresses start first and never fall idle), ties in the order the
  groups were first seen;
- a test without addresses (the name does not exist, DNS failed) starts at once.

Pure bookkeeping: no clock, no network. The politeness limit itself stays in the probes;
this only decides which waiting test gets the next free place.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T", bound=Hashable)

TESTS_PER_SLOT = 2  # tests in flight per address per politeness slot (see ``cap``)


def cap(per_address: int) -> int:
    """Tests of one address in flight at once: two per politeness slot, so that one
    test's exchange follows another's without a gap while a test resolves or is judged."""
    return TESTS_PER_SLOT * per_address


@dataclass
class _Group(Generic[T]):
    addresses: frozenset[str]
    order: int
    queued: deque[T] = field(default_factory=deque)
    version: int = 0  # the heap entry with this version is the group's current one
    blocked: bool = False  # waiting in ``_blocked`` for an address to have room


class AddressQueue(Generic[T]):
    """Tests waiting to start, grouped by their server addresses (see the module).

    Groups that can start a test sit in a heap by (most queued, first seen); a group whose
    address is full leaves the heap until a test of that address ends, so handing out
    a test costs O(log groups), not a look at every group.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"tests per address must be at least 1, not {limit}")
        self.limit = limit
        self._groups: dict[frozenset[str], _Group[T]] = {}
        self._heap: list[tuple[int, int, int, frozenset[str]]] = []
        self._blocked: dict[str, list[frozenset[str]]] = {}
        self._in_flight: dict[str, int] = {}
        self._started: dict[T, frozenset[str]] = {}
        self._seen = 0
        self._versions = 0

    def add(self, test: T, addresses: Iterable[str]) -> None:
        """A test whose server addresses are known, waiting to start."""
        key = frozenset(addresses)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(key, self._seen)
            self._seen += 1
        group.queued.append(test)
        if not group.blocked:
            self._push(group)

    def next(self) -> T | None:
        """The test to start now, marked in flight; None when every waiting test's
        address is at its limit (or nothing waits)."""
        while self._heap:
            _, _, version, key = heapq.heappop(self._heap)
            group = self._groups.get(key)
            if group is None or group.version != version:
                continue  # an old entry: the group changed or is gone
            full = self._full(key)
            if full is not None:
                group.blocked = True
                self._blocked.setdefault(full, []).append(key)
                continue
            return self._start(group)
        return None

    def done(self, test: T) -> None:
        """A started test has ended: its addresses have room again."""
        for address in self._started.pop(test):
            left = self._in_flight[address] - 1
            if left:
                self._in_flight[address] = left
            else:
                del self._in_flight[address]
            for key in self._blocked.pop(address, []):
                group = self._groups.get(key)
                if group is not None and group.blocked:
                    group.blocked = False
                    self._push(group)

    def in_flight(self, address: str) -> int:
        return self._in_flight.get(address, 0)

    @property
    def waiting(self) -> int:
        return sum(len(g.queued) for g in self._groups.values())

    @property
    def running(self) -> int:
        return len(self._started)

    def _start(self, group: _Group[T]) -> T:
        test = group.queued.popleft()
        if group.queued:
            self._push(group)
        else:
            del self._groups[group.addresses]
        for address in group.addresses:
            self._in_flight[address] = self._in_flight.get(address, 0) + 1
        self._started[test] = group.addresses
        return test

    def _push(self, group: _Group[T]) -> None:
        self._versions += 1
        group.version = self._versions
        heapq.heappush(self._heap, (-len(group.queued), group.order, group.version,
                                    group.addresses))

    def _full(self, addresses: frozenset[str]) -> str | None:
        """An address of the group with no room left, if there is one."""
        return next((a for a in addresses if self._in_flight.get(a, 0) >= self.limit), None)
