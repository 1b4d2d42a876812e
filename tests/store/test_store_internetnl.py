"""Internet.nl batch requests in the store, on SQLite and PostgreSQL: recorded before they
are sent, counted for the week, and imported as a round all or nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from meting.store import ImportedStatuses, Store, StoreError
from meting.store.internetnl import InternetnlStore, PlannedPart
from tests.store.helpers import entry


def _books(store: Store) -> InternetnlStore:
    store.import_entries([entry("aa.nl"), entry("bee.nl"), entry("cee.nl")])
    return InternetnlStore(store)


def test_a_batch_is_recorded_before_anything_is_sent(store: Store) -> None:
    books = _books(store)
    rows = books.plan_batch("inl", "web", "kerndomeinen", [
        PlannedPart("meting inl 1/2 x", {"www.aa.nl": "aa.nl", "www.bee.nl": "bee.nl"}),
        PlannedPart("meting inl 2/2 x", {"www.cee.nl": "cee.nl"})])
    assert [(r.part, r.parts, r.state, r.request_id) for r in rows] == [
        (1, 2, "planned", None), (2, 2, "planned", None)]
    week_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=7)
    assert books.sent_since(week_ago) == 0
    books.mark_submitting(rows[0].id)
    assert books.sent_since(week_ago) == 1
    books.record_sent(rows[0].id, "a" * 32, "registering")
    books.mark_submitting(rows[1].id)
    books.back_to_planned(rows[1].id)  # never registered at Internet.nl
    assert [(r.state, r.request_id) for r in books.requests("inl")] == [
        ("registering", "a" * 32), ("planned", None)]
    assert books.sent_since(week_ago) == 1
    assert books.batches(unfinished=True) == ["inl"]
    with pytest.raises(StoreError, match="is taken"):
        books.plan_batch("inl", "mail", None, [PlannedPart("other", {"aa.nl": "aa.nl"})])


def test_the_results_land_as_one_round_or_not_at_all(store: Store) -> None:
    books = _books(store)
    books.plan_batch("inl", "web", None, [PlannedPart("h", {"www.aa.nl": "aa.nl"})])
    said = {"hsts": {"nl": "Internet.nl-tests: …", "en": "Internet.nl tests: …"}}
    wrong = [ImportedStatuses("aa.nl", {"hsts": "failed"}, explanations=said),
             ImportedStatuses("onbekend.nl", {"hsts": "passed"})]
    with pytest.raises(StoreError, match="not in the registry"):
        books.import_batch("inl", "web", None, wrong, dt.date(2026, 11, 30))
    assert [r.label for r in store.rounds()] == []
    assert {r.state for r in books.requests("inl")} == {"planned"}

    info = books.import_batch("inl", "web", None, wrong[:1], dt.date(2026, 11, 30))
    assert (info.label, info.state, info.done) == ("inl", "finished", 1)
    [result] = store.results(info.id)
    assert result.columns == {"hsts": "failed"} and result.explanations == said
    assert {r.state for r in books.requests("inl")} == {"imported"}
    assert books.batches(unfinished=True) == []
