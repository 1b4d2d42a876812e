"""A response is cut to what the probe reads (header, question, answers) before parsing."""

from __future__ import annotations

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.rrset
import dns.tsig
import dns.tsigkeyring

from meting.probe.dns_sections import answer_only


def response(name: str = "www.voorbeeld.nl.", rtype: str = "A", *,
             answer: tuple[str, ...] = ("192.0.2.1",), rcode: int = dns.rcode.NOERROR,
             ede: bool = False) -> dns.message.Message:
    """A validating resolver's answer with the DO bit: signatures, proof and glue."""
    query = dns.message.make_query(name, rtype, want_dnssec=True, payload=1232)
    reply = dns.message.make_response(query)
    reply.flags |= dns.flags.AD
    reply.set_rcode(rcode)
    if answer:
        reply.answer.append(dns.rrset.from_text(name, 300, "IN", rtype, *answer))
        reply.answer.append(dns.rrset.from_text(
            name, 300, "IN", "RRSIG",
            f"{rtype} 13 3 300 20270101000000 20261101000000 12345 voorbeeld.nl. "
            "dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZSBidXQgaXQgcGFyc2Vz"))
    reply.authority.append(dns.rrset.from_text(
        "voorbeeld.nl.", 3600, "IN", "SOA",
        "ns1.voorbeeld.nl. hostmaster.voorbeeld.nl. 2026120101 3600 900 604800 300"))
    reply.authority.append(dns.rrset.from_text(
        "voorbeeld.nl.", 3600, "IN", "NSEC", "zz.voorbeeld.nl. A NS SOA RRSIG NSEC"))
    reply.additional.append(dns.rrset.from_text("ns1.voorbeeld.nl.", 3600, "IN", "A",
                                                "192.0.2.53"))
    if ede:
        reply.use_edns(0, dns.flags.DO, 1232, options=[
            dns.edns.EDEOption(dns.edns.EDECode.DNSSEC_BOGUS, "signature expired")])
    return reply


def same_for_the_probe(whole: dns.message.Message, cut: dns.message.Message) -> None:
    assert (cut.id, cut.flags, cut.rcode()) == (whole.id, whole.flags, whole.rcode())
    assert cut.question == whole.question and cut.answer == whole.answer


def test_the_cut_keeps_header_question_and_answer_and_drops_the_rest() -> None:
    for reply in (response(), response(rtype="MX", answer=("10 mail.voorbeeld.nl.",)),
                  response(answer=(), rcode=dns.rcode.NXDOMAIN),
                  response(answer=(), rcode=dns.rcode.SERVFAIL, ede=True)):
        wire = reply.to_wire()  # names compressed, some pointing into the question
        cut = answer_only(wire)
        assert len(cut) < len(wire)
        whole, parsed = dns.message.from_wire(wire), dns.message.from_wire(cut)
        same_for_the_probe(whole, parsed)
        assert whole.authority and whole.edns == 0
        assert not parsed.authority and not parsed.additional and parsed.edns == -1


def test_an_opt_record_that_extends_the_response_code_is_kept() -> None:
    reply = response(answer=())
    reply.set_rcode(dns.rcode.BADVERS)  # 16: four bits in the header, the rest in OPT
    wire = reply.to_wire()
    cut = answer_only(wire)
    whole, parsed = dns.message.from_wire(wire), dns.message.from_wire(cut)
    assert len(cut) < len(wire) and parsed.rcode() == whole.rcode() == dns.rcode.BADVERS
    same_for_the_probe(whole, parsed)
    assert not parsed.authority and parsed.edns == 0


def test_a_response_with_nothing_to_drop_is_left_as_it_came() -> None:
    reply = response()
    reply.authority.clear()
    reply.additional.clear()
    reply.use_edns(False)
    wire = reply.to_wire()
    assert answer_only(wire) is wire


def test_truncated_signed_malformed_or_trailing_responses_are_parsed_whole() -> None:
    truncated = response()
    truncated.flags |= dns.flags.TC
    keyring = dns.tsigkeyring.from_text({"sleutel.": "c2VjcmV0c2VjcmV0c2VjcmV0"})
    signed = response()
    signed.use_tsig(keyring, keyname="sleutel.")
    wire = response().to_wire()
    for whole in (truncated.to_wire(), signed.to_wire(), wire[:-3], wire + b"\x00\x00",
                  wire[:5], bytes([*wire[:12], 0x80, *wire[13:]])):
        assert answer_only(whole) is whole


def test_two_opt_records_are_left_for_dnspython_to_refuse() -> None:
    wire = response().to_wire()
    opt = b"\x00\x00\x29\x04\xd0\x00\x00\x80\x00\x00\x00"  # root, OPT, 1232, DO, no options
    counts = bytearray(wire[:12])
    counts[11] += 2  # ARCOUNT: glue, OPT and two more OPT records
    doubled = bytes(counts) + wire[12:] + opt + opt
    assert answer_only(doubled) is doubled
