"""Agreements, laggards and supplier dependency of the hand-built round (expected by hand)."""

from __future__ import annotations

from typing import Any

import pytest

from meting.analysis.analysis import analyse, analysis_json
from meting.analysis.providers import catalogue
from tests.unit.analysis_data import rounds


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    r = rounds()
    return analysis_json(analyse(r["2021-11"], earlier=[r["2021-03"]],
                                 others=[r["breed-2021-10"]]))


def agreement(data: dict[str, Any], kind: str, column: str) -> dict[str, Any]:
    found = [a for a in data["agreements"] if (a["kind"], a["column"]) == (kind, column)]
    assert len(found) == 1
    return found[0]


def test_agreements_table(data: dict[str, Any]) -> None:
    dnssec = agreement(data, "web", "dnssec")
    assert dnssec["deadline"] == "2017-12-31" and dnssec["due"] is True
    # 5 of 7 compliant: not met, 28.6 points and 2 domains short
    assert (dnssec["met"], dnssec["rate"], dnssec["shortfall_points"],
            dnssec["missing_domains"]) == (False, 71.4, 28.6, 2)
    tls = agreement(data, "web", "tls_available")
    assert (tls["met"], tls["shortfall_points"], tls["missing_domains"]) == (True, 0.0, 0)
    # the round (1 Nov 2021) lies before the end of 2021: the IPv6 agreement is not due yet
    ipv6 = agreement(data, "mail", "ipv6_mail")
    assert (ipv6["deadline"], ipv6["due"], ipv6["met"]) == ("2021-12-31", False, False)
    # only streefbeeld columns with a deadline are agreements
    columns = {(a["kind"], a["column"]) for a in data["agreements"]}
    assert ("web", "security_txt") not in columns and ("web", "ipv6_webserver") not in columns
    assert len(columns) == 6 + 10


def misses(data: dict[str, Any]) -> dict[tuple[str, str, str], list[tuple[str, str]]]:
    """(umbrella, organisation, domain) → [(kind, column)]."""
    return {(umbrella, org["organisation"], d["domain"]): [(m["kind"], m["column"])
                                                          for m in d["misses"]]
            for umbrella, orgs in data["laggards"].items() for org in orgs
            for d in org["domains"]}


def test_laggards_past_deadline_only(data: dict[str, Any]) -> None:
    assert list(data["laggards"]) == ["CIO Rijk", "Unie van Waterschappen", "VNG"]
    assert misses(data) == {
        ("CIO Rijk", "Ministerie A", "rijk-b.nl"): [("web", "dnssec"), ("mail", "dane")],
        # ipv6_web failed too, but its deadline (end 2021) is after the round
        ("VNG", "Gemeente A", "gem-b.nl"): [("web", "dnssec"), ("web", "hsts"),
                                            ("mail", "dmarc_policy"), ("mail", "dnssec_mx"),
                                            ("mail", "dane")],
        # gem-c's unreachable STARTTLS is no result, not a miss
        ("VNG", "Gemeente B", "gem-c.nl"): [("web", "https_redirect")],
        ("Unie van Waterschappen", "Waterschap A", "ws-a.nl"): [("mail", "dane")],
        ("Unie van Waterschappen", "Waterschap A", "ws-b.nl"): [
            ("mail", "dmarc"), ("mail", "spf"), ("mail", "dmarc_policy"), ("mail", "spf_policy")],
    }


def test_laggards_carry_advice_and_reaction(data: dict[str, Any]) -> None:
    waterschap = data["laggards"]["Unie van Waterschappen"][0]
    assert all(d["reaction"] for d in waterschap["domains"])  # Waterschap A reacted
    assert not data["laggards"]["CIO Rijk"][0]["domains"][0]["reaction"]
    dane = data["laggards"]["CIO Rijk"][0]["domains"][0]["misses"][1]
    assert "TLSA" in dane["advice"]["nl"] and "TLSA" in dane["advice"]["en"]


def test_mail_providers(data: dict[str, Any]) -> None:
    mail = data["providers"]["mail"]
    # receiving mail servers: rijk-a, rijk-b, gem-b, gem-c, ws-a, ws-b
    assert mail["total"] == 6
    shares = {p["provider"]: (p["domains"], p["share"]) for p in mail["providers"]}
    # rijk-a, rijk-b by MX name; ws-b by its MX address (40.107.22.5)
    assert shares == {"Microsoft Exchange Online": (3, 50.0), "Hostnet": (1, 16.7),
                      "Mimecast": (1, 16.7), "own domain": (1, 16.7)}
    assert [p["provider"] for p in mail["providers"]] == [
        "Microsoft Exchange Online", "Hostnet", "Mimecast", "own domain"]
    exo = mail["providers"][0]["support"]
    # DANE: rijk-a passed, rijk-b failed, ws-b passed → 2/3
    assert (exo["dane"]["compliant"], exo["dane"]["counted"], exo["dane"]["rate"]) == (2, 3, 66.7)
    assert exo["ipv6_mailserver"]["rate"] == 100.0


def test_mail_provider_share_over_time(data: dict[str, Any]) -> None:
    over_time = data["providers"]["mail_over_time"]
    assert [p["round"] for p in over_time] == ["2021-03", "2021-11"]
    # March 2021 was loaded without MX names: all eight receiving domains are "other"
    assert over_time[0]["shares"] == {"other": 100.0}
    assert over_time[1]["shares"]["Microsoft Exchange Online"] == 50.0


@pytest.mark.parametrize(("hosts", "addresses", "expected"), [
    (["example-nl.mail.protection.outlook.com."], [], "Microsoft Exchange Online"),
    (["ns-1234.awsdns-12.org"], [], "Amazon Web Services"),
    (["MX0A-001.PPHOSTED.COM"], [], "Proofpoint"),
    (["outlook.com.evil.nl"], [], "other"),  # a suffix match is by whole labels
    (["notmimecast.com"], [], "other"),
    (["mail.example.nl"], ["2a01:111:f400::7"], "Microsoft Exchange Online"),
    (["mail.example.nl", "mx2.example.nl"], ["192.0.2.1"], "own domain"),
    (["mail.example.nl", "backup.relay.nl"], [], "other"),
    ([], [], "other"),
])
def test_provider_catalogue(hosts: list[str], addresses: list[str], expected: str) -> None:
    assert catalogue().provider_of(hosts, addresses, "example.nl") == expected
