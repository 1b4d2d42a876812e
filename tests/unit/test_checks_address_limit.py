"""Columns judged on a host's addresses say how many were left untested (max_answers)."""

from __future__ import annotations

from meting.checks.address_limit import note_untested
from meting.checks.verdict import Status, Verdict, verdict
from meting.evidence.models import DnsAnswer, HostAddresses


def answer(rtype: str, answers: list[str], omitted: int) -> DnsAnswer:
    return DnsAnswer(name="www.x.nl.", rtype=rtype, server="198.18.0.11", rcode="NOERROR",
                     ad=True, cd_used=False, answers=answers, elapsed_ms=1.0, error=None,
                     security="secure", omitted=omitted)


def host(v4: int, omitted_v4: int, omitted_v6: int = 0) -> HostAddresses:
    return HostAddresses(name="www.x.nl",
                         a=answer("A", [f"198.18.1.{n}" for n in range(v4)], omitted_v4),
                         aaaa=answer("AAAA", ["2001:db8::1"], omitted_v6))


def results() -> dict[str, Verdict]:
    return {"tls_available": verdict(Status.PASSED, "HTTPS.", "HTTPS."),
            "dnssec": verdict(Status.PASSED, "Ondertekend.", "Signed.")}


def test_the_columns_named_say_how_many_addresses_were_tested() -> None:
    noted = note_untested(results(), [host(32, 968)], ["tls_available"])
    assert noted["tls_available"].explanation.en == (
        "HTTPS. 32 of the 1,000 IPv4 addresses of www.x.nl were tested (limit: setting "
        "max_answers); 968 were not.")
    assert noted["tls_available"].explanation.nl == (
        "HTTPS. Van www.x.nl zijn 32 van de 1.000 IPv4-adressen getest (grens: instelling "
        "max_answers); 968 niet.")
    assert noted["tls_available"].status == Status.PASSED
    assert noted["dnssec"] == results()["dnssec"]


def test_both_families_are_counted() -> None:
    en = note_untested(results(), [host(32, 8, omitted_v6=40)],
                       ["tls_available"])["tls_available"].explanation.en
    assert "32 of the 40 IPv4 addresses" in en and "1 of the 41 IPv6 addresses" in en


def test_nothing_changes_when_every_address_was_tested() -> None:
    assert note_untested(results(), [host(3, 0)], ["tls_available"]) == results()
