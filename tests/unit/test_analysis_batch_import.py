"""Internet.nl batch API (v2) results imported as a round (mapping in
analysis/data/internetnl-batch.yaml)."""

from __future__ import annotations

from typing import Any

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
