"""Storing and following a round's results: the bar of a round on several processes
counts each result once; evidence written once is still checked when stored."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from meting.evidence import EvidenceError
from meting.run.command import Follower
from meting.run.console import RoundProgress, status_counts
from meting.run.executor import Outcome
from meting.run.retry import not_testable_evidence
from meting.store import PlannedTest, Store, codec
from tests.store.helpers import entry, judged


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'meting.db'}") as opened:
        opened.import_entries([entry(f"d{i}.nl", f"Gemeente {i}") for i in range(4)])
        yield opened


def save(store: Store, test: PlannedTest, status: str) -> Outcome:
    """Store a result as a runner process does; the outcome it reports."""
    evidence = not_testable_evidence(test.kind, test.target, ["x"])
    store.save_result(test.test_id, evidence, judged({"dnssec": status}))
    return Outcome(test, evidence, judged({"dnssec": status}), 1, 0.1)


def test_the_bar_counts_every_result_once_whoever_stored_it(store: Store) -> None:
    round_id = store.create_round(None, "current", label="r")
    store.plan_round(round_id)
    tests = store.pending_tests(round_id)
    save(store, tests[0], "passed")  # done before this run
    progress = RoundProgress(Console(file=io.StringIO()), store.round(round_id))
    follow = Follower(store, round_id, progress)
    follow()
    assert progress.counts == {"passed": 1}  # the earlier result is not counted again
    own = save(store, tests[1], "failed")
    progress.stored(own, True)  # this process's result
    save(store, tests[2], "warning")  # another process's
    follow()
    follow()
    save(store, tests[3], "passed")
    follow()
    assert progress.counts == status_counts(store.round(round_id))
    assert progress.counts == {"passed": 2, "failed": 1, "warning": 1}
    task = progress.progress.tasks[0]
    assert task.completed == 4


def test_evidence_written_once_is_still_checked_before_it_is_stored(store: Store) -> None:
    round_id = store.create_round(None, "current", label="r")
    store.plan_round(round_id)
    first, second = store.pending_tests(round_id)[:2]
    evidence = not_testable_evidence(first.kind, first.target, ["x"])
    assert store.save_result(first.test_id, evidence, judged({"dnssec": "passed"}),
                             raw=codec.as_json(evidence))
    assert next(r for r in store.results(round_id, with_evidence=True)).evidence == evidence
    wrong = codec.as_json({**evidence, "not_testable": "yes"})  # not what the schema says
    with pytest.raises(EvidenceError):
        store.save_result(second.test_id, evidence, judged({"dnssec": "passed"}), raw=wrong)
    assert store.round(round_id).done == 1
