"""The evidence's schema: recorded lab evidence matches it, mistakes are named, older
versions are upgraded, and the published schema is the one the models give."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from meting.evidence import EVIDENCE_VERSION, EvidenceError, checked, loaded
from meting.evidence.schema import schema_text
from meting.evidence.upgrade import tls_scans, upgrade
from meting.run.retry import not_testable_evidence
from meting.tester import judge
from tests.unit.recorded import (
    evidence,
    evidence_v2,
    raw_version,
    recorded_files,
    recorded_v2_files,
    recording,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_there_is_recorded_evidence_of_both_kinds() -> None:
    kinds = {p.name.split(".")[-2] for p in recorded_files()}
    assert kinds == {"web", "mail"}


@pytest.mark.parametrize("path", recorded_files() + recorded_v2_files(), ids=lambda p: p.stem)
def test_recorded_lab_evidence_matches_the_schema(path: Path) -> None:
    raw = recording(path.name)["evidence"]
    if raw["evidence_version"] == EVIDENCE_VERSION:
        assert checked(raw) is raw
    else:  # recorded by an earlier meting: it loads, upgraded
        assert loaded(raw)["evidence_version"] == EVIDENCE_VERSION


def test_recordings_of_the_current_version_have_bucketed_tls_scans() -> None:
    current = [p.name for p in recorded_files() if raw_version(p.name) == EVIDENCE_VERSION]
    assert current
    scans = [s for name in current for s in tls_scans(evidence(name))]
    assert scans and all("buckets" in s and "norm" not in s for s in scans)


def test_not_testable_evidence_matches_the_schema() -> None:
    checked(not_testable_evidence("mail", "voorbeeld.nl", ["timeout", "reset"]))


def test_a_renamed_key_is_refused_naming_where() -> None:
    found = evidence("perfect.web")
    scan = next(iter(found["tls"].values()))
    scan["cipher_order_v2"] = scan.pop("cipher_order")
    with pytest.raises(EvidenceError, match=r"tls\.[0-9.]+\.cipher_order_v2: Extra inputs"):
        checked(found)


def test_a_wrong_type_is_refused_naming_where() -> None:
    found = evidence("perfect.mail")
    found["mx"][0]["tlsa"]["ad"] = "yes"
    with pytest.raises(EvidenceError, match=r"mx\.0\.tlsa\.ad: Input should be a valid boolean"):
        checked(found)


def test_a_missing_key_is_refused() -> None:
    found = evidence("perfect.mail")
    del found["mail_auth"]["domainkey"]
    with pytest.raises(EvidenceError, match=r"mail_auth\.domainkey: Field required"):
        checked(found)


def test_only_the_current_version_is_stored() -> None:
    found = evidence("perfect.web")
    del found["evidence_version"]
    stored_as = f"version 1 is stored only as version {EVIDENCE_VERSION}"
    with pytest.raises(EvidenceError, match=stored_as):
        checked(found)


def version_1(found: dict[str, Any]) -> dict[str, Any]:
    """What the first rounds stored: no version; DH key exchange as sizes only."""
    del found["evidence_version"]
    for scan in tls_scans(found):
        if "ffdhe" in scan:
            scan["ffdhe_bits"] = [g["bits"] for g in scan.pop("ffdhe")]
    return found


def dhe_recording() -> str:
    """A recording of evidence version 2 (scans classed by a norm, as version 1 had them)
    whose TLS scans saw finite-field DH (the lab's DHE scenarios)."""
    for path in recorded_v2_files():
        if any(scan.get("ffdhe") for scan in tls_scans(evidence_v2(path.name))):
            return path.name
    raise AssertionError("no recorded evidence with finite-field DH")


def test_version_1_evidence_is_upgraded_on_load_and_judged_as_before() -> None:
    name = dhe_recording()
    old = version_1(loaded(evidence_v2(name)))
    assert "evidence_version" not in old
    upgraded = loaded(old)
    assert upgraded["evidence_version"] == EVIDENCE_VERSION
    groups = [g for scan in tls_scans(upgraded) for g in scan.get("ffdhe") or []]
    assert groups and all(g["group"] is None and g["bits"] > 0 for g in groups)
    assert not any("ffdhe_bits" in scan for scan in tls_scans(upgraded))
    # the checks judged version 1 (sizes only) as primes not known to be RFC 7919's
    kind = upgraded["kind"]
    for norm in ("2019", "2021", "current"):
        assert judge(kind, upgraded, norm) == judge(kind, old, norm)


def test_version_1_dh_sizes_are_judged_as_primes_not_known_to_be_rfc_7919() -> None:
    """The checks no longer read ``ffdhe_bits``: the upgrade step alone must make a size
    judgeable, as a custom prime of that size (what the checks' shim used to do)."""
    old = version_1(evidence("perfect.web"))
    scan = next(iter(tls_scans(old)))
    scan.pop("ffdhe", None)
    scan["ffdhe_bits"] = [2048]
    fs = judge("web", old, "current")["subtests"]["fs_params"]
    assert fs["status"] == "failed"
    assert "DH-2048 (non-RFC 7919)" in fs["explanation"]["en"]
    scan["ffdhe_bits"] = []
    assert judge("web", old, "current")["subtests"]["fs_params"]["status"] == "passed"


def test_judging_refuses_evidence_of_another_kind() -> None:
    with pytest.raises(ValueError, match="mail test with web evidence"):
        judge("mail", evidence("perfect.web"), "current")


def test_upgrading_leaves_the_stored_dict_alone_and_current_evidence_as_it_is() -> None:
    old = version_1(evidence("perfect.web"))
    snapshot = repr(old)
    upgrade(old)
    assert repr(old) == snapshot
    current = evidence("perfect.web")
    assert upgrade(current) is current


def test_version_1_not_testable_evidence_is_upgraded() -> None:
    old = not_testable_evidence("web", "www.voorbeeld.nl", ["timeout"])
    del old["evidence_version"]
    assert loaded(old)["evidence_version"] == EVIDENCE_VERSION


def test_evidence_of_a_newer_meting_is_refused_with_what_to_do() -> None:
    found = evidence("perfect.web")
    found["evidence_version"] = EVIDENCE_VERSION + 1
    with pytest.raises(EvidenceError, match=r"newer than this meting knows.*update meting"):
        loaded(found)


def test_web_evidence_from_before_tls_was_probed_is_refused() -> None:
    found = version_1(evidence("perfect.web"))
    del found["tls"]
    with pytest.raises(EvidenceError, match="without TLS scans"):
        loaded(found)


def test_the_published_schema_is_the_models_schema() -> None:
    published = (DOCS / "evidence-schema.json").read_text(encoding="utf-8")
    assert published == schema_text(), (
        "docs/evidence-schema.json is out of date: run "
        "`meting evidence schema --out docs/evidence-schema.json`")


def test_version_2_evidence_keeps_its_classed_scans_and_says_what_it_did_not_record() -> None:
    old = evidence_v2("perfect.web")
    assert old["evidence_version"] == 2 and "missing" not in old and "refused" not in old
    upgraded = loaded(old)
    assert upgraded["evidence_version"] == EVIDENCE_VERSION
    assert upgraded["missing"] is None and upgraded["refused"] == {}
    scans = list(tls_scans(upgraded))
    assert scans and all(s["norm"] == "current" and "buckets" not in s for s in scans)
    assert [s["ciphers"] for s in scans] == [s["ciphers"] for s in tls_scans(old)]
    # judged as the checks judged version 2 itself
    assert judge("web", upgraded, "2021") == judge("web", old, "2021")


def test_a_scan_names_buckets_or_classes_not_both() -> None:
    found = loaded(evidence_v2("perfect.web"))
    next(iter(found["tls"].values()))["buckets"] = 1
    with pytest.raises(EvidenceError, match="either its buckets"):
        checked(found)
