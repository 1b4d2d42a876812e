"""Which norms a stored TLS scan can answer: the probe's buckets, evidence classed by the
norm of its time, and `meting rejudge` refusing (all or nothing) where it cannot."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from meting import norms
from meting.checks import judgeable
from meting.evidence.models import MailEvidence, WebEvidence
from meting.evidence.upgrade import upgrade
from meting.norms import Norm, NormFile, resolution
from meting.registry.lists import ListEntry
from meting.run import command
from meting.store import Store
from tests.unit.recorded import as_model, evidence

DATA = Path(__file__).parent / "data" / "norms"
# A web test recorded in the lab by the probe before the buckets (scripts/record-evidence at
# commit b4a7f65), kept apart: tests/unit/data/recorded is recorded again by each probe.
BEFORE_BUCKETS = Path(__file__).parent / "data" / "before-buckets"


def norm_file(name: str) -> Norm:
    return norms.as_data(norms.load_file(DATA / f"{name}.yaml"))


def test_the_universe_is_what_the_probe_can_offer() -> None:
    from meting.probe.tls import TLS13_SUITES, tls12_suites
    from meting.probe.tls_conn import GROUP_NIDS

    suites, groups = resolution.universe()
    probe_suites, probe_groups = (*TLS13_SUITES, *tls12_suites()), tuple(GROUP_NIDS)
    assert (suites, groups) == (probe_suites, probe_groups), (
        "norms/tls-universe.yaml is out of date; suites: " + " ".join(probe_suites)
        + "; groups: " + " ".join(probe_groups))


def test_every_group_is_in_one_named_bucket() -> None:
    _, groups = resolution.universe()
    named = [g for members in resolution.buckets().groups.values() for g in members]
    assert sorted(named) == sorted(groups)


@pytest.mark.parametrize("version", norms.versions())
def test_no_shipped_norm_splits_a_bucket(version: str) -> None:
    assert resolution.splits(norms.load(version)) == []


def test_a_norm_that_splits_a_bucket_is_found_out() -> None:
    found = resolution.splits(norm_file("split-bucket"))
    assert len(found) == 1 and found[0].startswith("group bucket nist-p")
    assert "different classes (good, phase_out)" in found[0]
    assert resolution.splits(norm_file("split-class")) == []


def test_buckets_tell_apart_what_the_2025_norm_tells_apart() -> None:
    bucket = resolution.suite_bucket
    assert bucket("ECDHE-ECDSA-AES128-SHA") != bucket("ECDHE-ECDSA-AES128-SHA256")
    assert bucket("ECDHE-ECDSA-AES256-SHA") == bucket("ECDHE-ECDSA-AES128-SHA")
    assert bucket("ECDHE-RSA-AES128-GCM-SHA256") != bucket("ECDHE-RSA-AES256-GCM-SHA384")
    assert bucket("RC4-MD5") == bucket("DES-CBC3-SHA") == "broken-cipher"
    assert resolution.group_bucket("secp256r1") == resolution.group_bucket("secp521r1")


# --- a server as the probe recorded it before the buckets (classed by norm "current") ---

OLD_SCAN: dict[str, Any] = {
    "address": "192.0.2.10", "port": 443, "server_name": "www.voorbeeld.nl",
    "starttls": None, "connected": True, "starttls_offered": None, "handshake_error": None,
    "chain": [], "handshakes": 19, "mode": "economical", "norm": "current",
    "scanned_at": "2026-01-05T10:00:00+00:00",
    "versions": {"TLSv1.3": True, "TLSv1.2": True, "TLSv1.1": False, "TLSv1.0": False,
                 "SSLv3": False, "SSLv2": False},
    "ciphers": {"TLSv1.3": {"good": ["TLS_AES_256_GCM_SHA384"],
                            "sufficient": ["TLS_AES_128_GCM_SHA256"]},
                "TLSv1.2": {"sufficient": ["ECDHE-ECDSA-AES256-GCM-SHA384"],
                            "phase_out": ["ECDHE-ECDSA-AES256-SHA384"]}},
    "groups_seen": ["X25519"], "groups_accepted": {},
    "kex_hash": {"accepted": [], "default": "SHA256"},
    "cipher_order": {"version": "TLSv1.2", "tls13_only": False, "enforced": True,
                     "prescribed": True, "chosen": "ECDHE-ECDSA-AES256-GCM-SHA384",
                     "offered": ["ECDHE-ECDSA-AES256-SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"]},
}


def test_old_evidence_answers_every_shipped_norm() -> None:
    for version in norms.versions():
        assert resolution.problems(OLD_SCAN, norms.load(version)) == [], version


def test_old_evidence_cannot_answer_a_norm_that_splits_a_class_it_sampled() -> None:
    found = resolution.problems(OLD_SCAN, norm_file("split-class"))
    assert found and "one suite of class sufficient under norm current" in found[0]


def test_old_evidence_of_a_server_without_that_class_is_still_answered() -> None:
    only_good = copy.deepcopy(OLD_SCAN)
    only_good["ciphers"] = {"TLSv1.3": {"good": ["TLS_AES_256_GCM_SHA384"]}}
    only_good["versions"]["TLSv1.2"] = False
    only_good["cipher_order"] = {"version": "TLSv1.3", "tls13_only": True}
    only_good["kex_hash"] = {"accepted": [], "default": None}
    assert resolution.problems(only_good, norm_file("split-class")) == []


def test_old_evidence_names_hashes_it_did_not_probe() -> None:
    stricter = copy.deepcopy(norms.load("2025"))
    stricter["tls"]["kex_hash"]["SHA224"] = "insufficient"
    found = resolution.problems(OLD_SCAN, stricter)
    assert any("SHA224" in f and "not probed" in f for f in found)


def test_bucket_evidence_answers_the_class_split_but_not_the_bucket_split() -> None:
    scan = copy.deepcopy(OLD_SCAN)
    del scan["norm"]
    scan["buckets"] = resolution.buckets().version
    scan["ciphers"] = {"TLSv1.2": {"ECDHE-ECDSA-AES256GCM-AEAD": ["ECDHE-ECDSA-AES256-GCM-SHA384"],
                                   "ECDHE-ECDSA-AES128GCM-AEAD": ["ECDHE-ECDSA-AES128-GCM-SHA256"]}}
    scan["groups_accepted"] = {"x-curves": ["X25519"], "nist-p": ["secp256r1"]}
    assert resolution.problems(scan, norm_file("split-class")) == []
    found = resolution.problems(scan, norm_file("split-bucket"))
    assert len(found) == 1 and found[0].startswith("group bucket nist-p (example secp256r1)")
    scan["buckets"] = 99
    assert "buckets version 99" in resolution.problems(scan, norms.load("2025"))[0]


def test_mail_and_web_evidence_name_the_server() -> None:
    web = as_model(WebEvidence, evidence("perfect.web") | {
        "target": "www.voorbeeld.nl", "tls": {"192.0.2.10": OLD_SCAN}})
    found = evidence("perfect.mail")
    found["mx"] = found["mx"][:1]
    found["mx"][0] |= {"name": "mx.voorbeeld.nl",
                       "starttls": {"192.0.2.25": OLD_SCAN | {"address": "192.0.2.25"}}}
    mail = as_model(MailEvidence, found)
    split = norm_file("split-class")
    assert judgeable.tls_problems(web, split)[0].startswith("www.voorbeeld.nl 192.0.2.10:")
    assert judgeable.tls_problems(mail, split)[0].startswith("mx.voorbeeld.nl 192.0.2.25:")
    with pytest.raises(judgeable.CannotJudge, match="norm test-split-class cannot judge"):
        judgeable.check(web, split)
    # as recorded: what a shipped norm can judge is not refused
    assert judgeable.tls_problems(web, norms.load("current")) == []


def recorded_old_web_test() -> dict[str, Any]:
    """A whole web test recorded in the lab whose TLS scan, classed by norm "current"
    before the buckets, is moved to www.voorbeeld.nl at 192.0.2.10 (and upgraded to the
    current evidence version, as loading it from a store would)."""
    found: dict[str, Any] = upgrade(json.loads((BEFORE_BUCKETS / "perfect.web.json").read_text(
        "utf-8"))["evidence"])
    [scan] = list(found["tls"].values())[:1]
    assert scan["norm"] == "current" and "buckets" not in scan
    scan |= {"address": "192.0.2.10", "server_name": "www.voorbeeld.nl"}
    return found | {"target": "www.voorbeeld.nl", "tls": {"192.0.2.10": scan}}


def test_rejudge_refuses_the_whole_round_and_changes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`meting rejudge` under a (here: test) norm the stored evidence cannot answer."""
    shipped = norms.model

    def with_test_norm(version: str) -> NormFile:
        return norms.load_file(DATA / "split-class.yaml") if version == "test-split-class" \
            else shipped(version)

    monkeypatch.setattr(norms, "model", with_test_norm)
    norms.load.cache_clear()
    url = f"sqlite:///{tmp_path / 'meting.db'}"
    monkeypatch.setenv("METING_DATABASE", url)
    monkeypatch.setenv("METING_CONFIG", str(tmp_path / "absent.toml"))
    with Store.open(url) as store:
        store.import_entries([ListEntry(line=2, organisation="Gemeente Voorbeeld",
                                        category="gemeente", domain="voorbeeld.nl", web=True,
                                        web_host=None, mail=False, umbrella=None,
                                        provider=None, sets=("kern",))])
        round_id = store.create_round("kern", "current")
        store.plan_round(round_id)
        test = next(t for t in store.pending_tests(round_id) if t.kind == "web")
        evidence = recorded_old_web_test()
        judged = {"columns": {"tls_ncsc_web": {"status": "passed", "explanation":
                                               {"nl": "goed", "en": "good"}}}, "subtests": {}}
        store.save_result(test.test_id, evidence, judged)
    try:
        with pytest.raises(command.CommandError) as refused:
            command.rejudge(Console(quiet=True), round_id, "test-split-class")
    finally:
        norms.load.cache_clear()
    message = str(refused.value)
    assert "not judged again (nothing changed)" in message
    assert "www.voorbeeld.nl 192.0.2.10" in message and "(current)" in message
    with Store.open(url) as store:
        assert store.round(round_id).norm == "current"
        assert [r.columns for r in store.results(round_id)] == [{"tls_ncsc_web": "passed"}]


def test_a_round_is_not_started_under_a_norm_that_splits_a_bucket(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = norms.model

    def with_test_norm(version: str) -> NormFile:
        return norms.load_file(DATA / "split-bucket.yaml") if version == "test-split-bucket" \
            else shipped(version)

    monkeypatch.setattr(norms, "model", with_test_norm)
    monkeypatch.setenv("METING_CONFIG", str(tmp_path / "absent.toml"))
    norms.load.cache_clear()
    try:
        with pytest.raises(command.CommandError, match=r"norm test-split-bucket asks finer "
                           r"questions .* group bucket nist-p"):
            command.checked_settings({"norm": "test-split-bucket"})
        assert command.checked_settings({"norm": "2025"}).norm == "2025"
    finally:
        norms.load.cache_clear()
