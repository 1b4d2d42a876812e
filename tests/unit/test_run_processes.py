"""How many runner processes a round gets, and what each part may do at once."""

from __future__ import annotations

import os

from meting.run.processes import MIN_TESTS_PER_PROCESS, how_many, share
from meting.settings import Settings


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
