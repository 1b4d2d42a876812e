"""A whole web test judged from hand-built evidence (checks/tests.judge_web): IPv6 columns
when a lookup has no answer or the host has no IPv4, and the HTTPS/TLS columns when the
host has no address or an address without a web server. The evidence is validated by its
model before it is judged."""

from __future__ import annotations

from typing import Any

from meting import norms
from meting.checks import tests
from meting.evidence.models import WebEvidence
from meting.probe.evidence import DnsAnswer, Reach
from meting.probe.http import HttpResponse
from tests.unit.recorded import as_model
from tests.unit.test_checks_https import entry, hop, response
from tests.unit.test_checks_tls_ncsc import HOST, good_scan, stopped_scan

CURRENT = norms.load("current")
V4, V6 = "192.0.2.1", "2001:db8::10"
PAGE = "Welkom bij de gemeente. Hier vindt u informatie over afval en wonen. " * 5


def dns(name: str, rtype: str, answers: tuple[str, ...] = (), rcode: str = "NOERROR",
        error: str | None = None) -> dict[str, Any]:
    security = "error" if error else "secure"
    return DnsAnswer(name, rtype, "r", rcode, not error, False, answers, 1.0, error,
                     security).to_dict()  # type: ignore[arg-type]


def nameserver(name: str, v6: str, aaaa_error: str | None = None) -> dict[str, Any]:
    aaaa = dns(name, "AAAA", rcode="", error=aaaa_error) if aaaa_error else dns(
        name, "AAAA", (v6,))
    reach6 = {} if aaaa_error else {v6: dns("x.nl", "SOA", ("x",))}
    return {"name": name, "a": dns(name, "A", ("192.0.2.53",)), "aaaa": aaaa, "reach6": reach6}


def ports(*addresses: str) -> dict[str, dict[str, Any]]:
    return {a: {p: Reach(a, int(p), True, None, 1.0, None).to_dict() for p in ("80", "443")}
            for a in addresses}


def page(address: str) -> dict[str, Any]:
    return HttpResponse(address, HOST, 443, True, "/", 200, (), PAGE, len(PAGE), False, 1.0,
                        None, "").to_dict()


def web(a: dict[str, Any], aaaa: dict[str, Any], **more: Any) -> dict[str, Any]:
    """Web evidence without HTTP answers or TLS scans unless given."""
    return {"evidence_version": 3, "kind": "web", "target": HOST, "dns_queries": 0,
            "missing": None, "refused": {}, "zone": "example.nl",
            "host": {"name": HOST, "a": a, "aaaa": aaaa},
            "nameservers": [nameserver("ns1.x.nl", "2001:db8::1"),
                            nameserver("ns2.x.nl", "2001:db8::2")],
            "ports": {}, "site": {}, "http": {}, "tls": {},
            "caa": {"name": HOST, "found_at": None, "records": [], "queried": [HOST],
                    "error": None},
            "routing": None, **more}


def statuses(evidence: dict[str, Any]) -> dict[str, str]:
    model = as_model(WebEvidence, evidence)
    return {k: str(v.status) for k, v in tests.judge_web(model, CURRENT).items()}


def test_an_ipv6_only_host_passes_ipv6_webserver_without_a_comparison() -> None:
    evidence = web(dns(HOST, "A"), dns(HOST, "AAAA", (V6,)), ports=ports(V6),
                   site={"v6": page(V6)})
    judged = statuses(evidence)
    assert (judged["web_ipv46"], judged["ipv6_webserver"], judged["ipv6_web"]) == (
        "not_tested", "passed", "passed")


def test_the_ipv6_fetch_failing_is_an_error_and_the_ipv4_fetch_failing_is_skipped() -> None:
    broken = HttpResponse(V6, HOST, 443, True, "/", 0, (), "", 0, False, 1.0, "timeout",
                          "http").to_dict()
    evidence = web(dns(HOST, "A", (V4,)), dns(HOST, "AAAA", (V6,)), ports=ports(V4, V6),
                   site={"v4": page(V4), "v6": broken})
    assert statuses(evidence)["ipv6_webserver"] == "error"
    evidence["site"] = {"v4": {**broken, "address": V4}, "v6": page(V6)}
    assert statuses(evidence)["ipv6_webserver"] == "passed"


def test_a_timed_out_aaaa_lookup_is_an_error_not_no_ipv6() -> None:
    evidence = web(dns(HOST, "A", (V4,)), dns(HOST, "AAAA", rcode="", error="timeout"),
                   ports=ports(V4), site={"v4": page(V4)})
    judged = statuses(evidence)
    assert (judged["web_aaaa"], judged["ipv6_webserver"], judged["ipv6_web"]) == (
        "error", "error", "error")
    evidence = web(dns(HOST, "A", (V4,)), dns(HOST, "AAAA", rcode="NXDOMAIN"),
                   ports=ports(V4), site={"v4": page(V4)})
    assert statuses(evidence)["ipv6_webserver"] == "failed"
    evidence["nameservers"][1] = nameserver("ns2.x.nl", "", aaaa_error="SERVFAIL")
    judged = statuses(evidence)
    assert (judged["ns_aaaa"], judged["ipv6_nameserver"]) == ("error", "error")


def test_a_host_without_address_is_not_tested_on_tls_too() -> None:
    judged = statuses(web(dns(HOST, "A"), dns(HOST, "AAAA"), http={}, tls={}))
    assert {judged[k] for k in ("tls_available", "tls_ncsc_web", "https_redirect",
                                "hsts")} == {"not_tested"}


def test_an_address_without_a_web_server_fails_tls_available_only() -> None:
    dead = entry(response(0, (), failure="no_connection", error="x"),
                 hop(f"http://{HOST}/", 0, failure="no_connection", error="x"))
    live = entry(first=hop(f"http://{HOST}/", 301, f"https://{HOST}/"))
    evidence = web(dns(HOST, "A", (V4,)), dns(HOST, "AAAA", (V6,)),
                   ports=ports(V4), site={"v4": page(V4)},
                   http={V4: live, V6: dead},
                   tls={V4: good_scan(address=V4), V6: stopped_scan(address=V6)},
                   caa={"name": HOST, "found_at": "example.nl",
                        "records": ['0 issue "ca.example"'], "queried": [HOST, "example.nl"],
                        "error": None})
    evidence["ports"][V6] = {p: Reach(V6, int(p), False, None, 1.0, "timeout").to_dict()
                             for p in ("80", "443")}
    judged = statuses(evidence)
    assert {k: judged[k] for k in ("tls_available", "tls_ncsc_web", "https_redirect",
                                   "hsts", "ipv6_webserver")} == {
        "tls_available": "failed", "tls_ncsc_web": "passed", "https_redirect": "passed",
        "hsts": "passed", "ipv6_webserver": "failed"}
