"""The hand-written DNS query is dnspython's, byte for byte, and its replies are checked alike."""

from __future__ import annotations

import asyncio
import socket
import threading

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rrset
import pytest

from meting.probe import dns_wire
from meting.probe.dns import EDNS_PAYLOAD, RESOLVER_FLAGS


def dnspython_query(name: str, rtype: str, flags: int, qid: int,
                    dnssec_ok: bool = True) -> dns.message.Message:
    query = dns.message.make_query(name, rtype, want_dnssec=dnssec_ok, use_edns=0,
                                   payload=EDNS_PAYLOAD)
    query.flags = dns.flags.Flag(flags)
    query.id = qid
    return query


@pytest.mark.parametrize("name, rtype", [("example.nl", "A"), ("_25._tcp.mx.Example.NL.", "TLSA"),
                                         ("xn--bcher-kva.nl", "AAAA"), (".", "DNSKEY")])
@pytest.mark.parametrize("flags", [RESOLVER_FLAGS, RESOLVER_FLAGS | dns.flags.CD, 0])
@pytest.mark.parametrize("dnssec_ok", [True, False])
def test_the_query_is_dnspythons_byte_for_byte(name: str, rtype: str, flags: int,
                                               dnssec_ok: bool) -> None:
    question = dns_wire.Question.make(name, rtype, flags, EDNS_PAYLOAD, dnssec_ok)
    expected = dnspython_query(name, rtype, flags, question.qid, dnssec_ok).to_wire()
    assert question.wire == expected
    assert question.message().to_wire() == question.wire


def test_only_a_response_to_the_question_is_taken() -> None:
    question = dns_wire.Question.make("example.nl", "A", RESOLVER_FLAGS, EDNS_PAYLOAD)
    asked = dnspython_query("example.nl", "A", RESOLVER_FLAGS, question.qid)
    answer = dns.message.make_response(asked)
    assert question.answered_by(answer) and asked.is_response(answer)
    other = dns.message.make_response(dnspython_query("example.nl", "AAAA", 0, question.qid))
    wrong_id = dns.message.make_response(dnspython_query("example.nl", "A", 0,
                                                         (question.qid + 1) % 65536))
    for response in (other, wrong_id, asked):
        assert not question.answered_by(response)
        assert question.answered_by(response) == asked.is_response(response)
    refused = dns.message.make_response(asked)
    refused.set_rcode(dns.rcode.REFUSED)
    refused.question = []
    assert question.answered_by(refused) and asked.is_response(refused)


class Server:
    """A UDP (and TCP) server on loopback that answers with what ``reply`` makes."""

    def __init__(self, reply: object) -> None:
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.port = self.udp.getsockname()[1]
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", self.port))
        self.tcp.listen()
        self.reply = reply
        self.tcp_queries = 0
        threading.Thread(target=self._serve_udp, daemon=True).start()
        threading.Thread(target=self._serve_tcp, daemon=True).start()

    def _serve_udp(self) -> None:
        while True:
            wire, peer = self.udp.recvfrom(65535)
            out = self.reply(dns.message.from_wire(wire), False)  # type: ignore[operator]
            if out is not None:
                self.udp.sendto(out, peer)

    def _serve_tcp(self) -> None:
        while True:
            conn, _ = self.tcp.accept()
            with conn:
                query, _ = dns.query.receive_tcp(conn)
                self.tcp_queries += 1
                out = self.reply(query, True)  # type: ignore[operator]
                dns.query.send_tcp(conn, out)


def a_answer(query: dns.message.Message, tcp: bool) -> bytes:
    response = dns.message.make_response(query)
    response.answer.append(dns.rrset.from_text(query.question[0].name, 60, "IN", "A",
                                               "198.18.0.1"))
    if not tcp:
        response.flags |= dns.flags.TC
        response.answer = []
    return response.to_wire()


def test_a_truncated_answer_is_asked_again_over_tcp() -> None:
    server = Server(a_answer)
    question = dns_wire.Question.make("example.nl", "A", RESOLVER_FLAGS, EDNS_PAYLOAD)
    response, tcp = asyncio.run(dns_wire.udp_with_fallback(question, "127.0.0.1", server.port,
                                                           timeout=2))
    assert tcp and server.tcp_queries == 1
    assert [rd.to_text() for rd in response.answer[0]] == ["198.18.0.1"]


def test_silence_is_a_timeout_and_a_strange_reply_a_bad_response() -> None:
    silent = Server(lambda query, tcp: None)
    question = dns_wire.Question.make("example.nl", "A", RESOLVER_FLAGS, EDNS_PAYLOAD)
    with pytest.raises(dns.exception.Timeout):
        asyncio.run(dns_wire.udp_with_fallback(question, "127.0.0.1", silent.port, 0.3))

    def other_name(query: dns.message.Message, tcp: bool) -> bytes:
        response = dns.message.make_response(dns.message.make_query("other.nl", "A"))
        response.id = query.id
        return response.to_wire()

    strange = Server(other_name)
    with pytest.raises(dns.query.BadResponse):
        asyncio.run(dns_wire.udp_with_fallback(question, "127.0.0.1", strange.port, 2))


def test_a_closed_port_is_a_timeout_as_with_dnspython() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    question = dns_wire.Question.make("example.nl", "A", RESOLVER_FLAGS, EDNS_PAYLOAD)
    with pytest.raises(dns.exception.Timeout):
        asyncio.run(dns_wire.udp_with_fallback(question, "127.0.0.1", port, 0.3))
    with pytest.raises(dns.exception.Timeout):
        asyncio.run(dns.asyncquery.udp_with_fallback(question.message(), "127.0.0.1",
                                                     timeout=0.3, port=port))
