"""DNSSEC verdicts from recorded resolver security."""

from __future__ import annotations

import pytest

from meting.checks import dnssec
from meting.checks.verdict import Status, worst


@pytest.mark.parametrize(("security", "exists", "valid", "column"), [
    ("secure", "passed", "passed", "passed"),
    ("insecure", "failed", "not_tested", "failed"),
    ("bogus", "passed", "failed", "failed"),
    ("error", "error", "error", "error"),
])
def test_web_dnssec(security: str, exists: str, valid: str, column: str) -> None:
    result = dnssec.judge_web("www.example.nl", security)
    assert [result[k].status for k in ("dnssec_exists", "dnssec_valid", "dnssec")] == \
        [exists, valid, column]
    assert "www.example.nl" in result["dnssec"].explanation.en
    assert result["dnssec"].explanation.nl != result["dnssec"].explanation.en


@pytest.mark.parametrize(("mx", "column"), [
    ({"mx1.example.nl": "secure", "mx2.example.nl": "secure"}, "passed"),
    ({"mx1.example.nl": "secure", "mx.outlook.com": "insecure"}, "failed"),
    ({"mx1.example.nl": "bogus"}, "failed"),
    ({"mx1.example.nl": "secure", "mx2.example.nl": "error"}, "error"),
])
def test_mail_dnssec_over_every_mx(mx: dict[str, str], column: str) -> None:
    assert dnssec.judge_mail(mx, null_mx=False)["dnssec_mx"].status == column


def test_mail_dnssec_without_mx_and_with_null_mx() -> None:
    assert dnssec.judge_mail({}, null_mx=False)["dnssec_mx"].status == Status.INFO
    assert dnssec.judge_mail({}, null_mx=True)["dnssec_mx"].status == Status.NOT_TESTED


def test_worst_status() -> None:
    assert worst([Status.PASSED, Status.INFO, Status.WARNING]) == Status.WARNING
    assert worst([Status.PASSED, Status.FAILED, Status.WARNING]) == Status.FAILED
    assert worst([Status.PASSED, Status.ERROR]) == Status.ERROR
    assert worst([]) == Status.NOT_TESTED
