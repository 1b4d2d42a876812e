"""The lab's DNS answers as the catalogue configures it, seen from the scanner."""

from __future__ import annotations

import re

import pytest

from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab


def header(answer: str) -> tuple[str, set[str]]:
    status = re.search(r"status: (\w+)", answer)
    flags = re.search(r";; Flags: ([^;]*);", answer)
    assert status and flags, answer
    return status.group(1), set(flags.group(1).split())


def test_every_scenario_zone_validates_as_its_dnssec_mode(lab: Lab) -> None:
    for d in lab.plan["domains"]:
        mode = lab.plan["zones"][d["domain"]]["dnssec"]
        served = any(d["web_host"] in w["sites"] for w in lab.plan["web_servers"].values())
        name, rtype = (d["web_host"], "A") if served else (d["domain"], "SOA")  # web: none
        status, flags = header(lab.dig(name, rtype))
        if mode == "signed":
            assert (status, "ad" in flags) == ("NOERROR", True), d["scenario"]
        elif mode == "unsigned":
            assert (status, "ad" in flags) == ("NOERROR", False), d["scenario"]
        else:  # bogus: the validator refuses, the data is there with CD set
            assert status == "SERVFAIL", d["scenario"]
            assert header(lab.dig(name, rtype, cd=True))[0] == "NOERROR", d["scenario"]


def test_mail_records_are_served(lab: Lab) -> None:
    perfect = lab.dig("perfect.nl", "MX")
    assert "mx.perfect.nl." in perfect
    assert "MX\t0 ." in lab.dig("verstuurt-niet.nl", "MX")
    assert "\tMX\t" not in lab.dig("geen-mx.nl", "MX").split("ANSWER SECTION")[-1] or \
        "ANSWER SECTION" not in lab.dig("geen-mx.nl", "MX")
    assert "v=DMARC1; p=reject" in lab.dig("_dmarc.perfect.nl", "TXT")
    assert header(lab.dig("_dmarc.geen-dmarc.nl", "TXT"))[0] == "NXDOMAIN"
    assert lab.dig("twee-spf.nl", "TXT").count("v=spf1") == 2
    # RFC 8020: _domainkey exists (empty non-terminal) where a key exists below it
    assert header(lab.dig("_domainkey.perfect.nl", "TXT"))[0] == "NOERROR"
    assert header(lab.dig("_domainkey.geen-dkim.nl", "TXT"))[0] == "NXDOMAIN"


def test_tlsa_records_exist_where_configured(lab: Lab) -> None:
    for ms in lab.plan["mail_servers"].values():
        answer = lab.dig(f"_25._tcp.{ms['hostname']}", "TLSA")
        found = {u for u in ("2 1 1", "3 1 1") if f"TLSA\t{u} " in answer}
        expected = {"match": {"3 1 1"}, "mismatch": {"3 1 1"}, "ta": {"2 1 1"},
                    "rollover": {"2 1 1", "3 1 1"}, "none": set()}[ms["tlsa"]]
        assert found == (expected if ms["software"] == "postfix" else set()), ms["name"]


def test_name_servers_answer_over_ipv6_as_configured(lab: Lab) -> None:
    for ns in lab.plan["nameservers"].values():
        for address in ns["ipv4"] + ns["ipv6"]:
            assert "status: " in lab.dig(".", "SOA", server=address), (ns["hostname"], address)
        for address in ns["ipv6_dead"]:
            assert "status: " not in lab.dig(".", "SOA", server=address), ns["hostname"]


def test_cloud_provider_mx_has_no_dnssec_and_no_ipv6(lab: Lab) -> None:
    name = lab.plan["mail_servers"]["outlook"]["hostname"]
    assert name.endswith(".mail.protection.outlook.com")
    status, flags = header(lab.dig(name, "A"))
    assert status == "NOERROR" and "ad" not in flags
    assert "AAAA\t" not in lab.dig(name, "AAAA")
