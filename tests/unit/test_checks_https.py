"""HTTPS, redirect, HSTS, security.txt and security headers judged on hand-built evidence
(the shapes of probe/web_http.py), validated by the evidence's models before it is judged."""

from __future__ import annotations

from typing import Any

import pytest

from meting import norms
from meting.checks import headers, https
from meting.checks.security_txt import judge_file
from meting.checks.verdict import Status, Verdict
from meting.evidence import models
from meting.norms import Norm
from meting.probe.http import HttpResponse
from tests.unit.recorded import as_model

HOST = "www.example.nl"
V4, V6 = "192.0.2.1", "2001:db8::1"
GOOD_HEADERS = (("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
                ("X-Frame-Options", "DENY"), ("X-Content-Type-Options", "nosniff"),
                ("Content-Security-Policy", "default-src 'self'"),
                ("Referrer-Policy", "no-referrer"))
GOOD_TXT = "Contact: mailto:security@example.nl\nExpires: 2027-06-01T00:00:00Z\n"
CURRENT, OLD = norms.load("current"), norms.load("2019")  # HSTS: one year, six months


def response(status: int = 200, headers: tuple[tuple[str, str], ...] = GOOD_HEADERS,
             failure: str = "", error: str | None = None, tls: bool = True) -> dict[str, Any]:
    return HttpResponse(V4, HOST, 443 if tls else 80, tls, "/", status, headers, "", 0, False,
                        1.0, error, failure).to_dict()


def hop(url: str, status: int, location: str | None = None, failure: str = "",
        error: str | None = None) -> dict[str, Any]:
    return {"url": url, "address": V4, "status": status, "location": location,
            "failure": failure, "error": error}


def security_txt(body: str = GOOD_TXT, status: int = 200, end: str = "answer",
                 content_type: str = "text/plain; charset=utf-8") -> dict[str, Any]:
    url = f"https://{HOST}/.well-known/security.txt"
    return {"hops": [hop(url, status)], "end": end, "status": status,
            "content_type": content_type, "body": body, "truncated": False,
            "fetched_at": "2026-11-23T12:00:00+00:00"}


def entry(https_answer: dict[str, Any] | None = None, first: dict[str, Any] | None = None,
          txt: dict[str, Any] | None = None) -> dict[str, Any]:
    first = first or hop(f"http://{HOST}/", 301, f"https://{HOST}/")
    return {"https": https_answer or response(), "http": {"hops": [first], "end": "answer"},
            "security_txt": txt or security_txt()}


def addresses(evidence: dict[str, dict[str, Any]]) -> dict[str, models.AddressHttp]:
    return {a: as_model(models.AddressHttp, e) for a, e in evidence.items()}


def judge_http(evidence: dict[str, dict[str, Any]], host: str, norm: Norm) -> dict[str, Verdict]:
    return https.judge(addresses(evidence), host, norm)


def tls_gate(evidence: dict[str, dict[str, Any]], tls_available: Verdict) -> Verdict | None:
    return https.tls_gate(addresses(evidence), tls_available)


def judge_txt(fetched: dict[str, Any]) -> Verdict:
    return judge_file(as_model(models.SecurityTxtFetch, fetched))


def http_response(data: dict[str, Any]) -> models.HttpResponse:
    return as_model(models.HttpResponse, data)


def statuses(evidence: dict[str, Any], norm: dict[str, Any] = CURRENT) -> dict[str, str]:
    judged = judge_http(evidence, HOST, norm)
    return {k: str(judged[k].status) for k in https.COLUMNS}


def test_everything_right_on_both_addresses() -> None:
    judged = judge_http({V4: entry(), V6: entry()}, HOST, CURRENT)
    assert {str(judged[k].status) for k in https.KEYS} == {"passed"}
    assert all(judged[k].explanation.nl and judged[k].explanation.en for k in https.KEYS)


def test_no_https_at_all() -> None:
    refused = response(0, (), failure="refused", error="ConnectionRefusedError")
    plain = hop(f"http://{HOST}/", 200)
    assert statuses({V4: entry(refused, plain)}) == {
        "tls_available": "failed", "https_redirect": "failed", "hsts": "failed",
        "security_txt": "failed", "security_headers": "not_tested"}


def test_https_on_one_address_only_fails_https_but_judges_the_other() -> None:
    refused = response(0, (), failure="refused", error="ConnectionRefusedError")
    judged = judge_http({V4: entry(), V6: entry(refused)}, HOST, CURRENT)
    assert judged["tls_available"].status == Status.FAILED
    assert V6 in judged["tls_available"].explanation.en
    assert judged["hsts"].status == Status.FAILED
    assert judged["security_headers"].status == Status.PASSED


@pytest.mark.parametrize("failure", ["tls", "http"])
def test_handshake_or_http_garbage_is_error_and_cascades(failure: str) -> None:
    broken = response(0, (), failure=failure, error="no complete answer within 6 s")
    judged = judge_http({V4: entry(broken)}, HOST, CURRENT)
    assert {str(judged[k].status) for k in https.KEYS} == {"error"}


@pytest.mark.parametrize("failure", ["no_connection", "refused"])
def test_address_without_a_web_server_fails_only_tls_available(failure: str) -> None:
    dead = entry(response(0, (), failure=failure, error="x"),
                 hop(f"http://{HOST}/", 0, failure=failure, error="x"))
    judged = judge_http({V4: entry(), V6: dead}, HOST, CURRENT)
    assert {k: str(judged[k].status) for k in https.COLUMNS} == {
        "tls_available": "failed", "https_redirect": "passed", "hsts": "passed",
        "security_txt": "passed", "security_headers": "passed"}
    assert V6 in judged["tls_available"].explanation.en
    assert set(statuses({V6: dead}).values()) == {"unreachable"}
    # tls_ncsc_web is then judged on the addresses that answer, not failed as "no HTTPS"
    assert tls_gate({V4: entry(), V6: dead}, judged["tls_available"]) is None


def test_no_https_on_one_address_beside_a_broken_one_fails() -> None:
    refused = response(0, (), failure="refused", error="ConnectionRefusedError")
    garbage = response(0, (), failure="tls", error="garbage")
    evidence = {V4: entry(refused), V6: entry(garbage)}
    judged = judge_http(evidence, HOST, CURRENT)
    assert judged["tls_available"].status == Status.FAILED
    assert tls_gate(evidence, judged["tls_available"]) == judged["tls_available"]


def test_no_addresses_is_not_tested() -> None:
    assert set(statuses({}).values()) == {"not_tested"}


@pytest.mark.parametrize(("first", "expected"), [
    (hop(f"http://{HOST}/", 301, f"https://{HOST}/"), "passed"),
    (hop(f"http://{HOST}/", 308, f"https://{HOST.upper()}/start"), "passed"),
    (hop(f"http://{HOST}/", 302, "https://example.nl/"), "failed"),        # other host first
    (hop(f"http://{HOST}/", 301, f"http://{HOST}/other"), "failed"),       # not to https
    (hop(f"http://{HOST}/", 301, "/relative"), "failed"),                  # stays on http
    (hop(f"http://{HOST}/", 200), "failed"),                               # content over http
    (hop(f"http://{HOST}/", 0, failure="refused"), "passed"),              # HTTP not offered
    (hop(f"http://{HOST}/", 0, failure="no_connection"), "passed"),
    (hop(f"http://{HOST}/", 0, failure="http", error="timeout"), "error"),
])
def test_https_forced(first: dict[str, Any], expected: str) -> None:
    assert statuses({V4: entry(first=first)})["https_redirect"] == expected


@pytest.mark.parametrize(("value", "age"), [
    ("max-age=31536000", 31536000),
    ("MAX-AGE=31536000; includeSubDomains; preload", 31536000),
    ('max-age="31536000"', 31536000),
    ("  includeSubDomains ;max-age = 63072000 ", 63072000),
    ("max-age=31536000, max-age=10", 31536000),   # folded headers: the first counts
    ("includeSubDomains", None),
    ("max-age=1y", None),
    ("max-age=31536000; max-age=31536000", None),  # RFC 6797 §6.1: each directive once
    ("", None),
])
def test_hsts_parsing(value: str, age: int | None) -> None:
    r = http_response(response(headers=(("strict-transport-security", value),)))
    judged = https.hsts(r, CURRENT)
    assert judged.status == (Status.PASSED if age else Status.FAILED)
    if age:
        assert str(age) in judged.explanation.en


def test_hsts_only_the_first_header_counts() -> None:
    two = (("Strict-Transport-Security", "max-age=100"),
           ("Strict-Transport-Security", "max-age=31536000"))
    assert https.hsts(http_response(response(headers=two)), CURRENT).status == \
        Status.FAILED


def test_hsts_six_months_under_both_norms() -> None:
    six_months = (("Strict-Transport-Security", "max-age=15768000"),)
    evidence = {V4: entry(response(headers=six_months))}
    assert statuses(evidence, OLD)["hsts"] == "passed"
    assert statuses(evidence, CURRENT)["hsts"] == "failed"
    assert statuses(evidence, norms.load("2021"))["hsts"] == "failed"  # one year from 2021
    assert "31536000" in judge_http(evidence, HOST, CURRENT)["hsts"].explanation.nl


def test_compression_is_informational() -> None:
    gzip = (*GOOD_HEADERS, ("Content-Encoding", "gzip"))
    judged = judge_http({V4: entry(response(headers=gzip))}, HOST, CURRENT)
    assert judged["http_compression"].status == Status.INFO
    assert all(judged[c].status == Status.PASSED for c in https.COLUMNS)


@pytest.mark.parametrize(("txt", "expected", "said"), [
    (security_txt(), "passed", "Valid"),
    (security_txt(status=404, body="not found"), "failed", "404"),
    (security_txt(content_type="text/html"), "failed", "text/html"),
    (security_txt(content_type="text/plain; charset=iso-8859-1"), "failed", "charset"),
    (security_txt(content_type="text/plain"), "passed", "Valid"),
    (security_txt(body="Contact: mailto:a@example.nl\nExpires: 2026-01-01T00:00:00Z\n"),
     "failed", "passed"),
    (security_txt(end="too_many_redirects", status=301), "failed", "too many redirects"),
    (security_txt(end="insecure_redirect", status=301), "failed", "http:"),
    (security_txt(end="failure", status=0), "error", "no result"),
])
def test_security_txt(txt: dict[str, Any], expected: str, said: str) -> None:
    judged = judge_txt(txt)
    assert judged.status == expected
    assert said in judged.explanation.en


def test_security_txt_expiry_is_judged_at_the_time_of_the_fetch() -> None:
    txt = security_txt(body="Contact: mailto:a@example.nl\nExpires: 2026-12-01T00:00:00Z\n")
    assert judge_txt(txt).status == Status.PASSED
    assert judge_txt(txt | {"fetched_at": "2026-12-02T00:00:00+00:00"}).status == \
        Status.FAILED


def header_status(*pairs: tuple[str, str]) -> dict[str, str]:
    judged = headers.judge({V4: http_response(response(headers=pairs))})
    return {k: str(v.status) for k, v in judged.items()}


def test_no_security_headers_is_a_warning() -> None:
    assert set(header_status().values()) == {"warning"}


@pytest.mark.parametrize(("pairs", "expected"), [
    ((("X-Frame-Options", "sameorigin"),), "passed"),
    ((("X-Frame-Options", "ALLOW-FROM https://example.nl/"),), "warning"),
    ((("Content-Security-Policy", "frame-ancestors 'none'"),), "passed"),
    ((("Content-Security-Policy", "frame-ancestors *"),), "warning"),
])
def test_x_frame(pairs: tuple[tuple[str, str], ...], expected: str) -> None:
    assert header_status(*pairs)["http_x_frame"] == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("nosniff", "passed"), ("NoSniff", "passed"), ("sniff", "warning")])
def test_x_content_type(value: str, expected: str) -> None:
    assert header_status(("X-Content-Type-Options", value))["http_x_content_type"] == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("default-src 'self'", "passed"),
    ("default-src 'none'; script-src 'self' https://cdn.example.nl", "passed"),
    ("script-src 'self'", "warning"),                             # no default-src
    ("default-src 'self' 'unsafe-inline'", "warning"),
    ("default-src 'self'; script-src 'self' 'unsafe-eval'", "warning"),
    ("default-src *", "warning"),
    ("default-src 'self'; object-src data:", "warning"),
])
def test_csp(value: str, expected: str) -> None:
    assert header_status(("Content-Security-Policy", value))["http_csp"] == expected


def test_csp_a_second_strict_policy_is_enough() -> None:
    both = (("Content-Security-Policy", "default-src *"),
            ("Content-Security-Policy", "default-src 'self'"))
    assert header_status(*both)["http_csp"] == "passed"


@pytest.mark.parametrize(("value", "expected"), [
    ("no-referrer", "passed"), ("strict-origin-when-cross-origin", "passed"),
    ("unsafe-url", "warning"), ("no-referrer-when-downgrade", "warning"),
    ("unsafe-url, same-origin", "passed"),       # the last known policy applies
    ("same-origin, made-up-policy", "passed"),   # unknown tokens are skipped
    ("made-up-policy", "warning"),
])
def test_referrer_policy(value: str, expected: str) -> None:
    assert header_status(("Referrer-Policy", value))["http_referrer_policy"] == expected


def test_security_headers_column_is_the_worst_subtest_with_its_reasons() -> None:
    judged = headers.judge({V4: http_response(response())})
    assert judged["security_headers"].status == Status.PASSED
    no_referrer = tuple(h for h in GOOD_HEADERS if h[0] != "Referrer-Policy")
    judged = headers.judge({V4: http_response(response(headers=no_referrer))})
    assert judged["security_headers"].status == Status.WARNING
    assert "Referrer-Policy" in judged["security_headers"].explanation.en
