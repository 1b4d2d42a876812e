"""TLS per the NCSC guidelines judged from hand-built evidence (the shape of probe/tls.py),
validated by the evidence's models before it is judged."""

from __future__ import annotations

import base64
import copy
import datetime as dt
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

from meting import norms
from meting.checks import caa, starttls, tls_ncsc
from meting.checks import certificate as cert_checks
from meting.checks.verdict import Status, verdict
from meting.evidence.models import Caa, MxHost, TlsScan, WebEvidence
from meting.norms import tls as tls_norm
from tests.unit.recorded import as_model, dns_answer, evidence

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
HOST = "www.example.nl"
CURRENT, OLD = norms.load("current"), norms.load("2021")


def name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def certificate(key: Any, subject: str, issuer: str, signer: Any, sans: list[str],
                ca: bool = False) -> x509.Certificate:
    builder = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW - dt.timedelta(days=1))
               .not_valid_after(NOW + dt.timedelta(days=90))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), True))
    if sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in sans]), False)
    return builder.sign(signer, hashes.SHA256())


def der(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


CA_KEY = ec.generate_private_key(ec.SECP256R1())
CA = certificate(CA_KEY, "CA", "CA", CA_KEY, [], ca=True)
LEAF_KEY = ec.generate_private_key(ec.SECP256R1())
LEAF = certificate(LEAF_KEY, HOST, "CA", CA_KEY, [HOST, "*.example.nl"])


def staple(leaf: x509.Certificate, next_update: dt.datetime) -> str:
    response = (ocsp.OCSPResponseBuilder()
                .add_response(cert=leaf, issuer=CA, algorithm=hashes.SHA1(),
                              cert_status=ocsp.OCSPCertStatus.GOOD,
                              this_update=NOW - dt.timedelta(hours=1), next_update=next_update,
                              revocation_time=None, revocation_reason=None)
                .responder_id(ocsp.OCSPResponderEncoding.HASH, CA)
                .sign(CA_KEY, hashes.SHA256()))
    return base64.b64encode(response.public_bytes(serialization.Encoding.DER)).decode()


def good_scan(**changes: Any) -> dict[str, Any]:
    scan: dict[str, Any] = {
        "address": "192.0.2.1", "port": 443, "server_name": HOST, "starttls": None,
        "connected": True, "starttls_offered": None, "handshake_error": None,
        "chain": [der(LEAF), der(CA)], "handshakes": 15, "scanned_at": NOW.isoformat(),
        "mode": "economical", "norm": "current",  # suites by class, as evidence version 2
        "versions": {"TLSv1.3": True, "TLSv1.2": True, "TLSv1.1": False, "TLSv1.0": False,
                     "SSLv3": False, "SSLv2": False},
        "ciphers": {"TLSv1.3": {"good": ["TLS_AES_256_GCM_SHA384"]},
                    "TLSv1.2": {"sufficient": ["ECDHE-ECDSA-AES256-GCM-SHA384"]}},
        "cipher_order": {"version": "TLSv1.2", "tls13_only": False, "enforced": True,
                         "prescribed": True},
        "groups_seen": ["X25519"], "groups_accepted": {},
        "kex_hash": {"accepted": [], "default": "SHA256"},
        "compression": False, "secure_renegotiation": True, "client_renegotiation": False,
        "extended_master_secret": True, "zero_rtt": {"max_early_data": 0, "accepted": False},
        "ocsp_response": staple(LEAF, NOW + dt.timedelta(days=7)),
        "trust": {"trusted": True, "error": None, "store": "lab.pem"}}
    return scan | changes


def stopped_scan(**changes: Any) -> dict[str, Any]:
    """A scan that stopped before a handshake completed (the later fields absent)."""
    scan: dict[str, Any] = {
        "address": "192.0.2.1", "port": 443, "server_name": HOST, "starttls": None,
        "connected": False, "starttls_offered": None, "handshake_error": None, "chain": [],
        "handshakes": 1, "mode": "economical", "buckets": 1, "scanned_at": NOW.isoformat()}
    return scan | changes


def scan_model(scan: dict[str, Any]) -> TlsScan:
    return as_model(TlsScan, scan)


def judged(scan: dict[str, Any], norm: Any = CURRENT, kind: str = "web", host: str = HOST,
           dane_valid: bool = False) -> dict[str, Status]:
    subtests = tls_ncsc.judge_server(scan_model(scan), norm, kind=kind, host=host,
                                     dane_valid=dane_valid)
    column = tls_ncsc.tls_ncsc_column(subtests)
    for v in (*subtests.values(), column):
        assert v.explanation.nl and v.explanation.en
    return {k: v.status for k, v in subtests.items()} | {"column": column.status}


def test_a_good_server_passes_every_subtest() -> None:
    result = judged(good_scan())
    assert set(result) == {*tls_ncsc.SUBTESTS, "column"}
    assert {k for k, s in result.items() if s != Status.PASSED} == set()


def test_tls10_is_phase_out_in_2021_and_insufficient_now() -> None:
    scan = good_scan(versions={**good_scan()["versions"], "TLSv1.0": True},
                     ciphers={**good_scan()["ciphers"],
                              "TLSv1.0": {"phase_out": ["ECDHE-ECDSA-AES256-SHA"]}})
    old, now = judged(scan, OLD), judged(scan, CURRENT)
    assert (old["tls_version"], old["column"]) == (Status.WARNING, Status.WARNING)
    assert (now["tls_version"], now["column"]) == (Status.FAILED, Status.FAILED)
    assert old["tls_ciphers"] == now["tls_ciphers"] == Status.WARNING


def test_classes_come_from_the_norm_not_from_code() -> None:
    strict = copy.deepcopy(CURRENT)
    strict["tls"]["versions"]["TLSv1.2"] = "phase_out"
    strict["tls"]["groups"]["good"].remove("X25519")
    result = judged(good_scan(), strict)
    assert result["tls_version"] == Status.WARNING
    assert result["fs_params"] == Status.FAILED  # X25519 falls to the group default


@pytest.mark.parametrize(("suite", "expected"), [
    ("TLS_AES_256_GCM_SHA384", "good"), ("TLS_CHACHA20_POLY1305_SHA256", "good"),
    ("TLS_AES_128_GCM_SHA256", "sufficient"), ("TLS_AES_128_CCM_8_SHA256", "insufficient"),
    ("ECDHE-RSA-AES128-GCM-SHA256", "sufficient"), ("ECDHE-ECDSA-CHACHA20-POLY1305", "sufficient"),
    ("ECDHE-ECDSA-AES256-SHA384", "phase_out"), ("ECDHE-RSA-CAMELLIA256-SHA384", "phase_out"),
    ("DHE-RSA-AES256-GCM-SHA384", "phase_out"), ("AES256-GCM-SHA384", "insufficient"),
    ("ECDHE-RSA-DES-CBC3-SHA", "insufficient"), ("ECDHE-ECDSA-RC4-SHA", "insufficient"),
    ("ECDHE-ECDSA-NULL-SHA", "insufficient"), ("ECDHE-ECDSA-AES128-CCM8", "insufficient"),
    ("AECDH-AES128-SHA", "insufficient"), ("DHE-DSS-AES256-GCM-SHA384", "insufficient"),
])
def test_suite_classes(suite: str, expected: str) -> None:
    assert tls_norm.suite_class(CURRENT, suite) == expected


@pytest.mark.parametrize(("changes", "subtest", "expected"), [
    ({"ciphers": {"TLSv1.2": {"insufficient": ["AES128-GCM-SHA256"]}}}, "tls_ciphers",
     Status.FAILED),
    ({"cipher_order": {"version": "TLSv1.2", "tls13_only": False, "enforced": False,
                       "prescribed": False}}, "tls_cipher_order", Status.FAILED),
    ({"cipher_order": {"version": "TLSv1.2", "tls13_only": False, "enforced": True,
                       "prescribed": False}}, "tls_cipher_order", Status.FAILED),
    ({"cipher_order": {"version": "TLSv1.3", "tls13_only": True, "enforced": False,
                       "prescribed": True}}, "tls_cipher_order", Status.INFO),
    ({"groups_accepted": {"phase_out": ["secp224r1"]}}, "fs_params", Status.WARNING),
    ({"groups_accepted": {"insufficient": ["secp192r1"]}}, "fs_params", Status.FAILED),
    ({"ffdhe": [{"group": "ffdhe3072", "bits": 3072}]}, "fs_params", Status.PASSED),
    ({"ffdhe": [{"group": "ffdhe8192", "bits": 8192}]}, "fs_params", Status.PASSED),
    ({"ffdhe": [{"group": "ffdhe2048", "bits": 2048}]}, "fs_params", Status.WARNING),
    ({"ffdhe": [{"group": None, "bits": 4096}]}, "fs_params", Status.FAILED),  # custom prime
    ({"ffdhe": [{"group": None, "bits": 2048}]}, "fs_params", Status.FAILED),
    ({"ffdhe": [{"group": None, "bits": 1024}]}, "fs_params", Status.FAILED),
    ({"kex_hash": {"accepted": ["SHA1"], "default": "SHA256"}}, "kex_hash_func", Status.FAILED),
    ({"kex_hash": {"accepted": [], "default": "SHA224"}}, "kex_hash_func", Status.WARNING),
    ({"compression": True}, "tls_compression", Status.FAILED),
    ({"secure_renegotiation": False}, "renegotiation_secure", Status.FAILED),
    ({"client_renegotiation": True}, "renegotiation_client", Status.WARNING),
    ({"extended_master_secret": False}, "extended_master_secret", Status.WARNING),
    ({"zero_rtt": {"accepted": True, "http_status": 200}}, "zero_rtt", Status.FAILED),
    ({"zero_rtt": {"accepted": True, "http_status": 425}}, "zero_rtt", Status.PASSED),
    ({"ocsp_response": None}, "ocsp_stapling", Status.INFO),
    ({"trust": {"trusted": False, "error": "self-signed", "store": "lab.pem"}}, "cert_trust",
     Status.FAILED),
])
def test_each_element(changes: dict[str, Any], subtest: str, expected: Status) -> None:
    result = judged(good_scan(**changes))
    assert result[subtest] == expected
    assert result["column"] == expected  # every other element is good


def test_tls13_only_server_needs_no_renegotiation_compression_or_ems() -> None:
    scan = good_scan(versions={**good_scan()["versions"], "TLSv1.2": False},
                     ciphers={"TLSv1.3": {"good": ["TLS_AES_256_GCM_SHA384"]}},
                     compression=None, secure_renegotiation=None, client_renegotiation=None,
                     extended_master_secret=None)
    assert judged(scan)["column"] == Status.PASSED


def test_an_expired_ocsp_staple_fails() -> None:
    scan = good_scan(ocsp_response=staple(LEAF, NOW - dt.timedelta(minutes=5)))
    assert judged(scan)["ocsp_stapling"] == Status.FAILED


def test_certificate_names_keys_and_mail_rules() -> None:
    assert judged(good_scan(), host="foo.example.nl")["cert_hostmatch"] == Status.PASSED
    assert judged(good_scan(), host="a.b.example.nl")["cert_hostmatch"] == Status.FAILED
    untrusted = good_scan(trust={"trusted": False, "error": "unknown CA", "store": "lab.pem"})
    mail = judged(untrusted, kind="mail", host=HOST)
    assert (mail["cert_trust"], mail["cert_hostmatch"], mail["column"]) == (
        Status.INFO, Status.PASSED, Status.INFO)
    assert "ocsp_stapling" not in mail
    # SPEC §5: only a DANE-valid mail certificate is excused from the name match
    other_name = judged(untrusted, kind="mail", host="mx.other.nl")
    assert (other_name["cert_trust"], other_name["cert_hostmatch"], other_name["column"]) == (
        Status.INFO, Status.FAILED, Status.FAILED)
    dane = judged(untrusted, kind="mail", host="mx.other.nl", dane_valid=True)
    assert (dane["cert_trust"], dane["cert_hostmatch"], dane["column"]) == (
        Status.NOT_APPLICABLE, Status.NOT_APPLICABLE, Status.PASSED)
    weak_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    weak = certificate(weak_key, HOST, "CA", CA_KEY, [HOST])
    assert judged(good_scan(chain=[der(weak), der(CA)]))["cert_pubkey"] == Status.FAILED


def web_evidence(scans: dict[str, dict[str, Any]], **changes: Any) -> WebEvidence:
    """Recorded web evidence with these scans (what the web TLS column reads)."""
    caa_found = {"name": HOST, "found_at": "example.nl", "records": ['0 issue "ca.example"'],
                 "queried": [HOST, "example.nl"], "error": None}
    found = evidence("perfect.web") | {"target": HOST, "tls": scans, "caa": caa_found}
    return as_model(WebEvidence, found | changes)


def test_web_column_over_addresses_and_cascades() -> None:
    bad = good_scan(address="2001:db8::1", compression=True)
    results = tls_ncsc.judge_web_tls(web_evidence({"192.0.2.1": good_scan(),
                                                   "2001:db8::1": bad}), CURRENT)
    assert results["tls_compression"].status == Status.FAILED
    assert "2001:db8::1" in results["tls_compression"].explanation.en
    assert results["web_caa"].status == Status.PASSED
    assert results["tls_ncsc_web"].status == Status.FAILED
    error = verdict(Status.ERROR, "x", "x")
    no_https = verdict(Status.FAILED, "x", "x")
    evidence = web_evidence({"192.0.2.1": good_scan()})
    assert tls_ncsc.judge_web_tls(evidence, CURRENT, error)["tls_ncsc_web"].status == Status.ERROR
    assert tls_ncsc.judge_web_tls(evidence, CURRENT,
                                  no_https)["tls_ncsc_web"].status == Status.FAILED
    refused = web_evidence({"192.0.2.1": stopped_scan()})
    assert tls_ncsc.judge_web_tls(refused, CURRENT)["tls_ncsc_web"].status == Status.FAILED
    broken = web_evidence({"192.0.2.1": stopped_scan(connected=True, handshake_error="garbage")})
    assert tls_ncsc.judge_web_tls(broken, CURRENT)["tls_ncsc_web"].status == Status.ERROR
    no_caa = web_evidence({"192.0.2.1": good_scan()}, caa={
        "name": HOST, "found_at": None, "records": [], "queried": [HOST], "error": None})
    result = tls_ncsc.judge_web_tls(no_caa, CURRENT)
    assert (result["web_caa"].status, result["tls_ncsc_web"].status) == (Status.INFO,
                                                                          Status.INFO)


def mx(name: str, scans: dict[str, dict[str, Any]]) -> MxHost:
    return as_model(MxHost, {
        "name": name, "a": dns_answer(name, "A", list(scans)), "aaaa": dns_answer(name, "AAAA"),
        "tlsa": dns_answer(f"_25._tcp.{name}", "TLSA"), "smtp6": {}, "starttls": scans,
        "caa": {"name": name, "found_at": name, "records": ['0 issue "ca.example"'],
                "queried": [name], "error": None}})


def mail_scan(**changes: Any) -> dict[str, Any]:
    return good_scan(port=25, starttls="smtp", starttls_offered=True, server_name="mx.a.nl",
                     chain=[der(certificate(LEAF_KEY, "mx.a.nl", "CA", CA_KEY, ["mx.a.nl"])),
                            der(CA)], ocsp_response=None) | changes


def columns(entries: list[MxHost], dane: set[str] | None = None,
            null_mx: bool = False) -> tuple[Status, Status, Status]:
    r = starttls.judge_mail_tls(entries, CURRENT, dane or set(), null_mx=null_mx)
    return r["starttls_exists"].status, r["starttls"].status, r["starttls_ncsc"].status


def test_mail_columns() -> None:
    assert columns([mx("mx.a.nl", {"192.0.2.1": mail_scan()})]) == (Status.PASSED,) * 3
    assert columns([], null_mx=True) == (Status.NOT_TESTED,) * 3
    assert columns([]) == (Status.INFO,) * 3
    plain = mail_scan(starttls_offered=False)
    assert columns([mx("mx.a.nl", {"192.0.2.1": plain})]) == (Status.FAILED,) * 3
    silent = stopped_scan(port=25, starttls="smtp", connected=True,
                          smtp_error="no answer within 10 s")
    assert columns([mx("mx.a.nl", {"192.0.2.1": silent})]) == (Status.UNREACHABLE,) * 3
    both = [mx("mx.a.nl", {"192.0.2.1": silent}), mx("mx.b.nl", {"192.0.2.2": plain})]
    assert columns(both) == (Status.FAILED,) * 3
    dead_v6 = stopped_scan(address="2001:db8::1", port=25, starttls="smtp")
    one_dead = [mx("mx.a.nl", {"192.0.2.1": mail_scan(), "2001:db8::1": dead_v6})]
    assert columns(one_dead) == (Status.PASSED,) * 3
    old = mail_scan(versions={**mail_scan()["versions"], "TLSv1.0": True})
    assert columns([mx("mx.a.nl", {"192.0.2.1": old})])[2] == Status.FAILED
    self_signed = mail_scan(trust={"trusted": False, "error": "self-signed", "store": "lab.pem"})
    assert columns([mx("mx.a.nl", {"192.0.2.1": self_signed})])[2] == Status.INFO
    assert columns([mx("mx.a.nl", {"192.0.2.1": self_signed})], {"mx.a.nl"})[2] == Status.PASSED


def caa_set(**changes: Any) -> Caa:
    return as_model(Caa, {"name": HOST, "found_at": "example.nl",
                          "records": ['0 issue "ca.example"'], "queried": [HOST, "example.nl"],
                          "error": None} | changes)


def test_caa() -> None:
    assert caa.judge_caa(caa_set(), HOST, CURRENT).status == Status.PASSED
    assert caa.judge_caa(caa_set(records=[]), HOST, CURRENT).status == Status.INFO
    critical = caa_set(records=['128 unknowntag "x"'])
    assert caa.judge_caa(critical, HOST, CURRENT).status == Status.INFO


def test_mail_certificate_rules_without_dane_come_from_the_norm() -> None:
    lenient = copy.deepcopy(CURRENT)
    lenient["tls"]["mail"] = {"cert_trust_without_dane": "failed",
                              "cert_hostmatch_without_dane": "info"}
    untrusted = good_scan(trust={"trusted": False, "error": "unknown CA", "store": "lab.pem"})
    mail = judged(untrusted, lenient, kind="mail", host="mx.other.nl")
    assert (mail["cert_trust"], mail["cert_hostmatch"]) == (Status.FAILED, Status.INFO)
    web = judged(untrusted, lenient, kind="web", host="mx.other.nl")
    assert (web["cert_trust"], web["cert_hostmatch"]) == (Status.FAILED, Status.FAILED)


def test_the_status_of_missing_optional_parts_comes_from_the_norm() -> None:
    no_staple = good_scan(ocsp_response=None)
    tls13_order = good_scan(cipher_order={"version": "TLSv1.3", "tls13_only": True,
                                          "enforced": False, "prescribed": True})
    no_caa = caa_set(found_at=None, records=[])
    stricter = copy.deepcopy(CURRENT)
    stricter["tls"]["optional"]["missing"] = "warning"
    assert judged(no_staple, stricter)["ocsp_stapling"] == Status.WARNING
    assert judged(tls13_order, stricter)["tls_cipher_order"] == Status.WARNING
    assert caa.judge_caa(no_caa, HOST, stricter).status == Status.WARNING
    required = copy.deepcopy(CURRENT)
    required["tls"]["optional"]["parts"] = []
    assert judged(no_staple, required)["ocsp_stapling"] == Status.FAILED
    assert judged(tls13_order, required)["tls_cipher_order"] == Status.FAILED
    assert caa.judge_caa(no_caa, HOST, required).status == Status.FAILED
    assert caa.judge_caa(no_caa, HOST, CURRENT).status == Status.INFO


def test_custom_dh_primes_are_judged_by_the_norm_table() -> None:
    custom = good_scan(ffdhe=[{"group": None, "bits": 4096}])
    tolerant = copy.deepcopy(CURRENT)
    tolerant["tls"]["ffdhe"]["custom"] = [{"min_bits": 3072, "class": "phase_out"},
                                         {"min_bits": 0, "class": "insufficient"}]
    assert judged(custom, tolerant)["fs_params"] == Status.WARNING
    assert judged(custom)["fs_params"] == Status.FAILED
    assert "DH-4096" in tls_ncsc.fs_params(scan_model(custom), CURRENT).explanation.en


NORM_2025 = norms.load("2025")
RSA_2048 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_1024 = rsa.generate_private_key(public_exponent=65537, key_size=1024)


def pubkey_verdict(key: Any, norm: Any) -> Any:
    return cert_checks.cert_pubkey([certificate(key, HOST, "CA", CA_KEY, [HOST])], norm)


def test_a_phase_out_key_is_called_sufficient_for_now_not_too_weak() -> None:
    """rsa-2048.nl under the 2025 norm: a warning that says 'phase out' and advises the
    size the norm lets pass, never 'too weak' followed by 'at least 2048'."""
    found = pubkey_verdict(RSA_2048, NORM_2025)
    assert found.status == Status.WARNING
    assert "nu nog voldoende, maar volgens de norm uit te faseren" in found.explanation.nl
    assert "sufficient for now, but to be phased out" in found.explanation.en
    assert "minstens 3072 bits" in found.explanation.nl
    assert "at least 3072 bits" in found.explanation.en
    for text in (found.explanation.nl, found.explanation.en):
        assert "zwak" not in text and "weak" not in text and "2048 (" not in text


def test_an_insufficient_key_is_too_weak_and_gets_the_norms_minimum() -> None:
    now, later = pubkey_verdict(RSA_1024, CURRENT), pubkey_verdict(RSA_1024, NORM_2025)
    assert now.status == later.status == Status.FAILED
    assert "te zwak" in now.explanation.nl and "too weak" in now.explanation.en
    assert "minstens 2048 (liefst 3072) bits" in now.explanation.nl
    assert "at least 2048 (preferably 3072) bits" in now.explanation.en
    # under 2025 a 2048-bit key would only be a warning: advise what passes
    assert "minstens 3072 bits" in later.explanation.nl and "2048" not in later.explanation.nl


def test_the_advised_key_size_is_read_from_the_norm() -> None:
    bigger = copy.deepcopy(NORM_2025)
    bigger["tls"]["cert_pubkey"]["rsa"] = [{"min_bits": 4096, "class": "good"},
                                           {"min_bits": 2048, "class": "phase_out"},
                                           {"min_bits": 0, "class": "insufficient"}]
    found = pubkey_verdict(RSA_2048, bigger)
    assert "minstens 4096 bits" in found.explanation.nl
    assert "at least 4096 bits" in found.explanation.en


def test_dh_groups_are_advised_by_their_class_in_the_norm() -> None:
    """ffdhe2048: phase out in 'current' (sufficient for now; ffdhe3072 advised),
    insufficient in 2025, where every RFC 7919 group is at best phase out, so only
    ECDHE is advised."""
    scan = scan_model(good_scan(ffdhe=[{"group": "ffdhe2048", "bits": 2048}]))
    now, later = tls_ncsc.fs_params(scan, CURRENT), tls_ncsc.fs_params(scan, NORM_2025)
    assert (now.status, later.status) == (Status.WARNING, Status.FAILED)
    assert "nu nog voldoende, maar uit te faseren" in now.explanation.nl
    assert "sufficient for now, but to be phased out" in now.explanation.en
    assert "zwak" not in now.explanation.nl and "weak" not in now.explanation.en
    assert "ffdhe3072" in now.explanation.nl and "ffdhe3072" in now.explanation.en
    assert "Te zwakke" in later.explanation.nl and "too weak" in later.explanation.en
    assert "ffdhe3072" not in later.explanation.nl + later.explanation.en
    assert "ECDHE op een goede curve" in later.explanation.nl
