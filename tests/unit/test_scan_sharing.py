"""Sharing a round's TLS scans of one server between tests (probe/scan_sharing.py).

The scans here are dictionaries made by the test, not network behaviour: what is tested
is which test scans, which receives a copy, and when a scan is made again. That the
verdicts of a round stay those expected with sharing on is proven against the lab's
servers (tests/lab/test_run.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from meting.evidence.models import TlsScan
from meting.probe import politeness, scan_sharing
from meting.probe.scan_sharing import ServerKey, SharedScans

KEY = ServerKey.of("192.0.2.25", 25, "MX.Example.NL.", "smtp", "")


def complete_scan(handshakes: int = 12) -> dict[str, Any]:
    return {"address": "192.0.2.25", "port": 25, "server_name": "mx.example.nl",
            "starttls": "smtp", "connected": True, "starttls_offered": True,
            "handshake_error": None, "chain": [], "handshakes": handshakes,
            "mode": "economical", "buckets": 1, "scanned_at": "2026-12-01T03:00:00+00:00",
            "versions": {"TLSv1.3": True, "TLSv1.2": False}, "ciphers": {"TLSv1.3": {}}}


class Scanner:
    """Makes scans, counting them; ``gate`` holds each scan until released."""

    def __init__(self, result: dict[str, Any] | None = None) -> None:
        self.made = 0
        self.result = result or complete_scan()
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self) -> dict[str, Any]:
        self.made += 1
        await self.gate.wait()
        return dict(self.result)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_key_is_the_whole_target_with_the_name_as_dns_compares_it() -> None:
    assert ServerKey.of("192.0.2.25", 25, "mx.example.nl", "smtp", "") == KEY
    assert ServerKey.of("192.0.2.25", 25, "mx2.example.nl", "smtp", "") != KEY
    assert ServerKey.of("192.0.2.26", 25, "mx.example.nl", "smtp", "") != KEY
    assert ServerKey.of("192.0.2.25", 465, "mx.example.nl", "smtp", "") != KEY
    assert ServerKey.of("192.0.2.25", 25, "mx.example.nl", None, "") != KEY
    assert ServerKey.of("192.0.2.25", 25, "mx.example.nl", "smtp", "/roots.pem") != KEY


def test_a_second_test_receives_the_scan_marked_shared_without_handshakes() -> None:
    async def two() -> tuple[dict[str, Any], dict[str, Any], int]:
        shared, scanner = SharedScans(600), Scanner()
        first = await shared.scan(KEY, scanner)
        second = await shared.scan(KEY, scanner)
        return first, second, scanner.made

    first, second, made = asyncio.run(two())
    assert made == 1
    assert "shared" not in first and first["handshakes"] == 12
    assert second["handshakes"] == 0 and second["shared"] == {"handshakes": 12}
    assert second["scanned_at"] == first["scanned_at"]
    assert {k: v for k, v in second.items() if k not in ("handshakes", "shared")} == \
        {k: v for k, v in first.items() if k != "handshakes"}
    TlsScan.model_validate(second)  # the evidence schema knows the field


def test_tests_that_ask_while_the_scan_runs_wait_for_it() -> None:
    async def many() -> tuple[list[dict[str, Any]], int, int]:
        shared, scanner = SharedScans(600), Scanner()
        scanner.gate.clear()
        tasks = [asyncio.create_task(shared.scan(KEY, scanner)) for _ in range(5)]
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert scanner.made == 1
        scanner.gate.set()
        return list(await asyncio.gather(*tasks)), scanner.made, shared.hits

    scans, made, hits = asyncio.run(many())
    assert made == 1 and hits == 4
    assert sum("shared" in s for s in scans) == 4


def test_a_copy_is_not_changed_by_what_another_test_does_with_its_own() -> None:
    async def two() -> tuple[dict[str, Any], dict[str, Any]]:
        shared, scanner = SharedScans(600), Scanner()
        first = await shared.scan(KEY, scanner)
        first["ciphers"]["TLSv1.3"]["changed"] = ["by the first test"]
        return first, await shared.scan(KEY, scanner)

    _, second = asyncio.run(two())
    assert second["ciphers"] == {"TLSv1.3": {}}


@pytest.mark.parametrize("failed", [
    {"connected": False, "connect_error": "timed out"},
    {"handshake_error": "the TLS exchange broke off"},
    {"versions": {"TLSv1.3": False, "TLSv1.2": False}},
    {"versions": None},
])
def test_a_scan_that_failed_is_made_again_by_the_next_test(failed: dict[str, Any]) -> None:
    async def two() -> int:
        shared, scanner = SharedScans(600), Scanner(complete_scan() | failed)
        await shared.scan(KEY, scanner)
        await shared.scan(KEY, scanner)
        return scanner.made

    assert asyncio.run(two()) == 2


def test_a_scan_older_than_max_age_is_made_again() -> None:
    clock = Clock()

    async def over_time() -> list[int]:
        shared, scanner = SharedScans(600, clock=clock), Scanner()
        made = []
        for step in (0, 600, 1):  # at 0, at 600 (still shared), at 601 (too old)
            clock.now += step
            await shared.scan(KEY, scanner)
            made.append(scanner.made)
        return made

    assert asyncio.run(over_time()) == [1, 1, 2]


def test_when_the_scanning_test_is_cancelled_a_waiting_test_scans_itself() -> None:
    async def cancelled_first() -> tuple[dict[str, Any], int]:
        shared, scanner = SharedScans(600), Scanner()
        scanner.gate.clear()
        first = asyncio.create_task(shared.scan(KEY, scanner))
        await asyncio.sleep(0)
        waiting = asyncio.create_task(shared.scan(KEY, scanner))
        await asyncio.sleep(0)
        first.cancel()
        await asyncio.sleep(0)
        scanner.gate.set()
        return await waiting, scanner.made

    scan, made = asyncio.run(cancelled_first())
    assert made == 2 and "shared" not in scan and scan["handshakes"] == 12


def test_waiting_for_another_test_s_scan_moves_the_budget_on() -> None:
    async def waits() -> float:
        shared, scanner = SharedScans(600), Scanner()
        scanner.gate.clear()
        first = asyncio.create_task(shared.scan(KEY, scanner))
        await asyncio.sleep(0)
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(60) as budget:
            deadline = budget.when()
            assert deadline is not None
            with politeness.counting(budget):
                waiting = asyncio.create_task(shared.scan(KEY, scanner))
                loop.call_later(0.05, scanner.gate.set)
                await waiting
            moved = budget.when()
        await first
        assert moved is not None
        return moved - deadline

    assert asyncio.run(waits()) >= 0.04


def test_the_number_of_scans_kept_is_bounded() -> None:
    async def fill() -> int:
        shared, scanner = SharedScans(600, max_entries=3), Scanner()
        for n in range(5):
            await shared.scan(ServerKey.of(f"192.0.2.{n}", 25, "mx", "smtp", ""), scanner)
        return shared.size

    assert asyncio.run(fill()) == 3


def test_nothing_is_shared_unless_a_round_installs_sharing() -> None:
    assert scan_sharing.current() is None
    shared = SharedScans(600)
    with scan_sharing.use(shared):
        assert scan_sharing.current() is shared
    assert scan_sharing.current() is None


def test_rounds_share_scans_and_re_tests_do_not() -> None:
    import threading

    import redis.asyncio

    from meting.run.celery_app import WorkerRuntime
    from meting.run.executor import AsyncioExecutor
    from meting.settings import Settings

    assert isinstance(AsyncioExecutor(Settings()).shared_scans, SharedScans)
    assert AsyncioExecutor(Settings(), share_scans=False).shared_scans is None
    assert AsyncioExecutor(Settings(tls_scan_sharing=0)).shared_scans is None
    # a Celery worker keeps an executor per norm for tests and another for re-tests
    worker = object.__new__(WorkerRuntime)
    worker.settings, worker.routing = Settings(), None
    worker.executors, worker.executors_lock = {}, threading.Lock()
    worker.limits = redis.asyncio.Redis()  # not connected to: no slot is asked here
    assert isinstance(worker.executor("2025").shared_scans, SharedScans)
    assert worker.executor("2025", retest=True).shared_scans is None
    assert worker.executor("2025") is not worker.executor("2025", retest=True)


def test_the_review_runs_re_tests_without_shared_scans() -> None:
    from meting.review.retest import retest_executor
    from meting.settings import Settings

    assert retest_executor(Settings()).shared_scans is None
