"""The order of a round's tests by server address (``meting.run.dispatch``), without the
network: the queue's choices, and the executor handing out tests by it."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from meting.probe import politeness
from meting.run.dispatch import AddressQueue, cap
from meting.run.executor import AsyncioExecutor, Outcome, Ready
from meting.settings import Settings
from meting.store import PlannedTest

JUDGED: dict[str, Any] = {"columns": {}, "subtests": {}}


def test_the_most_shared_address_starts_first_and_the_rest_start_while_it_is_full() -> None:
    queue: AddressQueue[str] = AddressQueue(2)
    queue.add("a1", ["192.0.2.1"])
    for n in range(6):
        queue.add(f"x{n}", ["192.0.2.9"])
    queue.add("b1", ["192.0.2.2"])
    queue.add("c1", ["2001:db8::3"])
    started = [queue.next() for _ in range(6)]
    # the shared address up to its limit, then every other address, then nothing
    assert started == ["x0", "x1", "a1", "b1", "c1", None]
    assert queue.in_flight("192.0.2.9") == 2 and queue.waiting == 4
    queue.done("x0")
    assert queue.next() == "x2"
    assert queue.next() is None


def test_a_test_with_several_addresses_waits_until_each_has_room() -> None:
    queue: AddressQueue[str] = AddressQueue(1)
    queue.add("v4", ["192.0.2.1"])
    queue.add("both", ["192.0.2.1", "2001:db8::1"])
    queue.add("v6", ["2001:db8::1"])
    assert queue.next() == "v4"
    assert queue.next() == "v6"  # "both" has no room on 192.0.2.1
    assert queue.next() is None
    queue.done("v4")
    assert queue.next() is None  # 2001:db8::1 is still taken by "v6"
    queue.done("v6")
    assert queue.next() == "both"
    assert queue.in_flight("192.0.2.1") == 1 and queue.in_flight("2001:db8::1") == 1


def test_a_test_without_addresses_starts_at_once() -> None:
    queue: AddressQueue[str] = AddressQueue(1)
    queue.add("x0", ["192.0.2.9"])
    queue.add("x1", ["192.0.2.9"])
    queue.add("nxdomain", [])
    assert [queue.next(), queue.next(), queue.next()] == ["x0", "nxdomain", None]


def test_every_test_is_handed_out_once_and_no_address_goes_over_its_limit() -> None:
    rng = random.Random(20)
    addresses = [f"192.0.2.{n}" for n in range(1, 8)]
    queue: AddressQueue[int] = AddressQueue(3)
    owned: dict[int, list[str]] = {}
    for test in range(400):
        owned[test] = rng.sample(addresses[:2] if test % 3 else addresses, rng.randint(0, 2))
        queue.add(test, owned[test])
    running: list[int] = []
    handed: list[int] = []
    while len(handed) < 400:
        test = queue.next()
        if test is None or (running and rng.random() < 0.4):
            if test is not None:
                handed.append(test)
                running.append(test)
            assert running, "nothing runs, yet nothing can start"
            queue.done(running.pop(rng.randrange(len(running))))
        else:
            handed.append(test)
            running.append(test)
        for address in addresses:
            assert queue.in_flight(address) <= 3
    assert sorted(handed) == list(range(400))


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        AddressQueue(0)
    assert cap(4) == 8


SHARED = "192.0.2.9"


def round_events(by_address: bool) -> tuple[list[str], dict[str, int], dict[str, int]]:
    """A round of 30 tests on one shared address then 6 on addresses of their own, run
    by the executor with a stand-in test that holds the politeness slot of its address
    for a few turns of the event loop; (the order tests finished in, the peak exchanges
    at once per address, the peak tests in flight per address)."""
    tests = [PlannedTest(n, f"d{n}.nl", "web", f"www.d{n}.nl") for n in range(36)]
    address = {t.test_id: SHARED if t.test_id < 30 else f"192.0.2.{t.test_id}" for t in tests}
    exchanges: dict[str, int] = {}
    in_flight: dict[str, int] = {}
    peaks: tuple[dict[str, int], dict[str, int]] = ({}, {})

    async def hold(counts: dict[str, int], peak: dict[str, int], key: str, delta: int) -> None:
        counts[key] = counts.get(key, 0) + delta
        peak[key] = max(peak.get(key, 0), counts[key])

    async def perform(test: PlannedTest) -> tuple[dict[str, Any], dict[str, Any]]:
        where = address[test.test_id]
        await hold(in_flight, peaks[1], where, 1)
        for _ in range(3):  # three exchanges in sequence, as a TLS scan makes
            async with politeness.slot(where):
                await hold(exchanges, peaks[0], where, 1)
                for _ in range(4):
                    await asyncio.sleep(0)
                await hold(exchanges, peaks[0], where, -1)
        await hold(in_flight, peaks[1], where, -1)
        return {"kind": "web", "target": test.target}, JUDGED

    async def lookup(test: PlannedTest) -> Ready:
        return Ready(test, [address[test.test_id]] if by_address else [])

    finished: list[Outcome] = []
    settings = Settings(concurrency=12, per_address=2, retries=0)
    executor = AsyncioExecutor(settings, perform=perform, lookup=lookup)
    asyncio.run(executor.run(tests, finished.append))
    kinds = ["shared" if address[o.test.test_id] == SHARED else "own" for o in finished]
    return kinds, peaks[0], peaks[1]


def test_tests_of_other_addresses_finish_while_the_shared_address_is_at_its_limit() -> None:
    kinds, exchanges, in_flight = round_events(by_address=True)
    assert len(kinds) == 36
    # every test of another address is done before a third of the shared ones are
    assert "own" not in kinds[10:]
    assert max(exchanges.values()) <= 2  # the politeness limit is kept
    assert in_flight[SHARED] <= cap(2)  # the shared address did not take the round's places
    assert exchanges[SHARED] == 2  # and it was kept at its limit


def test_in_planned_order_the_shared_address_holds_up_the_others() -> None:
    """The same round without looking up addresses (the order before dispatch): the
    tests of the other addresses wait behind those of the shared one."""
    kinds, exchanges, in_flight = round_events(by_address=False)
    # they start only when 30 - 12 shared tests have ended and given back their places
    assert kinds.index("own") >= 18
    assert max(exchanges.values()) <= 2
    assert in_flight[SHARED] == 12  # every place of the round taken by the shared address


def test_runner_processes_share_every_server_s_tests() -> None:
    """Parts split by domain: with web and mail tests planned one after the other, a
    split by test id would give one process every web test (and a shared web server
    half its politeness limit)."""
    from meting.run.round import Part

    tests = [PlannedTest(2 * n + k + 1, f"d{n}.nl", kind, f"www.d{n}.nl")
             for n in range(200) for k, kind in enumerate(("web", "mail"))]
    parts = [Part(i, 2).select(tests) for i in range(2)]
    assert sorted(t.test_id for p in parts for t in p) == [t.test_id for t in tests]
    for part in parts:
        web = [t for t in part if t.kind == "web"]
        assert 60 <= len(web) <= 140  # about half of the web tests, not all or none
        assert {t.domain for t in web} == {t.domain for t in part if t.kind == "mail"}
