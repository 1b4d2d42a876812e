"""Hostile DNS through the real `meting check` command in the scanner namespace: 50 MX
records, a TXT RRset of about 63 KB, CNAME loops. Each ends in a clear status with its
reason, never a traceback or a hang."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from meting.probe.evidence import DnsAnswer, txt_strings
from meting.settings import load
from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab


def check(kind: str, target: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "meting.cli", "lab", "exec", "--",
                           sys.executable, "-m", "meting.cli", "check", kind, target, *flags],
                          capture_output=True, text=True, timeout=180, check=False)


def check_json(kind: str, target: str) -> dict[str, Any]:
    result = check(kind, target, "--json", "--evidence")
    assert result.returncode in (0, 1), result.stderr  # 1: a column failed
    assert "Traceback" not in result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def statuses(data: dict[str, Any]) -> dict[str, str]:
    return {c: v["status"] for c, v in data["columns"].items()}


def expected(lab: Lab, scenario: str, kind: str, data: dict[str, Any]) -> dict[str, str]:
    return {c: lab.scenario(scenario)[f"expected_{kind}"][c] for c in data["columns"]}


def test_fifty_mx_records_test_the_ten_most_preferred(lab: Lab) -> None:
    data = check_json("mail", "vijftig-mx.nl")
    assert statuses(data) == expected(lab, "mx-fifty", "mail", data)
    evidence = data["evidence"]
    assert [e["name"] for e in evidence["mx"]] == [f"mx{n:02d}.pool.lab-hosting.nl"
                                                    for n in range(1, 11)]
    assert evidence["mx_skipped"] == [f"mx{n:02d}.pool.lab-hosting.nl" for n in range(11, 51)]
    assert len(DnsAnswer.from_dict(evidence["mx_answer"]).answers) == 50
    for column in ("dnssec_mx", "ipv6_mailserver", "rpki_mail"):
        en = data["columns"][column]["explanation"]["en"]
        assert "not tested (40): mx11.pool.lab-hosting.nl" in en, en


def test_a_txt_rrset_of_63_kilobytes_is_read_over_tcp_and_judged(lab: Lab) -> None:
    data = check_json("mail", "grote-txt.nl")
    assert statuses(data) == expected(lab, "txt-64k", "mail", data)
    txt = DnsAnswer.from_dict(data["evidence"]["mail_auth"]["txt"])
    assert (txt.transport, txt.security, txt.error) == ("tcp", "secure", None)
    texts = [txt_strings(r) for r in txt.answers]
    assert len(texts) == 231 and sum(len(t) for t in texts) > 58000
    assert [t for t in texts if t.startswith("v=spf1")] == [
        "v=spf1 include:spf.lab-hosting.nl -all"]
    assert data["columns"]["spf"]["status"] == "passed"


def test_a_web_host_in_a_cname_loop_is_an_error_that_names_the_loop(lab: Lab) -> None:
    data = check_json("web", "www.cname-lus.nl")
    assert statuses(data) == expected(lab, "cname-loop", "web", data)
    loop = "www.cname-lus.nl. → lus.cname-lus.nl. → www.cname-lus.nl."
    for key in ("a", "aaaa"):
        answer = DnsAnswer.from_dict(data["evidence"]["host"][key])
        assert (answer.rcode, answer.security) == ("SERVFAIL", "error")
        assert answer.error == f"CNAME loop: {loop}"
        assert answer.cname_chain == ("lus.cname-lus.nl.", "www.cname-lus.nl.")
    for column, verdict in data["columns"].items():
        if verdict["status"] == "error":
            assert loop in verdict["explanation"]["en"], column
    assert data["columns"]["ipv6_nameserver"]["status"] == "passed"


def test_an_mx_in_a_cname_loop_is_an_error_that_names_the_loop(lab: Lab) -> None:
    data = check_json("mail", "cname-lus.nl")
    assert statuses(data) == expected(lab, "cname-loop", "mail", data)
    [mx] = data["evidence"]["mx"]
    assert DnsAnswer.from_dict(mx["a"]).error == (
        "CNAME loop: mx.cname-lus.nl. → mx-lus.cname-lus.nl. → mx.cname-lus.nl.")
    assert "loop of CNAME records" in data["columns"]["dnssec_mx"]["explanation"]["en"]
    assert "mx.cname-lus.nl. → mx-lus.cname-lus.nl." in data["columns"]["dnssec_mx"][
        "explanation"]["en"]
    assert data["columns"]["spf"]["status"] == "passed"


@pytest.mark.parametrize(("kind", "target"), [
    ("web", "www.cname-lus.nl"), ("mail", "cname-lus.nl"), ("mail", "vijftig-mx.nl"),
    ("mail", "grote-txt.nl")])
def test_the_human_output_has_no_traceback(lab: Lab, kind: str, target: str) -> None:
    result = check(kind, target, "--lang", "en")
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert f"{kind.capitalize()} test of" in result.stdout


def test_a_web_host_with_1000_addresses_is_tested_on_max_answers_of_them(lab: Lab) -> None:
    data = check_json("web", "www.duizend-adressen.nl")
    assert statuses(data) == expected(lab, "hostile-thousand-addresses", "web", data)
    cap = load().max_answers
    evidence = data["evidence"]
    a = DnsAnswer.from_dict(evidence["host"]["a"])
    assert (len(a.answers), a.omitted) == (cap, 1000 - cap)
    assert a.answers == tuple(sorted(a.answers))  # the same ones every run
    probed_v4 = [address for address in evidence["ports"] if ":" not in address]
    assert set(probed_v4) == set(a.answers)  # no address beyond the cap was probed
    assert len(evidence["ports"]) <= 2 * cap
    for verdict in data["columns"].values():
        if "max_answers" in verdict["explanation"]["en"]:
            assert (f"{cap} of the 1,000 IPv4 addresses of www.duizend-adressen.nl were "
                    f"tested (limit: setting max_answers); {1000 - cap} were not."
                    in verdict["explanation"]["en"])
            assert (f"Van www.duizend-adressen.nl zijn {cap} van de 1.000 IPv4-adressen "
                    f"getest" in verdict["explanation"]["nl"])
    noted = [c for c, v in data["columns"].items() if "max_answers" in v["explanation"]["en"]]
    assert {"tls_available", "https_redirect", "ipv6_webserver"} <= set(noted)
    assert "dnssec" not in noted  # judged on the DNS answer itself, which is complete
