"""A DNS response cut to what the probe reads, before dnspython parses it.

The probe reads a response's header, question and answer section but its signatures
(the records of the type asked and CNAMEs; whether the answer is secure it takes from
the resolver's AD flag), and of the OPT record only the upper bits of the response code
it may carry (never its options). Asked with the DO bit, a resolver adds the proof of
every answer: each answer's signature (RRSIG) after it; for a name that does not exist
or has no record of the type, the authority section holds the SOA record, NSEC or NSEC3
records and their signatures, often more than the answer itself; the additional section
may hold addresses with their signatures. On a round's answers in the lab, dropping the
authority and additional sections took dnspython's parse from 335 to 231 µs per answer
(asked with DO); dropping the answer's signatures too, on a slower hour, from 359 to
163 µs.

The cut keeps the bytes of the header, the question and the answer section as they came
(names compressed in them point only backwards, so they stay valid), but the signatures
that end the answer section when the one question did not ask for them (RRSIG or ANY);
a signature between two other records stays, since a later name may point into it. It
drops the authority section, and of the additional section keeps the OPT record only
when it extends the response code (an EDNS version 0 server that answers NOERROR,
NXDOMAIN or SERVFAIL does not).

Nothing is cut from a truncated response (it is asked again over TCP), nor from one with
a TSIG record or more than one OPT record (dnspython judges those whole, as before), nor
from one that does not walk cleanly: dnspython then meets the fault itself. A fault in
a record of a dropped section (say, NSEC3 data that does not parse) is not met: the
probe does not read those records, so their answer counts.
"""

from __future__ import annotations

import struct

HEADER = struct.Struct("!HHHHHH")  # id, flags, QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT
RR_FIXED = struct.Struct("!HHIH")  # type, class, TTL, RDLENGTH
TC = 0x0200
OPT, RRSIG, TSIG = 41, 46, 250
SIGNATURES_ASKED = frozenset({RRSIG, 255})  # RRSIG, ANY: the answer's signatures are kept


class _Malformed(Exception):
    """The walk left the message or met a label type it does not know."""


def answer_only(wire: bytes) -> bytes:
    """The response without its authority and additional sections (but an OPT record that
    extends the response code) and without the signatures that end its answer section
    (unless they were asked for); the response itself when it must be parsed whole or
    nothing would be dropped."""
    try:
        qid, flags, questions, answers, authority, additional = HEADER.unpack_from(wire)
    except struct.error:
        return wire
    if flags & TC:
        return wire
    try:
        at, asked = _skip_questions(wire, questions)
        answer_end, signed_from, kept_answers = _walk_answers(wire, at, answers)
        at = answer_end
        for _ in range(authority):
            at, _type = _skip_record(wire, at)
        opt: list[bytes] = []
        for _ in range(additional):
            start = at
            at, rtype = _skip_record(wire, at)
            if rtype == TSIG:
                return wire
            if rtype == OPT:
                opt.append(wire[start:at])
    except _Malformed:
        return wire
    if len(opt) > 1 or at != len(wire):
        return wire
    if asked is None or asked in SIGNATURES_ASKED:
        signed_from, kept_answers = answer_end, answers
    kept = [record for record in opt if _extends_rcode(record)]
    if signed_from == answer_end and authority == 0 and additional == len(kept):
        return wire  # nothing to drop
    header = HEADER.pack(qid, flags, questions, kept_answers, 0, len(kept))
    return header + wire[HEADER.size:signed_from] + b"".join(kept)


def _skip_questions(wire: bytes, questions: int) -> tuple[int, int | None]:
    """Where the question section ends, and the type asked when there is one question."""
    at, asked = HEADER.size, None
    for _ in range(questions):
        at = _skip_name(wire, at)
        if at + 4 > len(wire):
            raise _Malformed
        asked = int.from_bytes(wire[at:at + 2], "big")
        at += 4
    return at, asked if questions == 1 else None


def _walk_answers(wire: bytes, at: int, answers: int) -> tuple[int, int, int]:
    """Where the answer section ends, where the signatures (RRSIG) that end it start
    (its end when it does not end with one), and how many records come before them.
    Only signatures at the end are dropped: a name in a later record may point into a
    signature's bytes, and nothing after them is kept."""
    signed_from, before = at, 0
    for count in range(answers):
        at, rtype = _skip_record(wire, at)
        if rtype != RRSIG:
            signed_from, before = at, count + 1
    return at, signed_from, before
def _extends_rcode(opt: bytes) -> bool:
    """Does this OPT record carry upper response code bits (the first byte of its TTL
    field, after the owner name, type and class)?"""
    return opt[_skip_name(opt, 0) + 4] != 0


def _skip_name(wire: bytes, at: int) -> int:
    """Where the name that starts at ``at`` ends."""
    while True:
        if at >= len(wire):
            raise _Malformed
        length = wire[at]
        if length == 0:
            return at + 1
        if length & 0xC0 == 0xC0:  # a pointer ends the name
            return at + 2
        if length & 0xC0:
            raise _Malformed
        at += 1 + length


def _skip_record(wire: bytes, at: int) -> tuple[int, int]:
    """Where the resource record that starts at ``at`` ends, and its type."""
    at = _skip_name(wire, at)
    if at + RR_FIXED.size > len(wire):
        raise _Malformed
    rtype, _class, _ttl, length = RR_FIXED.unpack_from(wire, at)
    end = at + RR_FIXED.size + length
    if end > len(wire):
        raise _Malformed
    return end, rtype
