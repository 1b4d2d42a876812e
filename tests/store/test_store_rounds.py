"""Rounds: creation, planning of tests and their targets, the round's life cycle."""

from __future__ import annotations

import datetime as dt

import pytest

from meting.store import PlannedTest, RoundStateError, Store, StoreError

from .helpers import entry

ENTRIES = [
    entry("voorbeeld.nl"),
    entry("portaal.nl", web_host="mijn.portaal.nl"),
    entry("alleenweb.nl", mail=False),
    entry("alleenmail.nl", web=False),
    entry("breed.nl", sets=("breed",)),
]


def _targets(store: Store, round_id: int) -> set[tuple[str, str, str]]:
    return {(t.domain, t.kind, t.target) for t in store.pending_tests(round_id)}


def test_planning_follows_roles_and_explicit_web_hosts(store: Store) -> None:
    store.import_entries(ENTRIES)
    round_id = store.create_round("kerndomeinen", "current")
    assert store.plan_round(round_id) == 6
    assert _targets(store, round_id) == {
        ("voorbeeld.nl", "web", "www.voorbeeld.nl"), ("voorbeeld.nl", "mail", "voorbeeld.nl"),
        ("portaal.nl", "web", "mijn.portaal.nl"), ("portaal.nl", "mail", "portaal.nl"),
        ("alleenweb.nl", "web", "www.alleenweb.nl"),
        ("alleenmail.nl", "mail", "alleenmail.nl"),
    }


def test_a_round_without_a_set_plans_every_domain(store: Store) -> None:
    store.import_entries(ENTRIES)
    round_id = store.create_round(None, "current")
    assert store.plan_round(round_id) == 8
    assert ("breed.nl", "mail", "breed.nl") in _targets(store, round_id)


def test_planning_is_idempotent_and_adds_only_what_is_missing(store: Store) -> None:
    store.import_entries(ENTRIES)
    round_id = store.create_round("kerndomeinen", "current")
    store.plan_round(round_id)
    first = store.pending_tests(round_id)
    assert store.plan_round(round_id) == 6
    assert store.pending_tests(round_id) == first
    store.import_entries([entry("later.nl", mail=False)])
    assert store.plan_round(round_id) == 7
    added = [t for t in store.pending_tests(round_id) if t not in first]
    assert added == [PlannedTest(added[0].test_id, "later.nl", "web", "www.later.nl")]


def test_round_labels_default_to_the_month_and_stay_unique(store: Store) -> None:
    store.import_entries(ENTRIES)
    day = dt.date(2026, 11, 2)
    first = store.create_round("kerndomeinen", "current", date=day)
    second = store.create_round("breed", "2021", date=day, executor="celery")
    assert [store.round(first).label, store.round(second).label] == ["2026-11", "2026-11-2"]
    info = store.round(second)
    assert (info.set_name, info.norm, info.date, info.executor, info.state) == (
        "breed", "2021", day, "celery", "planned")
    assert [r.id for r in store.rounds()] == [first, second]
    assert store.round_by_label("2026-11-2").id == second
    with pytest.raises(StoreError, match="already a round labelled"):
        store.create_round("kerndomeinen", "current", label="2026-11")


def test_a_round_on_an_unknown_set_is_refused(store: Store) -> None:
    store.import_entries(ENTRIES)
    with pytest.raises(StoreError, match=r"no domain set 'onbekend'.*breed, kerndomeinen"):
        store.create_round("onbekend", "current")
    assert store.rounds() == []


def test_round_life_cycle(store: Store) -> None:
    store.import_entries(ENTRIES)
    round_id = store.create_round("kerndomeinen", "current")
    assert store.round(round_id).started_at is None
    store.set_round_state(round_id, "running")
    started = store.round(round_id).started_at
    assert started is not None and started.tzinfo is not None
    store.set_round_state(round_id, "running")  # a runner resuming after a crash
    store.set_round_state(round_id, "interrupted")
    with pytest.raises(RoundStateError, match="from interrupted to planned"):
        store.set_round_state(round_id, "planned")
    store.set_round_state(round_id, "running")
    assert store.round(round_id).started_at == started
    store.set_round_state(round_id, "finished")
    info = store.round(round_id)
    assert info.state == "finished"
    assert info.finished_at is not None and info.finished_at >= started
    with pytest.raises(RoundStateError):
        store.set_round_state(round_id, "running")
    with pytest.raises(RoundStateError, match="finished"):
        store.plan_round(round_id)


def test_unknown_states_and_rounds_are_refused(store: Store) -> None:
    store.import_entries(ENTRIES)
    round_id = store.create_round("kerndomeinen", "current")
    with pytest.raises(RoundStateError, match="unknown round state"):
        store.set_round_state(round_id, "paused")
    with pytest.raises(RoundStateError, match="from planned to finished"):
        store.set_round_state(round_id, "finished")
    with pytest.raises(StoreError, match="no round 999"):
        store.round(999)
