"""One TLS scan per server in a round, shared by every test that scans the same server.

Many government domains receive their mail on the same few platforms: their MX records
name the same host, so their mail tests scan exactly the same server — the same
address and port, the same server name (SNI) and the same STARTTLS dialogue. Such a
server cannot tell the tests apart, so a second scan could only differ by what changed
in between, and each scan costs a dozen handshakes at the server. A round therefore
scans such a server once and gives the scan to every test that asks within
``max_age`` seconds (setting ``tls_scan_sharing``; 0 turns sharing off).

Kept safe by these rules:

- the key is the whole target: address, port, server name (case-insensitive), STARTTLS
  and the trust store the chain was checked with; a web host's name differs per domain,
  so web scans are shared only between tests of the same host name;
- only a complete scan is shared (connected, a protocol version accepted); a scan that
  failed or broke off is made again by the next test, so one bad moment does not spread;
- tests that ask while the scan runs wait for it, their budget moved on by the time they
  waited (as for a politeness slot); when the scanning test fails or is cancelled, the
  next of them scans itself;
- the evidence says so: a shared scan keeps its own ``scanned_at``, counts 0 handshakes
  of the test that received it and names the handshakes made in ``shared``;
- re-tests never receive a shared scan (the runner installs no sharing for them).

**Handshakes without a server name.** A scan of a web host is shared only with tests of
the same name, but two of its handshakes do not carry the name at all: the SSLv2
ClientHello has no extensions, and the SSLv3 ClientHello of nassl's OpenSSL 1.0.2 sends
none either (``tests/unit/test_probe_nameless.py`` reads them off a socket). For those
the server sees the same bytes whatever name the test is about, so their outcome for one
address, port and STARTTLS dialogue holds for every name on it. ``SharedScans`` keeps
them too (``NamelessKey``), under the same age limit, when the handshake ended cleanly
(accepted or refused, not broken off); the scan that reuses one names it in
``versions_shared`` and does not count it among its handshakes.

The runner installs one ``SharedScans`` per round with ``use``; it reaches
``probe.tls`` through the context that asyncio tasks inherit.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import copy
import dataclasses
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Generic, NamedTuple, TypeVar

from meting.probe import politeness
from meting.probe.tls_conn import Result

Scan = dict[str, Any]
K = TypeVar("K")
V = TypeVar("V")


class ServerKey(NamedTuple):
    """Everything a server can see of a scan, and what the scan's chain was checked with."""

    address: str
    port: int
    server_name: str
    starttls: str | None
    trust_store: str

    @classmethod
    def of(cls, address: str, port: int, server_name: str, starttls: str | None,
           trust_store: str) -> ServerKey:
        return cls(address, port, server_name.rstrip(".").lower(), starttls, trust_store)


class NamelessKey(NamedTuple):
    """What a server can see of a handshake that carries no server name."""

    address: str
    port: int
    starttls: str | None
    version: str  # SSLv2 or SSLv3


@dataclasses.dataclass(frozen=True)
class NamelessHandshake:
    result: Result
    made_at: str  # when the handshake was made (ISO 8601, UTC)


def complete(scan: Scan) -> bool:
    """Connected, and at least one protocol version accepted: a scan worth sharing."""
    versions = scan.get("versions") or {}
    return bool(scan.get("connected")) and any(versions.values()) \
        and not scan.get("handshake_error")


def as_shared(scan: Scan) -> Scan:
    """A copy for another test: no handshakes of its own; ``shared`` says what was made."""
    return copy.deepcopy(scan) | {"handshakes": 0,
                                  "shared": {"handshakes": scan.get("handshakes", 0)}}


class Kept(Generic[K, V]):
    """Values by key, each for ``max_age`` seconds; the oldest dropped beyond ``max_entries``."""

    def __init__(self, max_age: float, max_entries: int, clock: Callable[[], float]) -> None:
        self.max_age = max_age
        self.max_entries = max_entries
        self.clock = clock
        self._values: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        found = self._values.get(key)
        if found is None:
            return None
        if self.clock() - found[0] > self.max_age:
            del self._values[key]
            return None
        return found[1]

    def put(self, key: K, value: V) -> None:
        self._values[key] = (self.clock(), value)
        self._values.move_to_end(key)
        while len(self._values) > self.max_entries:
            self._values.popitem(last=False)

    def __len__(self) -> int:
        return len(self._values)


class SharedScans:
    """Complete scans of a round by server, and the outcomes of handshakes that carry no
    server name by address, each bounded in age and number."""

    def __init__(self, max_age: float, max_entries: int = 4096,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.hits = 0
        self.nameless_hits = 0
        self._scans: Kept[ServerKey, Scan] = Kept(max_age, max_entries, clock)
        self._running: dict[ServerKey, asyncio.Future[None]] = {}
        self._nameless: Kept[NamelessKey, NamelessHandshake] = Kept(max_age, max_entries,
                                                                     clock)

    async def scan(self, key: ServerKey, make: Callable[[], Awaitable[Scan]]) -> Scan:
        """The shared scan of ``key``, or ``make()``'s (made by one test at a time)."""
        loop = asyncio.get_running_loop()
        while True:
            found = self._scans.get(key)
            if found is not None:
                self.hits += 1
                return as_shared(found)
            running = self._running.get(key)
            if running is None:
                break
            asked = loop.time()
            await asyncio.wait({running})
            politeness.waited(loop.time() - asked)
        done: asyncio.Future[None] = loop.create_future()
        self._running[key] = done
        try:
            scan = await make()
            if complete(scan):
                self._scans.put(key, copy.deepcopy(scan))
            return scan
        finally:
            del self._running[key]
            done.set_result(None)

    def nameless(self, key: NamelessKey) -> NamelessHandshake | None:
        """The outcome of this handshake for an earlier test, while it is fresh."""
        found = self._nameless.get(key)
        if found is None:
            return None
        self.nameless_hits += 1
        return NamelessHandshake(dataclasses.replace(found.result), found.made_at)

    def keep_nameless(self, key: NamelessKey, handshake: NamelessHandshake) -> None:
        """Keep a handshake that ended cleanly; a broken-off one is made again next time."""
        if handshake.result.connected and not handshake.result.broken:
            self._nameless.put(key, handshake)

    @property
    def size(self) -> int:
        return len(self._scans)


_current: contextvars.ContextVar[SharedScans | None] = contextvars.ContextVar(
    "meting_shared_scans", default=None)


@contextlib.contextmanager
def use(shared: SharedScans | None) -> Iterator[None]:
    """Share scans among the probes run in this context (and tasks started from it)."""
    token = _current.set(shared)
    try:
        yield
    finally:
        _current.reset(token)


def current() -> SharedScans | None:
    return _current.get()
