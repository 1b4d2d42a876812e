"""How many runner processes a round gets, what each part may do at once, and the helper
processes that run the parts beside the command."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from meting.errors import OperationError
from meting.run.processes import (
    MIN_TESTS_PER_PROCESS,
    claims_base,
    how_many,
    run_parts,
    share,
)
from meting.run.retry import not_testable_evidence
from meting.run.round import Part, RoundInterrupted
from meting.settings import Settings
from meting.store import RoundInfo, Store
from tests.store.helpers import entry, judged


def test_every_core_by_default_when_the_round_is_big_enough() -> None:
    cores = os.cpu_count() or 1
    assert how_many(Settings(), 100 * MIN_TESTS_PER_PROCESS) == cores


def test_the_setting_overrides_the_cores() -> None:
    assert how_many(Settings(processes=3), 100 * MIN_TESTS_PER_PROCESS) == 3
    assert how_many(Settings(processes=1), 100 * MIN_TESTS_PER_PROCESS) == 1


def test_a_small_round_is_not_spread_thinner_than_the_minimum_per_process() -> None:
    assert how_many(Settings(processes=8), MIN_TESTS_PER_PROCESS) == 1
    assert how_many(Settings(processes=8), 2 * MIN_TESTS_PER_PROCESS + 1) == 3
    assert how_many(Settings(processes=8), 0) == 1


def test_the_parts_together_keep_the_rounds_limits() -> None:
    part = share(Settings(concurrency=200, per_address=4), 3)
    assert (part.concurrency, part.per_address) == (66, 1)
    assert share(Settings(concurrency=1, per_address=1), 4).concurrency == 1


# The helpers of a round on several processes: forked, each with its own database
# connection and streams; a failed one named; all stopped with the command.

@pytest.fixture
def planned(tmp_path: Path) -> Iterator[tuple[Store, RoundInfo]]:
    with Store.open(f"sqlite:///{tmp_path / 'meting.db'}") as store:
        store.import_entries([entry(f"d{i}.nl", f"Gemeente {i}") for i in range(8)])
        round_id = store.create_round(None, "current", label="r")
        store.plan_round(round_id)
        yield store, store.round(round_id)


def store_part(store: Store, part: Part) -> None:
    for test in part.select(store.pending_tests(store.round_by_label("r").id)):
        store.save_result(test.test_id, not_testable_evidence(test.kind, test.target, ["x"]),
                          judged({"dnssec": "passed"}))


def test_forked_helpers_store_their_parts_through_their_own_connection(
        planned: tuple[Store, RoundInfo], capfd: pytest.CaptureFixture[str]) -> None:
    store, info = planned
    url = str(store.engine.url)
    seen: list[Part] = []

    def own(settings: Settings, part: Part) -> RoundInfo:
        assert settings.concurrency == 2  # its share of 8 over three processes
        seen.append(part)
        store.set_round_state(info.id, "running")  # as run_round does
        store_part(store, part)
        return store.round(info.id)

    def helper(settings: Settings, part: Part) -> int:
        print("said by the helper")  # its output goes nowhere
        if settings.concurrency != 2:  # its share, like the command's own part
            return 3
        with Store.open(url, create=False) as own_store:
            store_part(own_store, part)
        return 0

    done = run_parts(store, info, Settings(concurrency=8), 3, own, helper, lambda: None,
                     contextlib.nullcontext)
    assert done.state == "finished" and done.done == done.planned == 16
    assert seen[0].index == 0 and seen[0].of == 3 and seen[0].claims is not None
    if claims_base() is not None:
        assert seen[0].claims.startswith(claims_base() + "/")
    assert not Path(seen[0].claims).exists()  # the claims go with the round's command
    assert "said by the helper" not in capfd.readouterr().out


def test_a_helper_that_failed_is_named_with_its_last_error_line(
        planned: tuple[Store, RoundInfo]) -> None:
    store, info = planned

    def helper(settings: Settings, part: Part) -> int:
        print("error: the database is locked", file=sys.stderr)
        return 1

    with pytest.raises(OperationError, match=r"runner process 2 of 2 ended with exit status "
                       r"1: error: the database is locked; every result stored is kept"):
        run_parts(store, info, Settings(), 2, lambda s, p: store.round(info.id), helper,
                  lambda: None, contextlib.nullcontext)


def test_ctrl_c_in_the_command_stops_its_helpers_and_interrupts_the_round(
        planned: tuple[Store, RoundInfo], tmp_path: Path) -> None:
    store, info = planned
    started = tmp_path / "helper-started"

    def helper(settings: Settings, part: Part) -> int:
        started.write_text(str(os.getpid()))
        time.sleep(120)  # until the command stops it
        return 0

    def own(settings: Settings, part: Part) -> RoundInfo:
        store.set_round_state(info.id, "running")
        while not started.exists():
            time.sleep(0.01)
        raise KeyboardInterrupt

    with pytest.raises(RoundInterrupted) as stopped:
        run_parts(store, info, Settings(), 2, own, helper, lambda: None,
                  contextlib.nullcontext)
    assert stopped.value.info.state == "interrupted"
    with pytest.raises(ProcessLookupError):  # stopped and reaped
        os.kill(int(started.read_text()), 0)
