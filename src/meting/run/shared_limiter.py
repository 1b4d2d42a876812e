"""Politeness limits shared by every worker of a distributed round, kept in Redis.

The in-process limiters (``meting.probe.politeness``) count holders in one event loop;
workers on several machines need one count. Here a key's holders are *leases* in a
Redis sorted set, scored by when they expire. Taking a slot is one atomic script: drop
the expired leases, and add ours if fewer than ``limit`` remain. Giving it back removes
the lease. A worker that dies holding slots never gives them back; its leases expire
after ``ttl`` seconds, so a dead worker blocks a server for at most that long.

The ``ttl`` must outlast any live holder: a slot is held for one exchange (addresses)
or one attempt at a test (organisational domains), both bounded by the test budget,
so the lease lives for the test budget plus a margin. Expiry times come from the Redis
server's clock, so the workers' clocks need not agree.

A slot given back in this process wakes one of this process's waiters for that key at
once; slots given back elsewhere are found by polling, with a growing pause (a few
milliseconds up to ``MAX_PAUSE``). There is no order among waiters.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterable

from redis.asyncio import Redis

from meting.probe.politeness import AddressLimiter, KeyedLimiter

PREFIX = "meting:limit:"
FIRST_PAUSE = 0.002
MAX_PAUSE = 0.05
MARGIN = 10.0  # seconds a lease outlives the test budget

# KEYS[1]: the key's lease set; ARGV: limit, ttl in ms, lease id. 1: taken, 0: full.
ACQUIRE = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], ms + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""


def redis_url(broker: str) -> str:
    """The redis-py URL of a broker URL (Celery spells a Unix socket ``redis+socket://``)."""
    if broker.startswith("redis+socket://"):
        return "unix://" + broker.removeprefix("redis+socket://")
    return broker


class SharedLimiter(KeyedLimiter):
    """At most ``limit`` holders per key at once across every process using ``redis``."""

    def __init__(self, redis: Redis, limit: int, ttl: float, namespace: str) -> None:
        super().__init__(limit)
        self.redis = redis
        self.ttl_ms = max(1, int(ttl * 1000))
        self.namespace = namespace
        self._acquire = redis.register_script(ACQUIRE)
        self._waiters: dict[str, deque[asyncio.Future[None]]] = {}

    def _key(self, key: str) -> str:
        return f"{PREFIX}{self.namespace}:{key}"

    @contextlib.asynccontextmanager
    async def slot(self, key: str) -> AsyncIterator[None]:
        name, lease = self._key(key), uuid.uuid4().hex
        pause = FIRST_PAUSE
        while not await self._acquire(keys=[name], args=[self.limit, self.ttl_ms, lease]):
            await self._wait(key, pause * (0.5 + random.random()))
            pause = min(MAX_PAUSE, pause * 2)
        try:
            yield
        finally:
            # Shielded: a cancelled test must still give its slot back at once.
            await asyncio.shield(self.redis.zrem(name, lease))
            self._wake_one(key)

    async def _wait(self, key: str, pause: float) -> None:
        """Until a slot of ``key`` is given back in this process, or ``pause`` seconds."""
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._waiters.setdefault(key, deque())
        queue.append(woken)
        try:
            await asyncio.wait_for(asyncio.shield(woken), pause)
        except TimeoutError:
            pass
        finally:
            if not woken.done():
                woken.cancel()
            with contextlib.suppress(ValueError):
                queue.remove(woken)
            if not queue and self._waiters.get(key) is queue:
                del self._waiters[key]

    def _wake_one(self, key: str) -> None:
        queue = self._waiters.get(key)
        while queue:
            woken = queue.popleft()
            if not woken.done():
                woken.set_result(None)
                return

    async def holders(self, key: str) -> int:
        """Live leases of a key right now (expired ones not counted)."""
        return await live_leases(self.redis, self._key(key))


async def live_leases(redis: Redis, name: str) -> int:
    """Leases of a sorted set that have not expired by the Redis server's clock."""
    now = await redis.time()
    ms = now[0] * 1000 + now[1] // 1000
    return int(await redis.zcount(name, ms + 1, "+inf"))


class SharedAddressLimiter(SharedLimiter, AddressLimiter):
    """Server addresses, shared across workers (installed with ``politeness.use``)."""

    def __init__(self, redis: Redis, limit: int, ttl: float) -> None:
        super().__init__(redis, limit, ttl, "address")


# KEYS: the addresses' place sets; ARGV: limit, ttl in ms, lease id. 1: taken on every
# key, 0: one of them full (nothing taken).
TAKE_ALL = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ms)
  if redis.call('ZCARD', key) >= tonumber(ARGV[1]) then return 0 end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, ms + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', key, ARGV[2])
end
return 1
"""


class SharedPlaces:
    """Tests in flight per server address across every worker of a distributed round:
    the order by address (``meting.run.dispatch``) for workers that take their tests from
    one queue. A test takes a place on each of its addresses, all at once or none (one
    atomic script), and never waits here: a worker that finds no room hands the test
    back to the queue. Places are leases, like slots, so a dead worker's expire."""

    def __init__(self, redis: Redis, limit: int, ttl: float) -> None:
        if limit < 1:
            raise ValueError(f"places per address must be at least 1, not {limit}")
        self.redis = redis
        self.limit = limit
        self.ttl_ms = max(1, int(ttl * 1000))
        self._take = redis.register_script(TAKE_ALL)

    @staticmethod
    def _keys(addresses: Iterable[str]) -> list[str]:
        return [f"{PREFIX}places:{a}" for a in sorted(set(addresses))]

    async def take(self, addresses: Iterable[str]) -> str | None:
        """A lease on a place of every address, or None when one of them is full."""
        keys = self._keys(addresses)
        lease = uuid.uuid4().hex
        if not keys:
            return lease
        taken = await self._take(keys=keys, args=[self.limit, self.ttl_ms, lease])
        return lease if taken else None

    async def give_back(self, addresses: Iterable[str], lease: str) -> None:
        for key in self._keys(addresses):
            await self.redis.zrem(key, lease)

    async def in_flight(self, address: str) -> int:
        """Live places of an address right now."""
        return await live_leases(self.redis, self._keys([address])[0])
