"""Internet.nl batch API (v2) results imported as a round (mapping in
analysis/data/internetnl-batch.yaml)."""

from __future__ import annotations

from typing import Any

import pytest

from meting.analysis.imports import read_batch_json


def outcome(status: str) -> dict[str, str]:
    return {"status": status, "verdict": "whatever"}


def web_result(**overrides: str) -> dict[str, Any]:
    tests = {name: outcome("passed") for name in (
        "web_dnssec_exist", "web_dnssec_valid", "web_https_http_available",
        "web_https_http_redirect", "web_https_http_hsts", "web_https_tls_version",
        "web_https_tls_ciphers", "web_ipv6_ns_address", "web_ipv6_ns_reach",
        "web_ipv6_ws_address", "web_ipv6_ws_reach", "web_ipv6_ws_similar")}
    tests.update({name: outcome(status) for name, status in overrides.items()})
    return {"status": "ok", "results": {"categories": {"web_ipv6": outcome("failed")},
                                        "tests": tests}}


def test_batch_results_map_onto_columns() -> None:
    data = {"domains": {
        "www.b.nl": web_result(web_https_tls_version="warning", web_https_tls_ciphers="failed",
                               web_https_http_hsts="info", web_dnssec_valid="good_not_tested"),
        "www.a.nl": {"status": "error"},
    }}
    a, b = read_batch_json(data, "web")
    assert a.domain == "www.a.nl" and set(a.columns.values()) == {"error"}
    assert b.columns == {
        "dnssec": "passed",  # good_not_tested counts as not_tested, the exist test passed
        "tls_available": "passed", "https_redirect": "passed", "hsts": "info",
        "tls_ncsc_web": "failed",  # the worst of its TLS tests
        "ipv6_nameserver": "passed", "ipv6_webserver": "passed",
        "ipv6_web": "failed",  # from the category
    }
    # columns whose tests the result does not carry are not measured
    assert "security_txt" not in b.columns and "rpki_web" not in b.columns


MAIL_TESTS = {
    # test name in the batch API v2 → the column it feeds
    "mail_auth_dmarc_exist": "dmarc", "mail_auth_dmarc_policy": "dmarc_policy",
    "mail_auth_dkim_exist": "dkim", "mail_auth_spf_exist": "spf",
    "mail_auth_spf_policy": "spf_policy", "mail_starttls_tls_available": "starttls",
    "mail_starttls_tls_version": "starttls_ncsc", "mail_starttls_tls_ciphers": "starttls_ncsc",
    "mail_starttls_tls_0rtt": "starttls_ncsc", "mail_starttls_cert_chain": "starttls_ncsc",
    "mail_dnssec_mx_exist": "dnssec_mx", "mail_dnssec_mx_valid": "dnssec_mx",
    "mail_starttls_dane_exist": "dane", "mail_starttls_dane_valid": "dane",
    "mail_ipv6_ns_address": "ipv6_nameserver", "mail_ipv6_ns_reach": "ipv6_nameserver",
    "mail_ipv6_mx_address": "ipv6_mailserver", "mail_ipv6_mx_reach": "ipv6_mailserver",
}
# The tests about the mail servers themselves: Internet.nl does not run them without MX.
MX_TESTS = [t for t, c in MAIL_TESTS.items()
            if c in ("starttls", "starttls_ncsc", "dnssec_mx", "dane", "ipv6_mailserver")]


def mail_result(testable: str | None = "ok", non_sending: bool = False,
                **overrides: str) -> dict[str, Any]:
    """One domain of a mail batch result in the v2 shape; every test passed unless named."""
    tests = {name: outcome(overrides.get(name, "passed")) for name in MAIL_TESTS}
    custom: dict[str, Any] = {"mail_non_sending_domain": non_sending, "tls_1_3_support": "yes"}
    if testable is not None:
        custom["mail_servers_testable_status"] = testable
    return {"status": "ok", "results": {
        "categories": {"mail_ipv6": outcome("failed"), "mail_auth": outcome("passed")},
        "tests": tests, "custom": custom}}


def mail_columns(entry: dict[str, Any]) -> dict[str, str]:
    (result,) = read_batch_json({"domains": {"example.nl": entry}}, "mail")
    return result.columns


def test_zero_rtt_counts_for_starttls_ncsc() -> None:
    columns = mail_columns(mail_result(mail_starttls_tls_0rtt="failed"))
    assert columns["starttls_ncsc"] == "failed"
    assert columns["starttls"] == "passed" and columns["dane"] == "passed"


def test_all_mail_tests_passed() -> None:
    columns = mail_columns(mail_result())
    assert set(columns) == {*MAIL_TESTS.values(), "ipv6_mail"}
    # ipv6_mail follows SPEC's rule over the two IPv6 columns, not the category's score
    assert set(columns.values()) == {"passed"}


def test_no_mx_gives_info_on_the_mail_server_columns() -> None:
    entry = mail_result("no_mx", **dict.fromkeys(MX_TESTS, "not_tested"))
    columns = mail_columns(entry)
    assert {c: columns[c] for c in ("starttls", "starttls_ncsc", "dnssec_mx", "dane",
                                    "ipv6_mailserver")} == dict.fromkeys(
        ("starttls", "starttls_ncsc", "dnssec_mx", "dane", "ipv6_mailserver"), "info")
    assert columns["ipv6_mail"] == "passed"  # no mail servers, name servers pass (SPEC §6)
    assert columns["dkim"] == "passed" and columns["dmarc"] == "passed"


def test_null_mx_keeps_not_tested_and_non_sending_makes_dkim_not_applicable() -> None:
    # Internet.nl reports a correct Null MX as testable "ok", its MX tests not_tested
    entry = mail_result("ok", non_sending=True, mail_auth_dkim_exist="failed",
                        **dict.fromkeys(MX_TESTS, "not_tested"))
    columns = mail_columns(entry)
    for column in ("starttls", "starttls_ncsc", "dnssec_mx", "dane", "ipv6_mailserver"):
        assert columns[column] == "not_tested", column
    assert columns["dkim"] == "not_applicable"
    assert columns["ipv6_mail"] == "passed"


def test_a_sending_domain_keeps_its_dkim_result() -> None:
    assert mail_columns(mail_result(mail_auth_dkim_exist="failed"))["dkim"] == "failed"


@pytest.mark.parametrize(("testable", "status"), [("unreachable", "unreachable"),
                                                  ("untestable", "not_testable")])
def test_mail_servers_without_a_starttls_result(testable: str, status: str) -> None:
    starttls_tests = [t for t in MX_TESTS if MAIL_TESTS[t] in ("starttls", "starttls_ncsc",
                                                               "dane")]
    entry = mail_result(testable, mail_starttls_tls_available="error",
                        **dict.fromkeys(starttls_tests[1:], "not_tested"))
    columns = mail_columns(entry)
    assert (columns["starttls"], columns["starttls_ncsc"], columns["dane"]) == (status,) * 3
    # DNSSEC of the MX names and IPv6 reachability have their own tests
    assert columns["dnssec_mx"] == "passed" and columns["ipv6_mailserver"] == "passed"


def test_without_custom_results_the_tests_stand() -> None:
    """Older batch results carry no mail_servers_testable_status."""
    entry = mail_result(None, mail_starttls_tls_available="error")
    assert mail_columns(entry)["starttls"] == "error"


def test_ipv6_mail_fails_when_the_mail_servers_fail_ipv6() -> None:
    columns = mail_columns(mail_result(mail_ipv6_mx_reach="failed"))
    assert columns["ipv6_mailserver"] == "failed" and columns["ipv6_mail"] == "failed"
