"""Columns over several servers or addresses ("every MX", "every address"): a server
without a result must not hide a failure on another (verdict.worst)."""

from __future__ import annotations

from typing import Any

import pytest

from meting.checks import dane, dnssec, starttls, tls_ncsc
from meting.checks.per_address import combine
from meting.checks.verdict import Status, verdict, worst
from meting.evidence.models import MxHost
from tests.unit.recorded import as_model, dns_answer
from tests.unit.test_checks_tls_ncsc import stopped_scan

S = Status


@pytest.mark.parametrize(("statuses", "expected"), [
    ((S.ERROR, S.FAILED), S.FAILED),
    ((S.UNREACHABLE, S.FAILED, S.PASSED), S.FAILED),
    ((S.NOT_TESTABLE, S.WARNING), S.NOT_TESTABLE),
    ((S.UNREACHABLE, S.ERROR), S.ERROR),
    ((S.PASSED, S.INFO, S.WARNING), S.WARNING),
    ((S.PASSED, S.INFO), S.INFO),
    ((S.PASSED, S.NOT_TESTED), S.PASSED),
    ((S.NOT_APPLICABLE, S.NOT_APPLICABLE), S.NOT_APPLICABLE),
    ((), S.NOT_TESTED),
])
def test_a_failure_wins_then_no_result_then_warning_info_passed(
        statuses: tuple[Status, ...], expected: Status) -> None:
    assert worst(statuses) == expected


def said(status: Status) -> Any:
    return verdict(status, f"nl {status}", f"en {status}")


def test_per_address_failure_is_not_hidden_by_an_error_on_another_address() -> None:
    combined = combine({"192.0.2.1": said(S.ERROR), "2001:db8::1": said(S.FAILED)})
    assert combined.status == S.FAILED


def test_tls_subtests_over_servers() -> None:
    combined = tls_ncsc.combine({"192.0.2.1": {"tls_version": said(S.ERROR)},
                                 "192.0.2.2": {"tls_version": said(S.FAILED)}})
    assert combined["tls_version"].status == S.FAILED
    assert "192.0.2.2" in combined["tls_version"].explanation.en


def test_dnssec_mx_an_unsigned_mx_fails_beside_one_without_answer() -> None:
    judged = dnssec.judge_mail({"mx1.example.nl": "error", "mx2.example.nl": "insecure"}, False)
    assert judged["dnssec_mx"].status == S.FAILED
    judged = dnssec.judge_mail({"mx1.example.nl": "error", "mx2.example.nl": "secure"}, False)
    assert judged["dnssec_mx"].status == S.ERROR


def mx(name: str, scan: dict[str, Any]) -> MxHost:
    tlsa = dns_answer(f"_25._tcp.{name}", "TLSA") | {"rcode": "NXDOMAIN"}
    return as_model(MxHost, {
        "name": name, "a": dns_answer(name, "A", ["192.0.2.1"]), "aaaa": dns_answer(name, "AAAA"),
        "tlsa": tlsa, "smtp6": {}, "starttls": {"192.0.2.1": scan},
        "caa": {"name": name, "found_at": None, "records": [], "queried": [name],
                "error": None}})


def test_dane_an_mx_without_starttls_fails_beside_an_unreachable_mx() -> None:
    silent = stopped_scan(port=25, starttls="smtp", connected=True, smtp_error="no answer")
    plain = stopped_scan(port=25, starttls="smtp", connected=True, starttls_offered=False)
    entries = [mx("mx.a.nl", silent), mx("mx.b.nl", plain)]
    column = starttls.judge_mail_tls(entries, {}, set())["starttls"]
    assert column.status == S.FAILED
    assert dane.judge(entries, False, column)["dane"].status == S.FAILED
    only_silent = [mx("mx.a.nl", silent)]
    assert dane.judge(only_silent, False, None)["dane"].status == S.UNREACHABLE
