"""Every explanation of every lab scenario, in Dutch and English, can be acted on.

The evidence is what the real lab servers answered (``data/lab-evidence.json.gz``,
recorded with ``meting lab up`` and the probes in the scanner namespace; the lab test
``tests/lab/test_scenarios.py`` checks the same rules on fresh evidence). Judging it
is pure, so every norm version is rendered.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from meting import norms
from meting.checks import explain
from meting.checks.tests import MAIL_COLUMNS, WEB_COLUMNS
from meting.checks.verdict import Status
from meting.tester import judge
from tests.unit.explanation_rules import all_problems, english_words, problems

DATA = Path(__file__).parent / "data" / "lab-evidence.json.gz"


@cache
def recorded() -> dict[str, Any]:
    found: dict[str, Any] = json.loads(gzip.decompress(DATA.read_bytes()))
    return found


@cache
def judged(key: str, norm: str = "current") -> dict[str, Any]:
    return judge(key.split()[0], recorded()[key]["evidence"], norm)


def key_of(scenario: str, kind: str) -> str:
    return next(k for k, v in recorded().items()
                if v["scenario"] == scenario and k.startswith(kind))


@pytest.mark.parametrize("norm", norms.versions())
def test_every_explanation_of_every_scenario_can_be_acted_on(norm: str) -> None:
    assert len(recorded()) >= 120
    found = []
    for key in recorded():
        found += all_problems(f"{key} ({norm})", judged(key, norm))
    assert found == []


def test_the_rules_catch_what_issue_11_found() -> None:
    """The checker itself fails on the texts the issue quotes (so the test above can fail)."""
    raw = {"status": "failed", "explanation": {
        "nl": "De TLS-configuratie voldoet niet (cert_trust); pas deze onderdelen aan. "
              "Het SPF-record is ongeldig: more than 10 DNS lookups (onvoldoende / "
              "insufficient), no answer within 10 s",
        "en": "The TLS configuration fails (cert_trust)."}}
    found = problems("x", "tls_ncsc_web", raw)
    assert any("internal id ['cert_trust']" in p for p in found)
    assert any("without advice" in p for p in found)
    assert set(english_words(raw["explanation"]["nl"])) >= {"more", "than", "lookups",
                                                            "insufficient", "answer"}
    # record text, header names and host names are values, not prose
    assert english_words("Het record 'v=spf1 include:the.example -all' en "
                         "Content-Security-Policy op www.the-test.nl") == []


def test_an_expired_certificate_says_when_and_to_renew() -> None:
    data = judged(key_of("cert-expired", "web"))
    trust = data["subtests"]["cert_trust"]["explanation"]
    assert "is verlopen op 20" in trust["nl"] and "Vernieuw het" in trust["nl"]
    assert "expired on 20" in trust["en"] and "Renew it" in trust["en"]
    column = data["columns"]["tls_ncsc_web"]["explanation"]
    assert "Vertrouwde certificaatketen" in column["nl"] and "cert_trust" not in column["nl"]
    assert "is verlopen op" in column["nl"]  # the finding itself, not only the part's name
    for text in (trust["nl"], trust["en"], column["en"]):
        assert "validation" not in text and "<Certificate" not in text


def test_a_sha1_certificate_is_named_not_a_library_message() -> None:
    trust = judged(key_of("cert-sha1", "web"))["subtests"]["cert_trust"]["explanation"]
    assert "SHA1" in trust["en"] and "reissued with SHA-256" in trust["en"]
    assert "AlgorithmIdentifier" not in trust["en"] + trust["nl"]
    raw = recorded()[key_of("cert-sha1", "web")]["evidence"]["tls"]
    assert any("Forbidden signature algorithm" in (s["trust"].get("error") or "")
               for s in raw.values()), "the raw text stays in the evidence"


def test_spf_with_too_many_lookups_shows_the_record_and_the_count() -> None:
    spf = judged(key_of("spf-too-many-lookups", "mail"))["columns"]["spf_policy"]
    assert "meer dan 10 DNS-opzoekingen" in spf["explanation"]["nl"]
    assert "'v=spf1 include:spf.lab-hosting.nl" in spf["explanation"]["nl"]
    assert "more than 10 DNS lookups" in spf["explanation"]["en"]


def test_failures_link_to_public_guidance_and_name_the_norm() -> None:
    data = judged(key_of("tls-legacy-versions", "web"))
    for lang, label in (("nl", "normversie current"), ("en", "norm version current")):
        text = data["subtests"]["tls_version"]["explanation"][lang]
        assert label in text and "https://" in text


def test_every_column_and_subtest_has_guidance_in_both_languages() -> None:
    keys = set(WEB_COLUMNS) | set(MAIL_COLUMNS)
    for data in (judged(k) for k in recorded()):
        keys |= set(data["subtests"])
    sources = explain._data("explanations.yaml")["sources"]
    for key in sorted(keys):
        entry = explain.entry(key)
        assert entry is not None, f"{key} has no explanation data"
        for part in ("name", "rule", "advice"):
            assert set(entry[part]) == {"nl", "en"}, (key, part)
            assert english_words(entry[part]["nl"]) == [], (key, part)
            assert "cliënt" not in entry[part]["nl"], (key, part)  # one spelling: client
        assert set(sources[entry["source"]]) == {"nl", "en"}


@pytest.mark.parametrize(("raw", "nl", "en"), [
    ("SSLError: [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)",
     "sprak op deze poort geen TLS", "did not speak TLS"),
    ("OpenSSLError: error:1408F10B:SSL routines:ssl3_get_record:wrong version number",
     "sprak op deze poort geen TLS", "did not speak TLS"),
    ("OSError: Nassl SSL handshake failed: peer did not send data back.",
     "sloot de verbinding", "closed the connection"),
    ("InsecureRenegotiation: unsafe legacy renegotiation disabled",
     "geen veilige heronderhandeling", "does not support secure renegotiation"),
    ("no answer within 10 s", "geen antwoord binnen de wachttijd", "no answer in time"),
    ("ConnectionRefusedError: [Errno 111] Connect call failed ('198.18.0.5', 443)",
     "verbinding werd geweigerd", "connection was refused"),
    ("not connected: 10.0.0.1 is a private address", "10.0.0.1 is een privé-adres",
     "10.0.0.1 is a private address"),
    ("invalid p value 'nee'", "ongeldige waarde voor p: 'nee'", "invalid value for p"),
    ("something nobody foresaw", "technische fout", "technical error"),
])
def test_raw_texts_become_plain_causes(raw: str, nl: str, en: str) -> None:
    cause = explain.plain(raw)
    assert nl in cause.nl and en in cause.en
    assert raw not in cause.nl + cause.en
    assert english_words(cause.nl) == []


GENERIC_NL = "Controleer of de naam goed gespeld is"
GENERIC_EN = "Check that the name is spelt correctly"


def advice_of(text: str, label: str) -> str:
    return text.split(label, 1)[1]


@pytest.mark.parametrize(("scenario", "kind", "nl", "en"), [
    ("cname-loop", "web", "Doorbreek de CNAME-lus", "Break the CNAME loop"),
    ("cname-loop", "mail", "Doorbreek de CNAME-lus", "Break the CNAME loop"),
    ("hostile-tls-garbage", "web", "Controleer wat er op deze poort luistert",
     "Check what listens on this port"),
    ("hostile-silent-port", "web", "firewall", "firewall"),
])
def test_no_result_advice_names_the_known_cause(scenario: str, kind: str, nl: str,
                                                en: str) -> None:
    """A CNAME loop, a port that answers without TLS and a port that stays silent each
    get the fix for that cause, not the generic spelling advice."""
    data = judged(key_of(scenario, kind))
    no_result = [v for group in ("columns", "subtests") for v in data[group].values()
                 if v["status"] in ("error", "unreachable", "not_testable")]
    assert no_result
    for v in no_result:
        text_nl, text_en = v["explanation"]["nl"], v["explanation"]["en"]
        assert nl in advice_of(text_nl, "Wat te doen:") and GENERIC_NL not in text_nl
        assert en in advice_of(text_en, "What to do:") and GENERIC_EN not in text_en


def test_an_unknown_cause_keeps_the_generic_advice() -> None:
    norm = norms.load("current")
    for lang, generic in (("nl", GENERIC_NL), ("en", GENERIC_EN)):
        found = explain.plain("something nobody foresaw")
        text = explain.guidance("tls_available", Status.ERROR, lang, norm,
                                getattr(found, lang))
        assert generic in text


def test_without_mail_servers_no_column_asks_to_set_up_what_has_no_server() -> None:
    """geen-mx.nl: no MX, so nothing is to be done for STARTTLS, DANE, DNSSEC or IPv6 of
    mail servers; the advice is about the MX records (or a Null MX)."""
    data = judged(key_of("no-mx", "mail"))
    told = [v for group in ("columns", "subtests") for v in data[group].values()
            if "geen mailserver (MX)" in v["explanation"]["nl"]]
    assert {"starttls", "dane", "dnssec_mx", "ipv6_mailserver"} <= set(data["columns"])
    assert len(told) >= 8
    for v in told:
        advice_nl = advice_of(v["explanation"]["nl"], "Wat te doen:")
        advice_en = advice_of(v["explanation"]["en"], "What to do:")
        assert "Null MX (RFC 7505)" in advice_nl and "MX-records" in advice_nl
        assert "Null MX (RFC 7505)" in advice_en and "MX records" in advice_en
        for never in ("Zet STARTTLS aan", "TLSA-records", "ondertekenen", "IPv6-adres"):
            assert never not in v["explanation"]["nl"]
        for never in ("Enable STARTTLS", "TLSA records", "signed", "IPv6 address"):
            assert never not in v["explanation"]["en"]


def test_rsa_2048_under_2025_reads_as_phase_out_with_the_rule_from_the_norm() -> None:
    """The lab's rsa-2048.nl: the finding and the rule agree with the warning."""
    found = judged(key_of("cert-rsa-2048", "web"), "2025")["subtests"]["cert_pubkey"]
    nl, en = found["explanation"]["nl"], found["explanation"]["en"]
    assert found["status"] == "warning"
    assert "te zwak" not in nl and "too weak" not in en
    assert "RSA van minstens 3072 bits of EC op een goede curve is goed of voldoende" in nl
    assert "RSA of at least 3072 bits or EC on a good curve is good or sufficient" in en
    old = judged(key_of("cert-rsa-2048", "web"), "2021")["subtests"]["cert_pubkey"]
    assert old["status"] == "passed"
