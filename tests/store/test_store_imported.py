"""Rounds measured elsewhere (statuses without evidence) and formal reactions."""

from __future__ import annotations

import datetime as dt

import pytest

from meting.store import ImportedStatuses, Store, StoreError

from .helpers import entry, judged

ENTRIES = [entry("voorbeeld.nl", web_host="mijn.voorbeeld.nl"),
           entry("minvb.nl", "Ministerie van Voorbeelden", category="rijk",
                 umbrella="CIO Rijk")]


def _imported_round(store: Store) -> int:
    store.import_entries(ENTRIES)
    return store.create_round(None, "imported", label="2019-03", date=dt.date(2019, 3, 1),
                              executor="import")


def test_imported_statuses_become_done_tests_without_evidence(store: Store) -> None:
    round_id = _imported_round(store)
    stored = store.import_statuses(round_id, "web", [
        ImportedStatuses("voorbeeld.nl", {"dnssec": "passed", "hsts": "failed"}, reaction=True),
        ImportedStatuses("minvb.nl", {"dnssec": "failed"})])
    assert stored == 2
    results = {r.domain: r for r in store.results(round_id)}
    assert results["voorbeeld.nl"].columns == {"dnssec": "passed", "hsts": "failed"}
    assert results["voorbeeld.nl"].target == "mijn.voorbeeld.nl"
    assert (results["voorbeeld.nl"].reaction, results["minvb.nl"].reaction) == (True, False)
    assert results["minvb.nl"].category == "rijk"
    with pytest.raises(KeyError):
        store.evidence(results["minvb.nl"].test_id)
    assert store.reactions(round_id) == {"Gemeente Voorbeeld": ""}
    info = store.round(round_id)
    assert (info.planned, info.done) == (2, 2)
    # judging again has no evidence to judge them by: imported statuses stay
    assert store.rejudge(round_id, "current", lambda *_: judged({"dnssec": "error"})) == 0
    assert {r.columns["dnssec"] for r in store.results(round_id)} == {"passed", "failed"}


def test_imported_statuses_fill_planned_tests(store: Store) -> None:
    round_id = _imported_round(store)
    store.plan_round(round_id)
    store.import_statuses(round_id, "mail", [ImportedStatuses("minvb.nl", {"dmarc": "info"})])
    assert {(t.domain, t.kind) for t in store.pending_tests(round_id)} == {
        ("voorbeeld.nl", "web"), ("voorbeeld.nl", "mail"), ("minvb.nl", "web")}
    assert [r.columns for r in store.results(round_id, kind="mail")] == [{"dmarc": "info"}]


@pytest.mark.parametrize(("kind", "rows", "message"), [
    ("web", [ImportedStatuses("onbekend.nl", {"dnssec": "passed"})],
     "1 domains are not in the registry: onbekend.nl"),
    ("web", [ImportedStatuses("minvb.nl", {"dnssec": "goed"})], "'goed'"),
    ("dns", [ImportedStatuses("minvb.nl", {"dnssec": "passed"})], "unknown test kind 'dns'"),
    ("web", [ImportedStatuses("minvb.nl", {}), ImportedStatuses("minvb.nl", {})],
     "given twice: minvb.nl"),
])
def test_a_bad_import_stores_nothing(store: Store, kind: str, rows: list[ImportedStatuses],
                                     message: str) -> None:
    round_id = _imported_round(store)
    good = ImportedStatuses("voorbeeld.nl", {"dnssec": "passed"}, reaction=True)
    with pytest.raises((StoreError, ValueError), match=message):
        store.import_statuses(round_id, kind, [good, *rows])
    assert list(store.results(round_id)) == []
    assert store.reactions(round_id) == {}


def test_importing_the_same_results_twice_is_refused(store: Store) -> None:
    round_id = _imported_round(store)
    rows = [ImportedStatuses("minvb.nl", {"dnssec": "passed"})]
    store.import_statuses(round_id, "web", rows)
    with pytest.raises(StoreError, match="already has web results for 1 of these domains"):
        store.import_statuses(round_id, "web", rows)


def test_reactions_carry_their_text_and_mark_the_organisations_results(store: Store) -> None:
    round_id = _imported_round(store)
    store.import_statuses(round_id, "web", [ImportedStatuses("minvb.nl", {"dnssec": "failed"},
                                                             reaction=True)])
    text = "DNSSEC wordt in het tweede kwartaal ingevoerd."
    store.set_reaction(round_id, "Ministerie van Voorbeelden", text)
    # a later import that only knows the fact keeps the text
    store.import_statuses(round_id, "mail", [ImportedStatuses("minvb.nl", {"dmarc": "passed"},
                                                              reaction=True)])
    assert store.reactions(round_id) == {"Ministerie van Voorbeelden": text}
    assert all(r.reaction for r in store.results(round_id))
    with pytest.raises(StoreError, match="no organisation 'Onbekend'"):
        store.set_reaction(round_id, "Onbekend", "tekst")
    other = store.create_round(None, "current")
    assert store.reactions(other) == {}
