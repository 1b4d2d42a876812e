"""The runner's pieces without the network: limits, backoff, retries, shared DNS answers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from meting.checks.tests import MAIL_COLUMNS, WEB_COLUMNS
from meting.probe import politeness
from meting.probe.evidence import DnsAnswer
from meting.probe.politeness import AddressLimiter, KeyedLimiter
from meting.run.executor import AsyncioExecutor, Outcome
from meting.run.retry import Backoff
from meting.run.shared_dns import RoundDnsClient, SharedAnswers
from meting.settings import Settings
from meting.store import PlannedTest, codec

JUDGED: dict[str, Any] = {"columns": {"dnssec": {"status": "passed"}}, "subtests": {}}


def planned(n: int, domain: str | None = None, kind: str = "web") -> PlannedTest:
    name = domain or f"d{n}.nl"
    return PlannedTest(n, name, kind, f"www.{name}" if kind == "web" else name)


class Peak:
    """Counts holders at once, per key, while tasks yield to each other."""

    def __init__(self) -> None:
        self.now: dict[str, int] = {}
        self.peak: dict[str, int] = {}

    async def hold(self, key: str, turns: int = 5) -> None:
        self.now[key] = self.now.get(key, 0) + 1
        self.peak[key] = max(self.peak.get(key, 0), self.now[key])
        for _ in range(turns):
            await asyncio.sleep(0)
        self.now[key] -= 1


def test_keyed_limiter_bounds_each_key_and_forgets_idle_keys() -> None:
    limiter, peak = KeyedLimiter(2), Peak()

    async def one(key: str) -> None:
        async with limiter.slot(key):
            await peak.hold(key)

    async def main() -> None:
        await asyncio.gather(*(one(k) for k in ["a"] * 10 + ["b"] * 3 + ["c"]))

    asyncio.run(main())
    assert peak.peak == {"a": 2, "b": 2, "c": 1}
    assert limiter.keys == 0


def test_a_cancelled_waiter_leaves_no_slot_and_no_key_behind() -> None:
    limiter = KeyedLimiter(1)

    async def main() -> tuple[int, int]:
        release = asyncio.Event()

        async def holder() -> None:
            async with limiter.slot("a"):
                await release.wait()

        held = asyncio.create_task(holder())
        await asyncio.sleep(0)
        waiting = asyncio.create_task(one_slot(limiter, "a"))
        await asyncio.sleep(0)
        users = limiter.busy("a")
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        after_cancel = limiter.busy("a")
        release.set()
        await held
        await one_slot(limiter, "a")  # the holder's slot came back, not the waiter's
        return users, after_cancel

    assert asyncio.run(main()) == (2, 1)
    assert limiter.keys == 0


async def one_slot(limiter: KeyedLimiter, key: str) -> None:
    async with limiter.slot(key):
        await asyncio.sleep(0)


def test_limiter_refuses_a_limit_below_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        KeyedLimiter(0)


def test_probe_slots_are_free_without_a_limiter_and_bounded_with_one() -> None:
    peak = Peak()

    async def one(address: str) -> None:
        async with politeness.slot(address):
            await peak.hold(address)

    async def main() -> None:
        await asyncio.gather(*(one("192.0.2.1") for _ in range(6)))
        free = peak.peak["192.0.2.1"]
        peak.peak.clear()
        with politeness.use(AddressLimiter(3)):
            await asyncio.gather(*(one("192.0.2.1") for _ in range(6)))
        assert free == 6

    asyncio.run(main())
    assert peak.peak["192.0.2.1"] == 3


def test_backoff_doubles_up_to_the_cap_and_stops_after_the_retries() -> None:
    backoff = Backoff(retries=4, base=5.0, cap=15.0)
    assert [backoff.delay(n) for n in range(1, 6)] == [5.0, 10.0, 15.0, 15.0, None]
    assert Backoff(retries=0, base=5.0).delay(1) is None


def run_executor(settings: Settings, tests: list[PlannedTest],
                 perform: Any) -> tuple[list[Outcome], list[float]]:
    outcomes: list[Outcome] = []
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    executor = AsyncioExecutor(settings, perform=perform, sleep=sleep)
    asyncio.run(executor.run(tests, outcomes.append))
    return outcomes, slept


def test_a_failing_attempt_is_retried_after_backoff_and_the_result_keeps_the_failures() -> None:
    calls: dict[int, int] = {}

    async def perform(test: PlannedTest) -> tuple[dict[str, Any], dict[str, Any]]:
        calls[test.test_id] = calls.get(test.test_id, 0) + 1
        if test.test_id == 1 and calls[1] < 3:
            raise ConnectionResetError("reset by peer")
        return {"kind": test.kind, "target": test.target}, JUDGED

    settings = Settings(retries=2, retry_backoff=5.0)
    outcomes, slept = run_executor(settings, [planned(1), planned(2)], perform)
    by_id = {o.test.test_id: o for o in outcomes}
    assert sorted(by_id) == [1, 2] and len(outcomes) == 2
    assert slept == [5.0, 10.0]
    assert by_id[1].attempts == 3 and by_id[1].judged == JUDGED
    assert by_id[1].evidence["failed_attempts"] == ["ConnectionResetError: reset by peer"] * 2
    assert by_id[2].attempts == 1 and "failed_attempts" not in by_id[2].evidence
    # the JSON written to bound the evidence is what the store keeps, unless it changed
    assert by_id[2].raw == codec.as_json(by_id[2].evidence)
    assert by_id[1].raw is None


def test_a_test_that_always_overruns_ends_not_testable_in_every_column() -> None:
    async def perform(test: PlannedTest) -> tuple[dict[str, Any], dict[str, Any]]:
        raise TimeoutError

    settings = Settings(retries=1, retry_backoff=1.0, test_budget=7.0)
    outcomes, slept = run_executor(settings, [planned(1), planned(2, kind="mail")], perform)
    assert slept == [1.0, 1.0]
    for outcome in outcomes:
        columns = WEB_COLUMNS if outcome.test.kind == "web" else MAIL_COLUMNS
        assert outcome.not_testable and outcome.attempts == 2
        assert set(outcome.judged["columns"]) == set(columns)
        for column in outcome.judged["columns"].values():
            assert column["status"] == "not_testable"
            assert "within the test budget of 7 s" in column["explanation"]["en"]
            assert column["explanation"]["nl"]
        assert outcome.evidence["not_testable"]["attempts"] == [
            "did not finish within the test budget of 7 s"] * 2


def test_concurrency_and_tests_per_domain_are_bounded() -> None:
    peak = Peak()

    async def perform(test: PlannedTest) -> tuple[dict[str, Any], dict[str, Any]]:
        await asyncio.gather(peak.hold("all"), peak.hold(test.domain))
        return {}, JUDGED

    tests = [planned(i, "shared.nl") for i in range(10)] + [planned(i) for i in range(10, 40)]
    outcomes, _ = run_executor(Settings(concurrency=8, per_address=3), tests, perform)
    assert sorted(o.test.test_id for o in outcomes) == list(range(40))
    assert peak.peak["all"] == 8
    assert peak.peak["shared.nl"] == 3


def answer(name: str, rtype: str, answers: tuple[str, ...], rcode: str = "NOERROR",
           security: str = "insecure") -> DnsAnswer:
    return DnsAnswer(name, rtype, "198.18.0.53", rcode, False, False, answers, 1.0,
                     None if security != "error" else "timeout", security)  # type: ignore[arg-type]


def test_shared_answers_only_for_infrastructure_names_asked_once_and_errors_not_kept() -> None:
    clock = [0.0]
    shared = SharedAnswers(max_age=60, clock=lambda: clock[0])
    asked: list[str] = []

    def asker(name: str, security: str = "secure") -> Any:
        async def ask() -> DnsAnswer:
            asked.append(name)
            await asyncio.sleep(0)
            return answer(name, "A", ("198.18.1.1",), security=security)
        return ask

    shared.learn(answer("a.nl", "NS", ("ns1.hoster.nl.", "ns2.hoster.nl.")))
    shared.learn(answer("a.nl", "MX", ("10 mx.hoster.nl.",)))
    shared.learn(answer("b.nl", "MX", ("0 .",)))
    assert shared.covers("NS1.hoster.nl", "A") and shared.covers("mx.hoster.nl.", "AAAA")
    assert not shared.covers("www.a.nl", "A") and not shared.covers("ns1.hoster.nl", "TXT")

    async def main() -> None:
        got = await asyncio.gather(*(shared.get("ns1.hoster.nl", "A", asker("ns1"))
                                     for _ in range(5)))
        assert {g.answers for g in got} == {("198.18.1.1",)}
        await shared.get("ns2.hoster.nl", "A", asker("ns2", security="error"))
        await shared.get("ns2.hoster.nl", "A", asker("ns2"))
        clock[0] = 61
        await shared.get("ns1.hoster.nl", "A", asker("ns1"))

    asyncio.run(main())
    assert asked == ["ns1", "ns2", "ns2", "ns1"]


def test_a_mail_platform_and_its_spf_include_are_shared_but_never_a_tests_own_names(
        ) -> None:
    shared = SharedAnswers(max_age=60)
    shared.learn(answer("a.nl", "MX", ("10 mx-1.mailhost.nl.",)))
    shared.learn(answer("a.nl", "TXT", ('"v=spf1 include:spf.hoster.nl" " -all"',)))
    shared.learn(answer("spf.hoster.nl", "TXT", ('"v=spf1 redirect=_spf.hoster.net"',)))
    shared.learn(answer("b.nl", "TXT", ('"google-site-verification=include:x.nl"',)))
    covered = {(n, t) for n in ("mx-1.mailhost.nl", "_25._tcp.mx-1.mailhost.nl",
                                "mailhost.nl", "nl", "spf.hoster.nl", "_spf.hoster.net",
                                "x.nl", "a.nl")
               for t in ("A", "AAAA", "TLSA", "CAA", "TXT", "MX")
               if shared.covers(n, t)}
    assert covered == {("mx-1.mailhost.nl", "A"), ("mx-1.mailhost.nl", "AAAA"),
                       ("mx-1.mailhost.nl", "CAA"), ("mailhost.nl", "CAA"),
                       ("_25._tcp.mx-1.mailhost.nl", "TLSA"),
                       ("spf.hoster.nl", "TXT"), ("_spf.hoster.net", "TXT")}

    asked: list[tuple[str, str, str]] = []

    class Counting(RoundDnsClient):
        async def _ask(self, name: str, rtype: str) -> DnsAnswer:
            asked.append((self.own, name, rtype))
            return answer(name, rtype, ('"v=spf1 -all"',) if rtype == "TXT" else ())

    async def main() -> None:
        for domain in ("c.nl", "d.nl", "mailhost.nl"):
            client = Counting(Settings(), shared, domain)
            await client.query("spf.hoster.nl", "TXT")
            await client.query("mailhost.nl", "CAA")
            await client.query("mx-1.mailhost.nl", "A")

    asyncio.run(main())
    # asked once for the round, and again by the test of mailhost.nl: its own names
    assert asked == [("c.nl.", "spf.hoster.nl", "TXT"), ("c.nl.", "mailhost.nl", "CAA"),
                     ("c.nl.", "mx-1.mailhost.nl", "A"),
                     ("mailhost.nl.", "mailhost.nl", "CAA"),
                     ("mailhost.nl.", "mx-1.mailhost.nl", "A")]


def test_waiting_for_a_busy_address_moves_a_registered_budget_on() -> None:
    # Two tests want one slot for 0.3 s each within a budget of 0.5 s: the second waits
    # 0.3 s for its turn. Counted as its own time it would overrun; it is not.
    async def exchange() -> None:
        async with politeness.slot("192.0.2.7"):
            await asyncio.sleep(0.3)

    async def test(register: bool) -> str:
        try:
            async with asyncio.timeout(0.5) as budget:
                if register:
                    with politeness.counting(budget):
                        await exchange()
                else:
                    await exchange()
        except TimeoutError:
            return "overran"
        return "finished"

    async def main(register: bool) -> list[str]:
        with politeness.use(AddressLimiter(1)):
            return list(await asyncio.gather(test(register), test(register)))

    assert sorted(asyncio.run(main(register=True))) == ["finished", "finished"]
    assert sorted(asyncio.run(main(register=False))) == ["finished", "overran"]


def test_a_free_slot_leaves_the_budget_as_it_was() -> None:
    async def main() -> tuple[float | None, float | None]:
        with politeness.use(AddressLimiter(1)):
            async with asyncio.timeout(30) as budget:
                with politeness.counting(budget):
                    before = budget.when()
                    async with politeness.slot("192.0.2.7"):
                        pass
                    return before, budget.when()

    before, after = asyncio.run(main())
    assert before is not None and after == before
