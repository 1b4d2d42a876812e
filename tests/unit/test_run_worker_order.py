"""The order by address on Celery workers: tests in flight per server address are places
in Redis (``SharedPlaces``), and a worker that finds no room for a test hands its message
back (``WorkerRuntime.in_turn``). Against a real redis-server on a Unix socket."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence

import pytest
import redis.asyncio
from celery.exceptions import Reject

from meting.run import celery_app
from meting.run.celery_app import WorkerRuntime
from meting.run.executor import Outcome, Ready, Report
from meting.run.retry import not_testable_evidence
from meting.run.shared_limiter import SharedPlaces
from meting.settings import Settings
from meting.store import PlannedTest
from tests.services import redis_server

WEB = "198.51.100.7"
WEB6 = "2001:db8:7::80"
MAIL = "198.51.100.25"


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as socket:
        yield f"unix://{socket}"


def places(url: str, limit: int, ttl: float = 60) -> SharedPlaces:
    return SharedPlaces(redis.asyncio.Redis.from_url(url), limit, ttl)


def test_a_test_takes_a_place_at_every_address_or_at_none(redis_url: str) -> None:
    async def main() -> None:
        shared = places(redis_url, 2)
        first = await shared.take([WEB, WEB6])
        second = await shared.take([WEB])
        assert first is not None and second is not None
        assert await shared.take([WEB6, MAIL]) is not None  # WEB6 has one place left
        assert await shared.take([WEB, MAIL]) is None  # WEB is full: MAIL not taken either
        assert (await shared.in_flight(WEB), await shared.in_flight(MAIL)) == (2, 1)
        await shared.give_back([WEB, WEB6], first)
        assert await shared.in_flight(WEB) == 1
        assert await shared.take([WEB, MAIL]) is not None
        assert await shared.take([]) is not None  # no addresses: nothing to wait for
        await shared.redis.flushall()

    asyncio.run(main())


def test_a_dead_workers_places_expire(redis_url: str) -> None:
    async def main() -> None:
        shared = places(redis_url, 1, ttl=0.3)
        assert await shared.take([MAIL]) is not None  # its worker dies: never given back
        assert await shared.take([MAIL]) is None
        await asyncio.sleep(0.5)
        assert await shared.take([MAIL]) is not None
        await shared.redis.flushall()

    asyncio.run(main())


class Recorded:
    """The worker's executor for this test: addresses as given, every test not testable
    at once, and what it was asked to run."""

    def __init__(self, addresses: Sequence[str]) -> None:
        self.addresses = addresses
        self.ran: list[PlannedTest | Ready] = []

    async def ready(self, test: PlannedTest) -> Ready:
        return Ready(test, self.addresses)

    async def run(self, tests: Sequence[PlannedTest | Ready], report: Report,
                  spare: Sequence[PlannedTest] = ()) -> None:
        for item in tests:
            self.ran.append(item)
            test = item.test if isinstance(item, Ready) else item
            report(Outcome(test, not_testable_evidence(test.kind, test.target, ["x"]), {}, 1,
                           0.0))


@pytest.fixture
def worker(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[WorkerRuntime]:
    monkeypatch.setattr(celery_app, "HAND_BACK_AFTER", 0.3)
    runtime = object.__new__(WorkerRuntime)
    runtime.settings = Settings(per_address=1)
    runtime.limits = redis.asyncio.Redis.from_url(redis_url)
    runtime.places = SharedPlaces(runtime.limits, 2, 60)
    runtime.executors, runtime.executors_lock = {}, threading.Lock()
    runtime.loop = asyncio.new_event_loop()
    thread = threading.Thread(target=runtime.loop.run_forever, daemon=True)
    thread.start()
    yield runtime
    asyncio.run_coroutine_threadsafe(runtime.limits.flushall(), runtime.loop).result()
    runtime.loop.call_soon_threadsafe(runtime.loop.stop)
    thread.join()


def test_a_worker_runs_a_test_whose_addresses_have_room_and_gives_its_places_back(
        worker: WorkerRuntime) -> None:
    executor = Recorded([WEB, WEB6])
    worker.executors[("2025", False)] = executor  # type: ignore[assignment]
    test = PlannedTest(1, "a.nl", "web", "www.a.nl")
    outcome = worker.in_turn(test, "2025", 1)
    assert outcome.test == test
    ran = executor.ran[0]
    assert isinstance(ran, Ready) and ran.addresses == (WEB, WEB6)  # looked up once
    in_flight = asyncio.run_coroutine_threadsafe(worker.places.in_flight(WEB), worker.loop)
    assert in_flight.result() == 0


def test_a_worker_hands_back_a_test_whose_address_is_full(worker: WorkerRuntime) -> None:
    executor = Recorded([WEB])
    worker.executors[("2025", False)] = executor  # type: ignore[assignment]
    others = SharedPlaces(worker.limits, 2, 60)  # the places as other workers see them

    def take() -> str | None:
        return asyncio.run_coroutine_threadsafe(others.take([WEB]), worker.loop).result()

    held = [take(), take()]  # two tests of WEB in flight on other workers: the cap
    assert all(held)
    with pytest.raises(Reject) as handed:
        worker.in_turn(PlannedTest(2, "b.nl", "web", "www.b.nl"), "2025", 1)
    assert handed.value.requeue is True
    assert executor.ran == []  # not run: back to the end of the queue
    asyncio.run_coroutine_threadsafe(others.give_back([WEB], str(held[0])),
                                     worker.loop).result()
    worker.in_turn(PlannedTest(2, "b.nl", "web", "www.b.nl"), "2025", 1)  # room again
    assert len(executor.ran) == 1
