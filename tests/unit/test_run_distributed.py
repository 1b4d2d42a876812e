"""The distributed runner's parts that need no broker: outcomes stored by workers, watching."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from rich.console import Console

from meting.run.celery_app import DistributedError, check_shared, visibility_timeout
from meting.run.distributed import stored_outcome, watch
from meting.run.executor import Outcome, Report
from meting.run.retry import not_testable_evidence
from meting.run.round import run_to_end
from meting.settings import Settings
from meting.store import PlannedTest, Store
from tests.store.helpers import entry, judged


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'meting.db'}") as opened:
        opened.import_entries([entry("a.nl"), entry("b.nl", "Gemeente B")])
        yield opened


def planned_round(store: Store) -> int:
    round_id = store.create_round("kerndomeinen", "current", label="r")
    store.plan_round(round_id)
    return round_id


def store_as_worker(store: Store, test: PlannedTest) -> None:
    status = "not_testable" if test.domain == "b.nl" else "passed"
    store.save_result(test.test_id, not_testable_evidence(test.kind, test.target, ["x"]),
                      judged({"dnssec": status}))


class WorkersExecutor:
    """Stands in for the Celery executor: the 'workers' store, the runner only reports."""

    name = "celery"

    def __init__(self, store: Store, round_id: int) -> None:
        self.store, self.round_id = store, round_id

    async def run(self, tests: Sequence[PlannedTest], report: Report,
                  spare: Sequence[PlannedTest] = ()) -> None:
        for test in tests:
            store_as_worker(self.store, test)
        results = {r.test_id: r for r in self.store.results(self.round_id)}
        for test in tests:
            report(stored_outcome(test, results[test.test_id]))


def test_outcomes_stored_by_workers_count_as_new_and_finish_the_round(store: Store) -> None:
    round_id = planned_round(store)
    seen: list[tuple[Outcome, bool]] = []
    info = run_to_end(store, round_id, WorkersExecutor(store, round_id),
                      lambda outcome, new: seen.append((outcome, new)))
    assert info.state == "finished" and info.done == info.planned == 4
    assert [new for _, new in seen] == [True] * 4
    not_testable = {o.test.domain for o, _ in seen if o.not_testable}
    assert not_testable == {"b.nl"}
    assert all(o.judged["columns"]["dnssec"]["status"] in ("passed", "not_testable")
               for o, _ in seen)


def test_watching_follows_the_store_until_every_test_is_done(store: Store) -> None:
    round_id = planned_round(store)
    pending = store.pending_tests(round_id)
    store_as_worker(store, pending[0])
    others = threading.Thread(target=lambda: [store_as_worker(store, t) for t in pending[1:]])
    out = io.StringIO()
    others.start()
    try:
        info = watch(Console(file=out, width=120), store, round_id, every=0.05)
    finally:
        others.join()
    assert info.done == info.planned == 4
    assert "4/4" in out.getvalue()


def test_a_distributed_round_needs_a_store_other_machines_share() -> None:
    with pytest.raises(DistributedError, match="PostgreSQL"):
        check_shared(Settings(database="sqlite:///meting.db"))
    check_shared(Settings(database="postgresql+psycopg://meting@db/meting"))


def test_a_lost_test_is_handed_out_again_only_after_its_longest_possible_run() -> None:
    settings = Settings(test_budget=100, retries=2, retry_backoff=5)
    # three attempts of 100 s, 5 + 10 s of backoff between them, and a margin
    assert visibility_timeout(settings) > 3 * 100 + 15
