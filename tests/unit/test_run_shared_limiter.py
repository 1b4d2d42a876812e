"""The politeness limit shared through Redis: across processes, and freed when a holder dies.

Runs against a real redis-server (Debian package redis-server) on a Unix socket.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
from redis.asyncio import Redis

from meting.run.shared_limiter import SharedLimiter
from tests.services import redis_server

LIMIT = 3

# A process that makes HOLDERS tasks each take a slot of one key ROUNDS times. While it
# holds a slot, a task adds itself to a Redis counter shared by both processes and
# records the largest count it saw; it prints the largest count and the slots it got.
HOLDERS_SCRIPT = textwrap.dedent("""
    import asyncio, json, sys
    from redis.asyncio import Redis
    from meting.run.shared_limiter import SharedLimiter

    async def main(url, limit):
        redis = Redis.from_url(url)
        limiter = SharedLimiter(redis, limit, ttl=60, namespace="test")
        peak, taken = 0, 0

        async def holder():
            nonlocal peak, taken
            for _ in range(10):
                async with limiter.slot("198.18.0.1"):
                    taken += 1
                    peak = max(peak, await redis.incr("holding"))
                    await asyncio.sleep(0.01)
                    await redis.decr("holding")

        await asyncio.gather(*(holder() for _ in range(8)))
        print(json.dumps({"peak": peak, "taken": taken}))

    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
""")

# Takes one slot with a short lease and signals it holds it, then sleeps until killed.
HOLD_FOREVER_SCRIPT = textwrap.dedent("""
    import asyncio, sys
    from redis.asyncio import Redis
    from meting.run.shared_limiter import SharedLimiter

    async def main(url):
        limiter = SharedLimiter(Redis.from_url(url), 1, ttl=float(sys.argv[2]), namespace="test")
        async with limiter.slot("198.18.0.2"):
            print("holding", flush=True)
            await asyncio.sleep(3600)

    asyncio.run(main(sys.argv[1]))
""")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as socket:
        yield f"unix://{socket}"


def test_two_processes_never_hold_more_than_the_limit_together(redis_url: str) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", HOLDERS_SCRIPT, redis_url, str(LIMIT)],
                              stdout=subprocess.PIPE, text=True) for _ in range(2)]
    reports = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert [r["taken"] for r in reports] == [80, 80]
    assert max(r["peak"] for r in reports) <= LIMIT


def test_the_lease_of_a_killed_holder_expires_and_its_slot_is_taken_again(
        redis_url: str) -> None:
    ttl = 1.5
    proc = subprocess.Popen([sys.executable, "-c", HOLD_FOREVER_SCRIPT, redis_url, str(ttl)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    async def take() -> int:
        # Never given back: the slot comes free only through the lease's expiry.
        limiter = SharedLimiter(Redis.from_url(redis_url), 1, ttl=60, namespace="test")
        async with asyncio.timeout(60), limiter.slot("198.18.0.2"):
            return await limiter.holders("198.18.0.2")

    assert asyncio.run(take()) == 1


def test_a_slot_is_given_back_when_its_holder_is_cancelled(redis_url: str) -> None:
    async def scenario() -> int:
        limiter = SharedLimiter(Redis.from_url(redis_url), 1, ttl=60, namespace="cancel")
        entered = asyncio.Event()

        async def hold() -> None:
            async with limiter.slot("k"):
                entered.set()
                await asyncio.sleep(3600)

        task = asyncio.create_task(hold())
        await entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return await limiter.holders("k")

    assert asyncio.run(scenario()) == 0


def test_a_broker_url_for_celery_names_the_same_socket_for_redis() -> None:
    from meting.run.celery_app import celery_url
    from meting.run.shared_limiter import redis_url as to_redis

    assert celery_url("unix:///run/redis.sock") == "redis+socket:///run/redis.sock"
    assert to_redis("redis+socket:///run/redis.sock") == "unix:///run/redis.sock"
    assert to_redis("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
