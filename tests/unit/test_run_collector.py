"""The garbage collector during a round (``run.collector``)."""

from __future__ import annotations

import gc

from meting.run.collector import YOUNGEST, round_collection


def test_a_round_freezes_the_heap_it_starts_with_and_gives_it_back_after() -> None:
    before = gc.get_threshold()
    kept = [[n] for n in range(1000)]  # alive when the round starts
    with round_collection():
        assert gc.get_freeze_count() >= len(kept)  # never walked while the round runs
        assert gc.get_threshold() == (YOUNGEST, before[1], before[2])
        cycle: list[object] = []
        cycle.append(cycle)  # garbage made during the round is still collected
        del cycle
        assert gc.collect() >= 1
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
