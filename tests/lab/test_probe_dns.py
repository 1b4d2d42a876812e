"""The DNS and reachability probes against the lab's real servers, from the scanner.

The probes run in the scanner namespace: a short Python script there reads a list of
calls as JSON, makes them with one ``DnsClient`` and prints the evidence as JSON. The
last tests use a tiny DNS server on loopback for what the lab does not serve (a CNAME
loop, a 60 KB TXT record over TCP, a server that never answers).
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from meting.probe.dns import DnsClient
from meting.probe.evidence import DnsAnswer, Reach
from tests.lab.conftest import Lab

RUNNER = """
import asyncio, json, sys
from meting.probe import reach
from meting.probe.dns import DnsClient

async def main():
    client = DnsClient(timeout=float(sys.argv[1]))
    calls = {"query": client.query, "query_authoritative": client.query_authoritative,
             "smtp_banner": reach.smtp_banner, "connect": reach.connect}
    out = []
    for name, args, kwargs in json.load(sys.stdin):
        out.append((await calls[name](*args, **kwargs)).to_dict())
    print(json.dumps({"evidence": out, "queries_sent": client.queries_sent}))

asyncio.run(main())
"""

Call = tuple[str, list[Any], dict[str, Any]]


def probe(lab: Lab, calls: list[Call], dns_timeout: float = 1.0) -> dict[str, Any]:
    """Make the calls in the scanner namespace, told to use the lab's resolver."""
    result = lab.run("env", f"METING_RESOLVER={lab.info['resolver']}", sys.executable,
                     "-c", RUNNER, str(dns_timeout), stdin=json.dumps(calls), timeout=60)
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def dns_answers(lab: Lab, calls: list[Call]) -> list[DnsAnswer]:
    return [DnsAnswer.from_dict(e) for e in probe(lab, calls)["evidence"]]


def q(name: str, rtype: str) -> Call:
    return ("query", [name, rtype], {})


@pytest.mark.lab
def test_security_of_answers_follows_the_zones_dnssec(lab: Lab) -> None:
    perfect, unsigned, wrong_ds, expired = dns_answers(lab, [
        q("www.perfect.nl", "A"), q("www.onondertekend.nl", "A"),
        q("www.foute-ds.nl", "A"), q("www.verlopen-handtekening.nl", "A")])
    assert (perfect.security, perfect.rcode, perfect.ad) == ("secure", "NOERROR", True)
    assert perfect.answers and perfect.server == lab.info["resolver"]
    assert (unsigned.security, unsigned.ad, unsigned.error) == ("insecure", False, None)
    assert unsigned.answers
    for bogus in (wrong_ds, expired):
        assert bogus.security == "bogus", bogus
        assert bogus.cd_used and bogus.rcode == "NOERROR" and bogus.answers, bogus


CHECK = """
import asyncio, json, sys
from meting.probe.dns import DnsClient

async def main():
    out = {}
    for server in sys.argv[1:]:
        client = DnsClient(resolver=server, timeout=1.0)
        before = client.resolver_dnssec_ok
        answer = await client.query("www.perfect.nl", "A")
        out[server] = [before, client.resolver_dnssec_ok, answer.security, answer.answers,
                       client.queries_sent]
    print(json.dumps(out))

asyncio.run(main())
"""


@pytest.mark.lab
def test_the_do_bit_is_left_out_only_for_a_resolver_that_sets_ad_without_it(lab: Lab) -> None:
    """The lab's Unbound sets AD on a query's AD bit alone (RFC 6840 §5.7): asked without
    DO, its secure answers stay secure. A server that never sets AD (here a Knot name
    server of the zone, asked as if it were the resolver) keeps being asked with DO."""
    resolver = lab.info["resolver"]
    zone = lab.plan["zones"]["perfect.nl"]
    knot = lab.plan["nameservers"][zone["nameservers"][0]]["ipv4"][0]
    www = [r["rdata"] for r in zone["records"]
           if (r["owner"], r["rtype"]) == ("www.perfect.nl", "A")]
    result = lab.run(sys.executable, "-c", CHECK, resolver, knot, timeout=60)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found[resolver] == [True, False, "secure", www, 1]  # the check is not counted
    assert found[knot] == [True, True, "insecure", www, 1]


@pytest.mark.lab
def test_empty_non_terminal_is_not_nxdomain(lab: Lab) -> None:
    exists, missing = dns_answers(lab, [q("_domainkey.perfect.nl", "TXT"),
                                        q("_domainkey.geen-dkim.nl", "TXT")])
    assert (exists.rcode, exists.security, exists.answers) == ("NOERROR", "secure", ())
    assert missing.rcode == "NXDOMAIN" and missing.answers == ()


@pytest.mark.lab
def test_answers_are_in_presentation_format_and_cached(lab: Lab) -> None:
    out = probe(lab, [q("perfect.nl", "MX"), q("perfect.nl.", "MX"), q("PERFECT.nl", "MX"),
                      q("_dmarc.perfect.nl", "TXT")])
    mx, again, upper, dmarc = (DnsAnswer.from_dict(e) for e in out["evidence"])
    assert mx.answers == ("10 mx.perfect.nl.",)
    assert mx == again == upper
    assert out["queries_sent"] == 2  # the same question three times: one query
    assert any("v=DMARC1; p=reject" in a for a in dmarc.answers)


@pytest.mark.lab
def test_direct_queries_to_name_servers_over_ipv6(lab: Lab) -> None:
    dead6 = lab.plan["nameservers"]["ns2.dead6dns.nl"]["ipv6_dead"][0]
    live = [(zone or ".", a) for zone, z in lab.plan["zones"].items()
            for ns in z["nameservers"] for a in lab.plan["nameservers"][ns]["ipv6"]]
    live = [live[0], live[-1], *[x for x in live if x[0] == "dead6dns.nl"]]
    started = time.monotonic()
    out = probe(lab, [("query_authoritative", ["dead6dns.nl", "SOA", dead6], {})])
    dead = DnsAnswer.from_dict(out["evidence"][0])
    assert time.monotonic() - started < 6  # timeout 1 s, one retry, plus starting python
    assert dead.security == "error" and dead.error and dead.rcode == ""
    assert dead.elapsed_ms < 3000 and out["queries_sent"] == 2
    for answer in dns_answers(lab, [("query_authoritative", [zone, "SOA", a], {})
                                    for zone, a in live]):
        assert answer.error is None and answer.rcode == "NOERROR", answer
        assert answer.authoritative and answer.security == "insecure" and answer.answers


@pytest.mark.lab
def test_smtp_banner_and_tcp_reachability(lab: Lab) -> None:
    good = lab.plan["mail_servers"]["hosting-good"]
    slow = lab.plan["mail_servers"]["slow-banner"]
    assert good["hostname"] == "mx.lab-hosting.nl"
    calls: list[Call] = [("smtp_banner", [a], {}) for a in good["ipv4"] + good["ipv6"]]
    calls += [("smtp_banner", [slow["ipv4"][0]], {"timeout": 2.0}),
              ("connect", [good["ipv4"][0], 25], {}),
              ("connect", [good["ipv4"][0], 26], {"timeout": 2.0})]
    *banners, slowed, port25, refused = (Reach.from_dict(e) for e in probe(lab, calls)["evidence"])
    for banner in banners:
        assert banner.ok and banner.banner and banner.port == 25, banner
        assert banner.banner.startswith("220 ") and "mx.lab-hosting.nl" in banner.banner
    assert not slowed.ok and slowed.error and "greeting" in slowed.error
    assert 1900 <= slowed.elapsed_ms < 4000
    assert port25.ok and port25.banner is None
    assert not refused.ok and refused.error == "refused" and refused.elapsed_ms < 2000


# --- a tiny DNS server on loopback for what the lab does not serve ----------------------

BIG = [b"x" * 255] * 235  # one TXT rdata of 60 KB: only TCP can carry it
LOOP = ("loop.test.", "loop2.test.")


def respond(wire: bytes, tcp: bool) -> bytes | None:
    query = dns.message.from_wire(wire)
    name, rtype = query.question[0].name.to_text(), query.question[0].rdtype
    response = dns.message.make_response(query)
    response.flags |= dns.flags.RA
    if name == "silent.test.":
        return None
    if name == "refused.test.":
        response.set_rcode(dns.rcode.REFUSED)
    elif name == "servfail.test.":
        response.set_rcode(dns.rcode.SERVFAIL)
    elif name == "big.test." and not tcp:
        response.flags |= dns.flags.TC
    elif name == "big.test.":
        text = " ".join(f'"{s.decode()}"' for s in BIG)
        response.answer.append(dns.rrset.from_text(name, 60, "IN", "TXT", text))
    elif name in LOOP:
        response.answer.append(dns.rrset.from_text(LOOP[0], 60, "IN", "CNAME", LOOP[1]))
        response.answer.append(dns.rrset.from_text(LOOP[1], 60, "IN", "CNAME", LOOP[0]))
    elif rtype == dns.rdatatype.A:
        response.answer.append(dns.rrset.from_text("c.test.", 60, "IN", "A", "192.0.2.1"))
        response.answer.insert(0, dns.rrset.from_text(name, 60, "IN", "CNAME", "c.test."))
    return response.to_wire(max_size=65535)


def serve_udp(sock: socket.socket) -> None:
    while True:
        try:
            wire, peer = sock.recvfrom(4096)
        except OSError:
            return
        reply = respond(wire, tcp=False)
        if reply is not None:
            sock.sendto(reply, peer)


def serve_tcp(sock: socket.socket) -> None:
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        with conn:
            size = struct.unpack("!H", conn.recv(2))[0]
            wire = b""
            while len(wire) < size:
                wire += conn.recv(size - len(wire))
            reply = respond(wire, tcp=True)
            if reply is not None:
                conn.sendall(struct.pack("!H", len(reply)) + reply)


@pytest.fixture(scope="module")
def fake_server() -> Iterator[int]:
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    port = udp.getsockname()[1]
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("127.0.0.1", port))
    tcp.listen()
    for target, sock in ((serve_udp, udp), (serve_tcp, tcp)):
        threading.Thread(target=target, args=(sock,), daemon=True).start()
    yield port
    udp.close()
    tcp.close()


def ask(port: int, *questions: tuple[str, str]) -> tuple[list[DnsAnswer], int]:
    async def run() -> tuple[list[DnsAnswer], int]:
        client = DnsClient(resolver="127.0.0.1", port=port, timeout=0.5)
        answers = [await client.query(n, t) for n, t in questions]
        return answers, client.queries_sent
    return asyncio.run(run())


def test_txt_of_60_kilobytes_comes_over_tcp(fake_server: int) -> None:
    [big], sent = ask(fake_server, ("big.test", "TXT"))
    assert big.error is None and big.transport == "tcp" and sent == 2
    assert len(big.answers) == 1 and big.answers[0].count('"') == 2 * len(BIG)


def test_cname_loop_is_an_error_not_a_hang(fake_server: int) -> None:
    [loop, chained], _ = ask(fake_server, ("loop.test", "A"), ("alias.test", "A"))
    assert loop.security == "error" and loop.error and "loop" in loop.error
    assert loop.cname_chain == ("loop2.test.", "loop.test.")
    assert chained.cname_chain == ("c.test.",) and chained.answers == ("192.0.2.1",)
    assert chained.security == "insecure"


def test_silence_is_retried_once_then_an_error(fake_server: int) -> None:
    started = time.monotonic()
    [silent, refused, servfail], sent = ask(
        fake_server, ("silent.test", "A"), ("refused.test", "A"), ("servfail.test", "A"))
    assert time.monotonic() - started < 2.0
    assert (silent.security, silent.error, silent.attempts) == ("error", "timeout", 2)
    assert (refused.security, refused.rcode) == ("error", "REFUSED")
    assert (servfail.security, servfail.cd_used, servfail.attempts) == ("error", True, 2)
    assert servfail.cname_chain == () and servfail.error == "SERVFAIL, also with checking disabled"
    assert sent == 2 + 1 + 2 + 2  # a SERVFAIL is explained: its CNAME asked, again with CD


def test_concurrent_same_questions_send_one_query(fake_server: int) -> None:
    async def run() -> tuple[list[DnsAnswer], int]:
        client = DnsClient(resolver="127.0.0.1", port=fake_server, timeout=0.5)
        answers = await asyncio.gather(*(client.query("alias.test", "A") for _ in range(5)))
        return list(answers), client.queries_sent
    answers, sent = asyncio.run(run())
    assert sent == 1 and len(set(answers)) == 1


def test_a_client_outlives_its_event_loop(fake_server: int) -> None:
    client = DnsClient(resolver="127.0.0.1", port=fake_server, timeout=0.5)
    first = asyncio.run(client.query("alias.test", "A"))
    assert asyncio.run(client.query("alias.test", "A")) == first
    assert client.queries_sent == 1 and client.cached == 1
