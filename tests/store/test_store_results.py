"""Saving test results with their evidence, reading them back, judging them again."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

import meting.store.store as store_module
from meting.store import Store, StoreError
from meting.store.models import Evidence, Test

from .helpers import entry, evidence, hsts_max_age, judged, web_evidence

EVIDENCE = evidence("web", "www.voorbeeld.nl", *["ĳsselmeer — ü: 192.0.2.1"] * 50)


def _evidence_rows(store: Store) -> int:
    with store.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Evidence)) or 0


def _planned(store: Store, domains: list[str]) -> int:
    store.import_entries([entry(name, line=i + 2) for i, name in enumerate(domains)])
    round_id = store.create_round("kerndomeinen", "2019")
    store.plan_round(round_id)
    return round_id


def _test_id(store: Store, round_id: int, domain: str, kind: str) -> int:
    return next(t.test_id for t in store.pending_tests(round_id)
                if (t.domain, t.kind) == (domain, kind))


def test_a_result_is_saved_once(store: Store) -> None:
    round_id = _planned(store, ["voorbeeld.nl"])
    test_id = _test_id(store, round_id, "voorbeeld.nl", "web")
    assert store.save_result(test_id, EVIDENCE, judged({"dnssec": "passed"})) is True
    assert store.save_result(test_id, evidence(), judged({"dnssec": "failed"})) is False
    assert _evidence_rows(store) == 1
    assert store.evidence(test_id) == EVIDENCE
    [result] = store.results(round_id)
    assert result.columns == {"dnssec": "passed"}
    assert [t.kind for t in store.pending_tests(round_id)] == ["mail"]


def test_saving_an_unknown_test_or_a_bad_status_stores_nothing(store: Store) -> None:
    round_id = _planned(store, ["voorbeeld.nl"])
    test_id = _test_id(store, round_id, "voorbeeld.nl", "web")
    with pytest.raises(StoreError, match="no test 12345"):
        store.save_result(12345, EVIDENCE, judged({"dnssec": "passed"}))
    with pytest.raises(ValueError, match="'good'"):
        store.save_result(test_id, EVIDENCE, judged({"dnssec": "good"}))
    assert _evidence_rows(store) == 0
    assert len(store.pending_tests(round_id)) == 2


def test_evidence_is_stored_compressed_and_comes_back_whole(store: Store) -> None:
    round_id = _planned(store, ["voorbeeld.nl"])
    test_id = _test_id(store, round_id, "voorbeeld.nl", "mail")
    store.save_result(test_id, EVIDENCE, judged({"dmarc": "failed"}))
    with store.engine.connect() as connection:
        row = connection.execute(select(Evidence.encoding, Evidence.data, Evidence.size)).one()
    assert row.encoding == "zlib"
    assert row.size == len(json.dumps(EVIDENCE, separators=(",", ":"),
                                      ensure_ascii=False).encode())
    assert len(row.data) < row.size
    assert store.evidence(test_id) == EVIDENCE
    with pytest.raises(KeyError):
        store.evidence(test_id + 1)


def test_gzip_evidence_is_read_too(store: Store) -> None:
    round_id = _planned(store, ["voorbeeld.nl"])
    test_id = _test_id(store, round_id, "voorbeeld.nl", "mail")
    store.save_result(test_id, evidence("mail"), judged({"dmarc": "failed"}))
    with store.engine.begin() as connection:
        connection.execute(Evidence.__table__.update().values(
            encoding="gzip", data=gzip.compress(json.dumps(EVIDENCE).encode())))
    assert store.evidence(test_id) == EVIDENCE


def test_results_carry_registry_and_statuses_and_filter_on_kind(store: Store) -> None:
    store.import_entries([entry("minvb.nl", "Ministerie van Voorbeelden", category="rijk",
                                umbrella="CIO Rijk", web_host="mijn.minvb.nl")])
    round_id = store.create_round(None, "current")
    store.plan_round(round_id)
    for test in store.pending_tests(round_id):
        store.save_result(test.test_id, evidence(test.kind),
                          judged({f"{test.kind}_column": "warning"}, {"https_hsts": "info"}))
    web = list(store.results(round_id, kind="web"))
    assert len(web) == 1
    result = web[0]
    assert (result.domain, result.organisation, result.category, result.umbrella,
            result.kind, result.target) == ("minvb.nl", "Ministerie van Voorbeelden", "rijk",
                                            "CIO Rijk", "web", "mijn.minvb.nl")
    assert (result.columns, result.subtests) == ({"web_column": "warning"},
                                                 {"https_hsts": "info"})
    assert [r.kind for r in store.results(round_id)] == ["mail", "web"]


def test_results_carry_explanations_and_on_request_the_evidence(store: Store) -> None:
    round_id = _planned(store, ["voorbeeld.nl"])
    test_id = _test_id(store, round_id, "voorbeeld.nl", "web")
    store.save_result(test_id, EVIDENCE, judged({"dnssec": "failed"}, {"dnssec_valid": "failed"}))
    [plain] = store.results(round_id)
    assert plain.evidence is None
    assert plain.explanations == {"dnssec": {"nl": "nl failed", "en": "en failed"}}
    assert plain.subtest_explanations == {"dnssec_valid": {"nl": "nl failed", "en": "en failed"}}
    assert plain.finished_at is not None and plain.finished_at.tzinfo is not None
    [full] = store.results(round_id, with_evidence=True)
    assert full.evidence == EVIDENCE
    assert full.columns == plain.columns


def test_results_stream_in_batches_while_the_runner_saves(store: Store,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "STREAM_BATCH", 3)
    domains = [f"d{i:02}.nl" for i in range(10)]
    round_id = _planned(store, domains)
    tests = store.pending_tests(round_id)
    for test in tests[:-1]:
        store.save_result(test.test_id, evidence(), judged({"dnssec": "passed"}))
    streamed = store.results(round_id)
    assert isinstance(streamed, Iterator)
    first = next(streamed)
    # a reader part-way through a round does not stop the runner saving
    assert store.save_result(tests[-1].test_id, evidence(), judged({"dnssec": "failed"})) is True
    rest = list(streamed)
    assert first.domain == "d00.nl"
    assert len([first, *rest]) == 19  # the round as it was when the reading began
    assert [r.domain for r in rest] == sorted(r.domain for r in rest)


def test_round_counts_statuses_per_kind_and_column(store: Store) -> None:
    round_id = _planned(store, ["a.nl", "b.nl", "c.nl"])
    statuses = {"a.nl": "passed", "b.nl": "failed", "c.nl": "passed"}
    for test in store.pending_tests(round_id):
        if test.kind == "web" and test.domain != "c.nl":
            store.save_result(test.test_id, evidence(), judged({"dnssec": statuses[test.domain],
                                                         "hsts": "passed"}))
    info = store.round(round_id)
    assert (info.planned, info.done, info.pending) == (6, 2, 4)
    assert info.counts == {"web": {"dnssec": {"passed": 1, "failed": 1}, "hsts": {"passed": 2}}}


def _stand_in_judge(kind: str, evidence: dict[str, Any], norm: str) -> dict[str, Any]:
    """HSTS judged as the norms differ: six months (2019) or one year (current)."""
    minimum = {"2019": 15_768_000, "current": 31_536_000}[norm]
    status = "passed" if hsts_max_age(evidence) >= minimum else "failed"
    return judged({"hsts": status}, {"https_hsts": status})


def test_rejudge_recomputes_statuses_from_evidence_under_the_new_norm(store: Store) -> None:
    round_id = _planned(store, ["kort.nl", "lang.nl", "nooit.nl"])
    max_age = {"kort.nl": 20_000_000, "lang.nl": 40_000_000}
    for test in store.pending_tests(round_id):
        if test.kind == "web" and test.domain in max_age:
            found = web_evidence(max_age[test.domain])
            store.save_result(test.test_id, found, _stand_in_judge("web", found, "2019"))
    before = {r.domain: r.columns["hsts"] for r in store.results(round_id)}
    assert before == {"kort.nl": "passed", "lang.nl": "passed"}

    assert store.rejudge(round_id, "current", _stand_in_judge) == 2

    after = {r.domain: (r.columns, r.subtests) for r in store.results(round_id)}
    assert after == {"kort.nl": ({"hsts": "failed"}, {"https_hsts": "failed"}),
                     "lang.nl": ({"hsts": "passed"}, {"https_hsts": "passed"})}
    assert store.round(round_id).norm == "current"
    assert len(store.pending_tests(round_id)) == 4  # planned tests stay planned
    assert _evidence_rows(store) == 2


def test_a_failing_rejudge_changes_nothing(store: Store) -> None:
    round_id = _planned(store, ["a.nl", "b.nl"])
    for test in store.pending_tests(round_id):
        found = web_evidence(20_000_000) if test.domain == "a.nl" else evidence(test.kind)
        store.save_result(test.test_id, found, judged({"hsts": "passed"}))
    with pytest.raises(KeyError):  # the stand-in judge finds no HTTP evidence on b.nl
        store.rejudge(round_id, "current", _stand_in_judge)
    assert store.round(round_id).norm == "2019"
    assert {r.columns["hsts"] for r in store.results(round_id)} == {"passed"}


def _attempts(store: Store, test_id: int) -> int:
    with store.engine.connect() as connection:
        return connection.scalar(select(Test.attempts).where(Test.id == test_id)) or 0


def test_attempts_are_counted(store: Store) -> None:
    round_id = _planned(store, ["voorbeeld.nl"])
    web = _test_id(store, round_id, "voorbeeld.nl", "web")
    mail = _test_id(store, round_id, "voorbeeld.nl", "mail")
    assert [store.record_attempt(web), store.record_attempt(web)] == [1, 2]
    store.save_result(web, evidence(), judged({"dnssec": "passed"}))
    store.save_result(mail, evidence("mail"), judged({"dmarc": "passed"}), attempts=3)
    assert (_attempts(store, web), _attempts(store, mail)) == (3, 3)
    assert store.record_attempt(web) == 3  # a done test takes no more attempts
