"""DANE for mail judged from hand-built evidence: TLSA answers and presented chains,
validated by the evidence's models before it is judged."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from meting.checks import dane
from meting.checks.verdict import Status, verdict
from meting.evidence.models import MxHost
from meting.lab.model import CertKind, CertSpec
from meting.lab.pki import LabCA, ca_tlsa_rdata
from tests.unit.recorded import as_model, dns_answer

MX = "mx.example.nl"
V4, V6 = "192.0.2.25", "2001:db8::25"


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LabCA:
    return LabCA.load_or_create(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> LabCA:
    return LabCA.load_or_create(tmp_path_factory.mktemp("other-ca"))


def issue(ca: LabCA, tmp: Path, kind: CertKind = "valid",
          name: str = MX) -> list[x509.Certificate]:
    files = ca.issue([name], CertSpec(kind=kind), tmp, f"{kind}-{name}", ocsp=False)
    return x509.load_pem_x509_certificates(Path(files.chain).read_bytes())


@pytest.fixture(scope="module")
def chain(ca: LabCA, tmp_path_factory: pytest.TempPathFactory) -> list[x509.Certificate]:
    return issue(ca, tmp_path_factory.mktemp("leaf"))


@pytest.fixture(scope="module")
def next_chain(ca: LabCA, tmp_path_factory: pytest.TempPathFactory) -> list[x509.Certificate]:
    return issue(ca, tmp_path_factory.mktemp("next"))


def b64(certs: list[x509.Certificate]) -> list[str]:
    return [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode() for c in certs]


def rdata(usage: int, selector: int, mtype: int, cert: x509.Certificate) -> str:
    if selector == 0:
        data = cert.public_bytes(serialization.Encoding.DER)
    else:
        data = cert.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = {0: data, 1: hashlib.sha256(data).digest(), 2: hashlib.sha512(data).digest()}
    return f"{usage} {selector} {mtype} {digest[mtype].hex()}"


def tlsa(*records: str, security: str = "secure", rcode: str = "NOERROR") -> dict[str, Any]:
    return {"name": f"_25._tcp.{MX}.", "rtype": "TLSA", "server": "192.0.2.53", "rcode": rcode,
            "ad": security == "secure", "cd_used": security == "bogus", "answers": list(records),
            "elapsed_ms": 1.0, "error": "timeout" if security == "error" else None,
            "security": security, "cname_chain": [], "transport": "udp", "attempts": 1,
            "authoritative": False, "aa": False}


def scan(certs: list[x509.Certificate] | None, *, connected: bool = True,
         starttls: bool | None = True, error: str | None = None) -> dict[str, Any]:
    return {"connected": connected, "starttls_offered": starttls if connected else None,
            "handshake_error": error, "chain": b64(certs) if certs else []}


def entry(records: dict[str, Any], scans: dict[str, dict[str, Any]],
          name: str = MX) -> MxHost:
    """One MX with these STARTTLS scans (what DANE reads), as its model."""
    full = {address: {"address": address, "port": 25, "server_name": name, "starttls": "smtp",
                      "handshakes": 2, "mode": "economical", "buckets": 1,
                      "scanned_at": "2026-01-01T00:00:00+00:00"} | found
            for address, found in scans.items()}
    v4 = [a for a in scans if ":" not in a]
    v6 = [a for a in scans if ":" in a]
    return as_model(MxHost, {
        "name": name, "a": dns_answer(name, "A", v4), "aaaa": dns_answer(name, "AAAA", v6),
        "tlsa": records, "smtp6": {}, "starttls": full,
        "caa": {"name": name, "found_at": None, "records": [], "queried": [name],
                "error": None}})


def statuses(result: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(result[k].status) for k in ("dane_exists", "dane_valid", "dane_rollover",
                                                   "dane"))


COMBINATIONS = [(u, s, m) for u in (2, 3) for s in (0, 1) for m in (0, 1, 2)]


@pytest.mark.parametrize(("usage", "selector", "mtype"), COMBINATIONS)
def test_every_usage_selector_and_matching_type(chain: list[x509.Certificate], usage: int,
                                                selector: int, mtype: int) -> None:
    anchor = chain[0] if usage == 3 else chain[1]  # DANE-TA: the intermediate CA
    mx = entry(tlsa(rdata(usage, selector, mtype, anchor)), {V4: scan(chain), V6: scan(chain)})
    assert dane.dane_valid_hosts([mx]) == {MX}
    result = dane.judge([mx], null_mx=False)
    assert statuses(result) == ("passed", "passed", "info", "passed")


@pytest.mark.parametrize(("usage", "selector", "mtype"), COMBINATIONS)
def test_every_combination_fails_on_another_certificate(
        chain: list[x509.Certificate], other_ca: LabCA, tmp_path: Path,
        usage: int, selector: int, mtype: int) -> None:
    anchor = chain[0] if usage == 3 else chain[1]
    foreign = issue(other_ca, tmp_path)
    mx = entry(tlsa(rdata(usage, selector, mtype, anchor)), {V4: scan(foreign)})
    assert dane.dane_valid_hosts([mx]) == set()
    result = dane.judge([mx], null_mx=False)
    assert statuses(result) == ("passed", "failed", "not_tested", "failed")
    assert V4 in result["dane"].explanation.en


def test_ee_ignores_name_expiry_and_self_signing(ca: LabCA, tmp_path: Path) -> None:
    kinds: tuple[CertKind, ...] = ("expired", "wrong_name", "self_signed")
    for kind in kinds:
        certs = issue(ca, tmp_path, kind)
        mx = entry(tlsa(rdata(3, 1, 1, certs[0])), {V4: scan(certs)})
        assert dane.dane_valid_hosts([mx]) == {MX}, kind


def test_the_labs_ta_record_matches_its_chains(ca: LabCA,
                                               chain: list[x509.Certificate]) -> None:
    mx = entry(tlsa(ca_tlsa_rdata(ca.intermediate)), {V4: scan(chain)})
    assert dane.dane_valid_hosts([mx]) == {MX}


def test_ta_must_be_above_the_leaf(ca: LabCA, tmp_path: Path) -> None:
    certs = issue(ca, tmp_path, "self_signed")
    mx = entry(tlsa(rdata(2, 1, 1, certs[0])), {V4: scan(certs)})
    assert dane.dane_valid_hosts([mx]) == set()


def test_ta_with_a_broken_chain(ca: LabCA, other_ca: LabCA, chain: list[x509.Certificate],
                                tmp_path: Path) -> None:
    foreign_leaf = issue(other_ca, tmp_path)[0]
    # the matching CA is presented, but it did not issue the leaf
    broken = entry(tlsa(rdata(2, 0, 1, chain[1])), {V4: scan([foreign_leaf, chain[1]])})
    # the leaf names the right issuer, but another key signed it
    impostor = entry(tlsa(rdata(2, 1, 1, other_ca.intermediate)),
                     {V4: scan([chain[0], other_ca.intermediate])})
    assert dane.dane_valid_hosts([broken]) == set()
    assert dane.dane_valid_hosts([impostor]) == set()
    assert ca.intermediate.subject == other_ca.intermediate.subject  # same names, other keys


def test_ta_with_intermediate_presented_out_of_order(ca: LabCA, chain: list[x509.Certificate],
                                                     tmp_path: Path) -> None:
    presented = [chain[0], ca.root, chain[1]]
    mx = entry(tlsa(rdata(2, 0, 1, ca.root)), {V4: scan(presented)})
    assert dane.dane_valid_hosts([mx]) == {MX}


def test_ta_as_a_bare_key_that_signed_the_top_certificate(
        ca: LabCA, chain: list[x509.Certificate]) -> None:
    root_key = rdata(2, 1, 0, ca.root)  # the root is not presented
    assert dane.dane_valid_hosts([entry(tlsa(root_key), {V4: scan(chain)})]) == {MX}
    digest_only = rdata(2, 1, 1, ca.root)  # a digest cannot verify a signature
    assert dane.dane_valid_hosts([entry(tlsa(digest_only), {V4: scan(chain)})]) == set()


def test_every_address_must_match(chain: list[x509.Certificate], next_chain: list[Any]) -> None:
    mx = entry(tlsa(rdata(3, 1, 1, chain[0])), {V4: scan(chain), V6: scan(next_chain)})
    assert dane.dane_valid_hosts([mx]) == set()
    result = dane.judge([mx], null_mx=False)
    assert result["dane"].status == Status.FAILED
    assert V6 in result["dane"].explanation.en and V4 not in result["dane"].explanation.en


def test_pkix_usages_are_unusable_for_smtp(chain: list[x509.Certificate]) -> None:
    records = tlsa(rdata(1, 1, 1, chain[0]), rdata(0, 0, 1, chain[1]))
    result = dane.judge([entry(records, {V4: scan(chain)})], null_mx=False)
    assert statuses(result) == ("passed", "failed", "not_tested", "failed")
    assert "RFC 7672" in result["dane_valid"].explanation.en
    assert "PKIX-EE" in result["dane_valid"].explanation.en


@pytest.mark.parametrize("bad", ["3 1 1 zz", "3 1 1 abcd", "3 1", "x 1 1 ab", "3 7 1 ab",
                                 "3 1 9 ab", "4 1 1 ab"])
def test_malformed_records_are_ignored_with_a_reason(chain: list[x509.Certificate],
                                                     bad: str) -> None:
    good = rdata(3, 1, 1, chain[0])
    mx = entry(tlsa(bad, good), {V4: scan(chain)})
    assert dane.dane_valid_hosts([mx]) == {MX}
    valid = dane.judge([mx], null_mx=False)["dane_valid"]
    assert valid.status == Status.PASSED
    assert f"Ignored: '{bad}'" in valid.explanation.en and "Genegeerd" in valid.explanation.nl
    only_bad = dane.judge([entry(tlsa(bad), {V4: scan(chain)})], null_mx=False)
    assert only_bad["dane_valid"].status == Status.FAILED


def test_hex_split_by_spaces_as_dnspython_writes_it(chain: list[x509.Certificate]) -> None:
    record = rdata(3, 0, 0, chain[0])
    spaced = record[:40] + " " + record[40:100] + " " + record[100:].upper()
    assert dane.dane_valid_hosts([entry(tlsa(spaced), {V4: scan(chain)})]) == {MX}


def test_tlsa_in_an_unsigned_zone(chain: list[x509.Certificate]) -> None:
    mx = entry(tlsa(rdata(3, 1, 1, chain[0]), security="insecure"), {V4: scan(chain)})
    assert dane.dane_valid_hosts([mx]) == set()
    result = dane.judge([mx], null_mx=False)
    assert statuses(result) == ("failed", "not_tested", "not_tested", "failed")
    assert "not DNSSEC-signed" in result["dane"].explanation.en


def test_bogus_tlsa(chain: list[x509.Certificate]) -> None:
    mx = entry(tlsa(rdata(3, 1, 1, chain[0]), security="bogus"), {V4: scan(chain)})
    assert dane.dane_valid_hosts([mx]) == set()
    assert statuses(dane.judge([mx], null_mx=False)) == \
        ("passed", "failed", "not_tested", "failed")


def test_no_tlsa_and_no_dns_answer(chain: list[x509.Certificate]) -> None:
    for rcode in ("NXDOMAIN", "NOERROR"):
        none = dane.judge([entry(tlsa(rcode=rcode), {V4: scan(chain)})], null_mx=False)
        assert statuses(none) == ("failed", "not_tested", "not_tested", "failed")
    broken = dane.judge([entry(tlsa(security="error", rcode=""), {V4: scan(chain)})], False)
    assert statuses(broken) == ("error", "error", "not_tested", "error")


def test_unreachable_and_no_starttls(chain: list[x509.Certificate]) -> None:
    record = tlsa(rdata(3, 1, 1, chain[0]))
    down = dane.judge([entry(record, {V4: scan(None, connected=False)})], null_mx=False)
    assert down["dane"].status == Status.UNREACHABLE
    assert down["dane_valid"].status == Status.UNREACHABLE
    plain = dane.judge([entry(tlsa(), {V4: scan(None, starttls=False)})], null_mx=False)
    assert plain["dane"].status == Status.FAILED and "STARTTLS" in plain["dane"].explanation.en
    # one dead address (AAAA without a listener) does not hide a good one
    half = entry(record, {V4: scan(chain), V6: scan(None, connected=False)})
    silent = entry(record, {V4: scan(None, starttls=None, error="no SMTP greeting")})
    assert dane.judge([silent], null_mx=False)["dane"].status == Status.UNREACHABLE
    assert dane.dane_valid_hosts([half]) == {MX}
    handshake = entry(record, {V4: scan(None, error="handshake failure")})
    assert dane.dane_valid_hosts([handshake]) == set()
    assert "handshake failure" in dane.judge([handshake], False)["dane"].explanation.en


def test_starttls_without_result_cascades(chain: list[x509.Certificate]) -> None:
    mx = entry(tlsa(rdata(3, 1, 1, chain[0])), {V4: scan(chain)})
    starttls = verdict(Status.UNREACHABLE, "onbereikbaar", "unreachable")
    assert dane.judge([mx], False, starttls)["dane"].status == Status.UNREACHABLE
    passed = verdict(Status.PASSED, "goed", "good")
    assert dane.judge([mx], False, passed)["dane"].status == Status.PASSED


@pytest.mark.parametrize(("extra", "status"), [
    ("ta", "passed"),  # 3 1 1 and 2 1 1
    ("next", "passed"),  # 3 1 1 of the current and of the next key
    ("same", "info"),  # 3 1 1 and 3 0 1 of the same certificate: no second key
    ("pkix", "info"),  # an unusable record is no scheme
])
def test_rollover_scheme(chain: list[x509.Certificate], next_chain: list[x509.Certificate],
                         extra: str, status: str) -> None:
    second = {"ta": rdata(2, 1, 1, chain[1]), "next": rdata(3, 1, 1, next_chain[0]),
              "same": rdata(3, 0, 1, chain[0]), "pkix": rdata(1, 1, 1, next_chain[0])}[extra]
    mx = entry(tlsa(rdata(3, 1, 1, chain[0]), second), {V4: scan(chain)})
    result = dane.judge([mx], null_mx=False)
    assert result["dane_rollover"].status == status
    assert result["dane"].status == Status.PASSED  # a missing scheme never fails the column


def test_every_mx_must_be_valid(chain: list[x509.Certificate],
                                next_chain: list[x509.Certificate]) -> None:
    good = entry(tlsa(rdata(3, 1, 1, chain[0])), {V4: scan(chain)}, "mx1.example.nl")
    stale = entry(tlsa(rdata(3, 1, 1, chain[0])), {V4: scan(next_chain)}, "mx2.example.nl")
    assert dane.dane_valid_hosts([good, stale]) == {"mx1.example.nl"}
    result = dane.judge([good, stale], null_mx=False)
    assert result["dane"].status == Status.FAILED
    assert "mx2.example.nl" in result["dane"].explanation.en
    assert dane.judge([good], null_mx=False)["dane"].status == Status.PASSED


def test_null_mx_and_no_mx() -> None:
    assert {v.status for v in dane.judge([], null_mx=True).values()} == {Status.NOT_TESTED}
    assert {v.status for v in dane.judge([], null_mx=False).values()} == {Status.INFO}


def test_explanations_in_both_languages(chain: list[x509.Certificate]) -> None:
    mx = entry(tlsa(rdata(3, 1, 1, chain[0])), {V4: scan(chain)})
    for v in dane.judge([mx], null_mx=False).values():
        assert v.explanation.nl and v.explanation.en and v.explanation.nl != v.explanation.en
