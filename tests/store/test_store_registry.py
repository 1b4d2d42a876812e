"""Registry lists into and out of the store."""

from __future__ import annotations

from dataclasses import replace

import pytest

from meting.registry.lists import ListEntry
from meting.store import DomainConflict, Store

from .helpers import entry

ENTRIES = [
    entry("voorbeeld.nl", web_host="mijn.voorbeeld.nl", provider="Regio IT", line=2),
    entry("voorbeeld-mail.nl", web=False, provider="Regio IT", sets=(), line=3),
    entry("minvb.nl", "Ministerie van Voorbeelden", category="rijk", umbrella="CIO Rijk",
          mail=False, sets=("breed", "kerndomeinen"), line=4),
    entry("xn--bcher-kva.nl", "Ministerie van Voorbeelden", category="rijk",
          umbrella="CIO Rijk", sets=("breed",), line=5),
]


def _without_lines(entries: list[ListEntry]) -> set[ListEntry]:
    return {replace(e, line=0, sets=tuple(sorted(e.sets))) for e in entries}


def test_entries_round_trip(store: Store) -> None:
    summary = store.import_entries(ENTRIES)
    assert (summary.organisations_added, summary.domains_added, summary.sets_added) == (2, 4, 2)
    assert summary.updated == 0
    exported = store.export_entries()
    assert _without_lines(exported) == _without_lines(ENTRIES)
    assert [e.line for e in exported] == [2, 3, 4, 5]  # as in a file with a header line


def test_domain_sets_count_their_domains(store: Store) -> None:
    store.import_entries(ENTRIES)
    assert store.domain_sets() == {"breed": 2, "kerndomeinen": 2}


def test_importing_the_same_list_again_changes_nothing(store: Store) -> None:
    store.import_entries(ENTRIES)
    again = store.import_entries(ENTRIES)
    assert (again.added, again.updated) == (0, 0)


def test_a_newer_list_updates_roles_hosts_sets_and_organisations(store: Store) -> None:
    store.import_entries(ENTRIES)
    newer = [
        replace(ENTRIES[0], web_host=None, sets=("breed",)),
        replace(ENTRIES[2], umbrella="Manifestgroep"),
        replace(ENTRIES[3], mail=False),
    ]
    summary = store.import_entries(newer)
    assert (summary.organisations_updated, summary.domains_updated, summary.added) == (1, 2, 0)
    exported = {e.domain: e for e in store.export_entries()}
    assert exported["voorbeeld.nl"].web_host is None
    assert exported["voorbeeld.nl"].sets == ("breed",)
    assert exported["xn--bcher-kva.nl"].mail is False
    assert exported["minvb.nl"].umbrella == "Manifestgroep"
    # a domain the newer list does not name is left as it was
    assert exported["voorbeeld-mail.nl"] == replace(ENTRIES[1], line=exported[
        "voorbeeld-mail.nl"].line)
    assert store.domain_sets() == {"breed": 3, "kerndomeinen": 1}


def test_a_domain_of_another_stored_organisation_is_refused_and_nothing_imported(
        store: Store) -> None:
    store.import_entries(ENTRIES)
    moved = [entry("nieuw.nl", "Gemeente Nieuw"),
             entry("voorbeeld.nl", "Gemeente Anders", line=3)]
    with pytest.raises(DomainConflict) as refused:
        store.import_entries(moved)
    assert refused.value.conflicts == [("voorbeeld.nl", "Gemeente Voorbeeld", "Gemeente Anders")]
    assert "voorbeeld.nl" in str(refused.value)
    assert "nieuw.nl" not in {e.domain for e in store.export_entries()}


def test_a_domain_listed_for_two_organisations_is_refused(store: Store) -> None:
    with pytest.raises(DomainConflict) as refused:
        store.import_entries([entry("twee.nl", "Organisatie A"),
                              entry("twee.nl", "Organisatie B", line=3)])
    assert refused.value.conflicts == [("twee.nl", "Organisatie A", "Organisatie B")]
    assert store.export_entries() == []
