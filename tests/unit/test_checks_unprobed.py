"""A name that does not exist, name servers that cannot be found, and addresses that must
not be probed are never judged as if the test had run (checks/unprobed.py)."""

from __future__ import annotations

import copy
from typing import Any

from meting.probe.evidence import DnsAnswer
from meting.tester import judge
from tests.unit.test_explanations import key_of, recorded


def evidence(scenario: str, kind: str) -> dict[str, Any]:
    found: dict[str, Any] = copy.deepcopy(recorded()[key_of(scenario, kind)]["evidence"])
    return found


def nxdomain(name: str, rtype: str) -> dict[str, Any]:
    return DnsAnswer(name, rtype, "198.18.0.2", "NXDOMAIN", True, False, (), 1.0, None,
                     "secure").to_dict()


def test_a_name_that_does_not_exist_is_an_error_in_every_column_never_passed() -> None:
    for kind in ("web", "mail"):
        found = evidence("perfect", kind)
        name = found["target"]
        found["missing"] = {"name": name, "registered_domain": "perfect.nl",
                            "registered_rcode": "NXDOMAIN"}
        judged = judge(kind, found, "current")
        assert {v["status"] for v in judged["columns"].values()} == {"error"}
        assert {v["status"] for v in judged["subtests"].values()} == {"error"}
        text = judged["columns"]["dnssec" if kind == "web" else "dmarc"]["explanation"]
        assert f"{name} bestaat niet" in text["nl"] and "NXDOMAIN" in text["en"]
        assert "ook voor het geregistreerde domein perfect.nl" in text["nl"]


def test_a_missing_host_of_an_existing_domain_says_the_domain_exists() -> None:
    found = evidence("perfect", "web")
    found["missing"] = {"name": "www.perfect.nl", "registered_domain": "perfect.nl",
                        "registered_rcode": "NOERROR"}
    text = judge("web", found, "current")["columns"]["hsts"]["explanation"]
    assert "al bestaat het geregistreerde domein perfect.nl wel" in text["nl"]
    assert "create its DNS record" in text["en"]


def test_name_servers_that_cannot_be_found_are_an_error_not_zero_servers() -> None:
    found = evidence("perfect", "web")
    found["nameservers"] = [{"failed": nxdomain("perfect.nl", "NS")}]
    judged = judge("web", found, "current")
    column = judged["columns"]["ipv6_nameserver"]
    assert column["status"] == "error"
    assert "niet te vinden" in column["explanation"]["nl"]
    assert "0 naamserver" not in column["explanation"]["nl"]
    assert judged["columns"]["ipv6_web"]["status"] == "error"
    assert judged["columns"]["tls_available"]["status"] == "passed"


def test_refused_addresses_make_what_needs_them_not_testable() -> None:
    found = evidence("private-address", "web")
    assert found["refused"] == {"127.0.0.1": "loopback", "::1": "loopback"}
    judged = judge("web", found, "current")["columns"]
    assert judged["dnssec"]["status"] == "passed"
    assert judged["ipv6_nameserver"]["status"] == "passed"
    assert judged["tls_available"]["status"] == "not_testable"
    assert "127.0.0.1 (loopback-adres van de eigen machine)" in judged["tls_available"][
        "explanation"]["nl"]
    mail = judge("mail", evidence("private-address", "mail"), "current")["columns"]
    assert mail["starttls"]["status"] == mail["dane"]["status"] == "not_testable"
    assert mail["spf"]["status"] == mail["dnssec_mx"]["status"] == "passed"
    assert "10.11.12.13 (private address of an internal network)" in mail["starttls"][
        "explanation"]["en"]


def test_probe_evidence_of_the_refusal_shows_no_connection_was_made() -> None:
    found = evidence("private-address", "web")
    for address in ("127.0.0.1", "::1"):
        for reach in found["ports"][address].values():
            assert reach["ok"] is False
            assert reach["error"] == f"not connected: {address} is a loopback address"
