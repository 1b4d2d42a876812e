"""Runner processes of one round share its work through claims (``meting.run.claims``)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

from meting.run.claims import GRACE_SECONDS, Claims, held_directory, remove_abandoned
from meting.run.executor import AsyncioExecutor, Outcome
from meting.run.round import Part
from meting.settings import Settings
from meting.store import PlannedTest

JUDGED: dict[str, Any] = {"columns": {}, "subtests": {}}


def planned(n: int) -> PlannedTest:
    return PlannedTest(n, f"d{n}.nl", "web", f"www.d{n}.nl")


def test_a_test_is_claimed_by_the_first_process_only(tmp_path: Path) -> None:
    first, second = Claims(tmp_path), Claims(tmp_path)
    assert not first.taken(5)
    assert first.take(5)
    assert not second.take(5) and not first.take(5)
    assert second.taken(5) and not second.taken(6)


def test_a_part_offers_the_other_parts_tests_only_with_claims(tmp_path: Path) -> None:
    tests = [planned(n) for n in range(40)]
    alone, shared = Part(0, 2), Part(0, 2, str(tmp_path))
    own = alone.select(tests)
    assert alone.spare(tests) == []
    assert shared.select(tests) == own
    spare = shared.spare(tests)
    assert sorted(t.test_id for t in own + spare) == list(range(40))
    assert not set(own) & set(spare)
    assert spare == sorted(spare, key=lambda t: -t.test_id)  # the last planned first


def two_processes(claims: Claims | None, own: list[list[PlannedTest]]
                  ) -> tuple[list[list[Outcome]], Counter[int]]:
    """Two executors on one event loop as two processes of a round: each with its own
    tests and the other's as spare; the outcomes of each and how often each test ran."""
    runs: Counter[int] = Counter()

    async def perform(test: PlannedTest) -> tuple[dict[str, Any], dict[str, Any]]:
        runs[test.test_id] += 1
        await asyncio.sleep(0.001)
        return {"kind": test.kind, "target": test.target}, JUDGED

    outcomes: list[list[Outcome]] = [[], []]
    settings = Settings(concurrency=2, per_address=2)
    executors = [AsyncioExecutor(settings, perform=perform, claims=claims) for _ in own]

    async def both() -> None:
        await asyncio.gather(*(executors[i].run(own[i], outcomes[i].append, own[1 - i][::-1])
                               for i in range(2)))

    asyncio.run(both())
    return outcomes, runs


def test_a_process_done_with_its_own_tests_takes_those_nobody_started(tmp_path: Path) -> None:
    light, heavy = [planned(n) for n in range(4)], [planned(n) for n in range(4, 40)]
    outcomes, runs = two_processes(Claims(tmp_path), [light, heavy])
    assert runs == Counter(range(40))  # every test ran, and once
    done = [sorted(o.test.test_id for o in found) for found in outcomes]
    assert sorted(done[0] + done[1]) == list(range(40))
    assert set(range(4)) <= set(done[0])  # its own first
    assert len(done[0]) > 4  # and then some of the heavy part's
    assert all(n >= 4 for n in done[1])  # none of the light part's were left to take


def test_without_claims_each_process_runs_only_its_own_tests() -> None:
    light, heavy = [planned(n) for n in range(4)], [planned(n) for n in range(4, 12)]
    outcomes, runs = two_processes(None, [light, heavy])
    assert runs == Counter(range(12))
    assert [sorted(o.test.test_id for o in found) for found in outcomes] == [
        list(range(4)), list(range(4, 12))]


def hold(round_id: int, base: str, made: multiprocessing.Queue[str]) -> None:
    with held_directory(round_id, base) as directory:
        Claims(directory).take(1)
        made.put(directory)
        time.sleep(600)


def command_holding(round_id: int, base: Path) -> tuple[multiprocessing.process.BaseProcess,
                                                        Path]:
    """A process holding a claims directory, as a running command does."""
    forking = multiprocessing.get_context("fork")
    made: multiprocessing.Queue[str] = forking.Queue()
    proc = forking.Process(target=hold, args=(round_id, str(base), made))
    proc.start()
    return proc, Path(made.get(timeout=30))


def age(directory: Path) -> None:
    past = time.time() - GRACE_SECONDS - 5
    os.utime(directory, (past, past))


def test_the_claims_of_a_killed_command_are_removed_by_the_next(tmp_path: Path) -> None:
    killed, abandoned = command_holding(1, tmp_path)
    running, held = command_holding(2, tmp_path)
    try:
        killed.kill()  # SIGKILL: no clean-up
        killed.join()
        assert (abandoned / "1").exists()  # a killed command cannot clean up
        for directory in (abandoned, held):
            age(directory)
        unlocked_young = tmp_path / "meting-round-3-x-claims"
        unlocked_young.mkdir()  # made, its lock not yet taken
        other = tmp_path / "meting-round-4-x-other"
        other.mkdir()
        age(other)
        with held_directory(5, str(tmp_path)) as mine:
            assert Path(mine).is_dir()
            assert not abandoned.exists()
            assert held.exists() and (held / "1").exists()  # its command runs
            assert unlocked_young.exists() and other.exists()
        assert not Path(mine).exists()
        age(unlocked_young)
        assert remove_abandoned(tmp_path) == [unlocked_young]
    finally:
        running.kill()
        running.join()
    assert remove_abandoned(tmp_path) == [held]  # its command is gone now
