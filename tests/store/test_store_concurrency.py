"""Two processes saving results into one database at once lose nothing and store nothing twice."""

from __future__ import annotations

import multiprocessing
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

from sqlalchemy import func, select

from meting.store import Store
from meting.store.engine import make_engine
from meting.store.models import Evidence

from .helpers import entry, evidence, judged

DOMAINS = 80


def _save_all(url: str, test_ids: list[int], start: Barrier,
              saved: Queue[tuple[int, list[bool]]]) -> None:
    with Store.open(url) as store:
        start.wait()  # both writers open, then both write at once
        saved.put((test_ids[-1], [
            store.save_result(test_id, evidence("web", f"t{test_id}", "x" * 2000),
                              judged({"dnssec": "passed"}, {"dnssec_exists": "passed"}))
            for test_id in test_ids]))


def test_two_writers_lose_nothing_and_save_each_test_once(store_url: str) -> None:
    with Store.open(store_url) as store:
        store.import_entries([entry(f"d{i:03}.nl", line=i + 2) for i in range(DOMAINS)])
        round_id = store.create_round("kerndomeinen", "current")
        store.plan_round(round_id)
        ids = [t.test_id for t in store.pending_tests(round_id)]
    shared = ids[:10]  # both writers try these; exactly one may store each
    first, second = shared + ids[10::2], shared + ids[11::2]
    context = multiprocessing.get_context("spawn")
    start, saved = context.Barrier(2), context.Queue()
    writers = [context.Process(target=_save_all, args=(store_url, ids, start, saved))
               for ids in (first, second)]
    for writer in writers:
        writer.start()
    by_last = dict(saved.get(timeout=300) for _ in writers)
    for writer in writers:
        writer.join()
    assert [w.exitcode for w in writers] == [0, 0]
    saved_first, saved_second = by_last[first[-1]], by_last[second[-1]]
    assert all(saved_first[10:]) and all(saved_second[10:])
    assert [a + b for a, b in zip(saved_first[:10], saved_second[:10], strict=True)] == [1] * 10
    with Store.open(store_url) as store:
        info = store.round(round_id)
        assert (info.planned, info.done) == (2 * DOMAINS, 2 * DOMAINS)
        assert {r.test_id for r in store.results(round_id)} == set(ids)
        with store.engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(Evidence)) == 2 * DOMAINS


def _open_and_plan(url: str, start: Barrier, saved: Queue[tuple[int, list[bool]]]) -> None:
    start.wait()
    with Store.open(url) as store:
        saved.put((0, [store.domain_sets() == {}]))


OPENERS = 6  # two rarely collide; six did on SQLite's switch to WAL nearly every time


def test_processes_opening_a_new_database_at_once_all_get_the_schema(store_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    start, opened = context.Barrier(OPENERS), context.Queue()
    openers = [context.Process(target=_open_and_plan, args=(store_url, start, opened))
               for _ in range(OPENERS)]
    for opener in openers:
        opener.start()
    for opener in openers:
        opener.join(timeout=300)
    assert [o.exitcode for o in openers] == [0] * OPENERS
    answers = [opened.get(timeout=10) for _ in openers]
    assert answers == [(0, [True])] * OPENERS


def _connect(url: str, start: Barrier) -> None:
    engine = make_engine(url)
    start.wait()
    with engine.connect() as connection:  # the first connect switches the file to WAL
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_processes_connecting_to_a_new_sqlite_file_at_once_all_switch_it_to_wal(
        tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")  # fork: all reach the barrier together
    for attempt in range(10):  # one attempt collides about half the time
        url = f"sqlite:///{tmp_path / f'new-{attempt}.db'}"
        start = context.Barrier(OPENERS)
        openers = [context.Process(target=_connect, args=(url, start)) for _ in range(OPENERS)]
        for opener in openers:
            opener.start()
        for opener in openers:
            opener.join(timeout=120)
        assert [o.exitcode for o in openers] == [0] * OPENERS
