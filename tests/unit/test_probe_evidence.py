"""Evidence records survive a JSON round trip unchanged."""

from __future__ import annotations

import json

import pytest

from meting.probe.evidence import DnsAnswer, Reach, txt_strings


def dns_answer(**changes: object) -> DnsAnswer:
    values: dict[str, object] = {
        "name": "www.perfect.nl.", "rtype": "A", "server": "198.18.0.11", "rcode": "NOERROR",
        "ad": True, "cd_used": False, "answers": ("198.18.2.11", "198.18.2.12"),
        "elapsed_ms": 3.2, "error": None, "security": "secure",
        "cname_chain": ("web.perfect.nl.",), "transport": "udp", "attempts": 1}
    values.update(changes)
    return DnsAnswer(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("answer", [
    dns_answer(),
    dns_answer(security="bogus", cd_used=True, ad=False),
    dns_answer(rcode="", answers=(), error="timeout", security="error", transport="",
               attempts=2, authoritative=True),
])
def test_dns_answer_round_trips_through_json(answer: DnsAnswer) -> None:
    data = json.loads(json.dumps(answer.to_dict()))
    assert isinstance(data["answers"], list)
    back = DnsAnswer.from_dict(data)
    assert back == answer
    assert isinstance(back.answers, tuple) and isinstance(back.cname_chain, tuple)
    assert hash(back) == hash(answer)


def test_reach_round_trips_through_json() -> None:
    for reach in (Reach("2001:db8:1::19", 25, True, "220 mx.lab-hosting.nl ESMTP", 2.0, None),
                  Reach("198.18.6.14", 25, False, None, 2004.5, "no complete greeting")):
        assert Reach.from_dict(json.loads(json.dumps(reach.to_dict()))) == reach


def test_from_dict_ignores_unknown_keys_and_defaults_missing_ones() -> None:
    data = dns_answer().to_dict()
    for key in ("cname_chain", "transport", "attempts", "authoritative", "aa"):
        del data[key]
    data["later_field"] = 1
    back = DnsAnswer.from_dict(data)
    assert back.cname_chain == () and back.attempts == 0 and not back.authoritative


def test_evidence_is_frozen() -> None:
    with pytest.raises(AttributeError):
        dns_answer().rcode = "SERVFAIL"  # type: ignore[misc]


def test_ok_and_exists() -> None:
    assert dns_answer().ok and dns_answer().exists
    assert not dns_answer(security="error").ok
    assert not dns_answer(rcode="NXDOMAIN").exists


def test_txt_strings_joins_and_unescapes() -> None:
    assert txt_strings('"v=spf1 " "-all"') == "v=spf1 -all"
    assert txt_strings('"a\\"b" "c\\059d"') == 'a"bc;d'
