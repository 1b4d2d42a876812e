"""One DNS question over UDP (TCP when the answer is truncated), without dnspython's
message building and asyncio transports.

A round asks some twenty questions per domain; building each query as a
``dns.message.Message`` and opening an asyncio datagram endpoint for it cost several
times the exchange itself. Here the query's wire form is written directly (the same
bytes dnspython writes for ``make_query(name, type, want_dnssec=..., payload)``), sent
from a fresh non-blocking socket (unconnected, as dnspython's: a closed port is a timeout,
not a refusal), and the reply is checked and parsed as dnspython's ``udp_with_fallback``
does: from the server asked, the same id, a response to this question; ``Truncated``
leads to the same question over TCP. Only the sections the probe reads are parsed
(``dns_sections``).
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import struct
from dataclasses import dataclass

import dns.asyncquery
import dns.exception
import dns.flags
import dns.inet
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from meting.probe import dns_sections

QUESTION_OPTIONAL = frozenset({dns.rcode.FORMERR, dns.rcode.SERVFAIL, dns.rcode.NOTIMP,
                               dns.rcode.REFUSED})  # may come back without the question
DO_BIT = 0x8000  # in the OPT record's TTL field


@dataclass(frozen=True)
class Question:
    """A query as its wire form, and what a response to it must repeat."""

    qid: int
    name: dns.name.Name
    rdtype: dns.rdatatype.RdataType
    flags: int
    payload: int
    wire: bytes
    dnssec_ok: bool = True  # the DO bit

    @classmethod
    def make(cls, name: str, rtype: str, flags: int, payload: int,
             dnssec_ok: bool = True) -> Question:
        qid = secrets.randbits(16)
        owner = dns.name.from_text(name)
        rdtype = dns.rdatatype.from_text(rtype)
        owner_wire = owner.to_wire()
        assert owner_wire is not None  # written to bytes, not to a file
        wire = (struct.pack("!HHHHHH", qid, flags, 1, 0, 0, 1) + owner_wire
                + struct.pack("!HH", rdtype, dns.rdataclass.IN)
                + b"\x00" + struct.pack("!HHIH", dns.rdatatype.OPT, payload,
                                         DO_BIT if dnssec_ok else 0, 0))
        return cls(qid, owner, rdtype, flags, payload, wire, dnssec_ok)

    def message(self) -> dns.message.QueryMessage:
        """The same query as dnspython's message (for the TCP exchange)."""
        query = dns.message.make_query(self.name, self.rdtype, want_dnssec=self.dnssec_ok,
                                       use_edns=0, payload=self.payload)
        query.id = self.qid
        query.flags = dns.flags.Flag(self.flags)
        return query

    def answered_by(self, response: dns.message.Message) -> bool:
        """dnspython's ``Message.is_response`` for this query."""
        if not response.flags & dns.flags.QR or response.id != self.qid or \
                dns.opcode.from_flags(response.flags) != dns.opcode.QUERY:
            return False
        if response.rcode() in QUESTION_OPTIONAL and not response.question:
            return True
        asked = dns.rrset.RRset(self.name, dns.rdataclass.IN, self.rdtype)
        return asked in response.question and all(q == asked for q in response.question)


async def udp_with_fallback(question: Question, server: str, port: int, timeout: float
                            ) -> tuple[dns.message.Message, bool]:
    """The response and whether it came over TCP; ``dns.exception.Timeout`` when none came
    within ``timeout`` (and again within ``timeout`` over TCP)."""
    try:
        return await _udp(question, server, port, timeout), False
    except dns.message.Truncated:
        query = question.message()
        response = await dns.asyncquery.tcp(query, server, timeout=timeout, port=port)
        return response, True


async def _udp(question: Question, server: str, port: int,
               timeout: float) -> dns.message.Message:
    loop = asyncio.get_running_loop()
    family = dns.inet.af_for_address(server)
    with socket.socket(family, socket.SOCK_DGRAM) as sock:  # the resolver, or a guarded server
        sock.setblocking(False)
        try:
            async with asyncio.timeout(timeout):
                await loop.sock_sendto(sock, question.wire, (server, port))
                wire, source = await loop.sock_recvfrom(sock, 65535)
        except TimeoutError:
            raise dns.exception.Timeout(timeout=timeout) from None  # type: ignore[no-untyped-call]
    if socket.inet_pton(family, source[0]) != socket.inet_pton(family, server) or \
            source[1] != port:
        raise dns.query.UnexpectedSource(  # type: ignore[no-untyped-call]
            f"got a response from {source[0]} instead of {server}")
    try:
        response = dns.message.from_wire(dns_sections.answer_only(wire),
                                         raise_on_truncation=True)
    except dns.message.Truncated as exc:
        if not question.answered_by(exc.message()):  # type: ignore[no-untyped-call]
            raise dns.query.BadResponse from None
        raise
    if not question.answered_by(response):
        raise dns.query.BadResponse
    return response
