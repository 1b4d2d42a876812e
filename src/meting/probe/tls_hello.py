"""What a server answers to a ClientHello, read from the records as they arrive: its
hello and, at TLS 1.2 and below, its key exchange.

Most of an economical scan's handshakes only ask which suite, group or signature hash
the server chooses for an offer; that choice is in the server's first flight, the
ServerHello and, before TLS 1.3, the ServerKeyExchange (both unencrypted). Completing
the handshake after it costs the client about three quarters of its CPU (its own key
share, the check of the server's signature, parsing the certificate) and tells nothing
more. nassl's clients cannot stop after a given message, so those handshakes read the
flight here and drop the connection (RFC 5246 §7.4, RFC 8446 §4.1.3–4.1.4 and §4.2).
"""

from __future__ import annotations

import ssl
import sys
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass

HANDSHAKE, ALERT = 22, 21
SERVER_HELLO, CERTIFICATE, SERVER_KEY_EXCHANGE = 2, 11, 12
CERTIFICATE_STATUS, CERTIFICATE_REQUEST, SERVER_HELLO_DONE = 22, 13, 14
BEFORE_KEY_EXCHANGE = {CERTIFICATE, CERTIFICATE_STATUS}
RECORD_HEADER = 5
RECORD_MAX = 2**14 + 2048  # a TLSCiphertext at most (RFC 5246 §6.2.3)
MESSAGE_HEADER = 4
RANDOM = 32
TLS13 = 0x0304
# RFC 8446 §4.1.3: the random of a HelloRetryRequest
RETRY_RANDOM = bytes.fromhex(
    "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
EXT_SUPPORTED_VERSIONS, EXT_KEY_SHARE, EXT_EXTENDED_MASTER_SECRET = 43, 51, 23
NAMED_CURVE = 3


class HelloRefused(Exception):
    """The server answered the hello with an alert."""


class NotAHello(Exception):
    """What came back is not a TLS server hello and key exchange."""


@dataclass(frozen=True)
class ServerHello:
    version: int  # negotiated: 0x0303 for TLS 1.2, 0x0304 for TLS 1.3
    cipher: int
    compression: int  # 0: none; 1: DEFLATE
    retry: bool = False  # a TLS 1.3 HelloRetryRequest
    extended_master_secret: bool = False
    group: int | None = None  # TLS 1.3: the key share's group (or the one asked for)


@dataclass(frozen=True)
class KeyExchange:
    """A ServerKeyExchange: its ECDHE curve or DHE prime and generator, and at TLS 1.2
    the signature scheme it was signed with."""

    group: int | None = None
    prime: bytes | None = None
    generator: bytes | None = None
    signature_scheme: int | None = None


@dataclass(frozen=True)
class ServerFlight:
    hello: ServerHello
    key_exchange: KeyExchange | None = None  # none sent, or not read


def server_hello(data: bytes) -> ServerHello | None:
    """The ServerHello at the start of ``data`` (the bytes received after the
    ClientHello); None while it is incomplete. Raises ``HelloRefused`` for an alert and
    ``NotAHello`` for anything else."""
    for kind, body in _messages(data):
        if kind != SERVER_HELLO:
            raise NotAHello(f"handshake message {kind} instead of a ServerHello")
        return _hello(body)
    return None


def server_flight(data: bytes, kex_of: Callable[[int], str | None]) -> ServerFlight | None:
    """The ServerHello and, below TLS 1.3, the ServerKeyExchange of suites whose key
    exchange is "ECDHE" or "DHE" (read as far as ServerHelloDone); None while
    incomplete. ``kex_of``: the key exchange of the suite the server chose, by number."""
    messages = _messages(data)
    first = next(messages, None)
    if first is None:
        return None
    if first[0] != SERVER_HELLO:
        raise NotAHello(f"handshake message {first[0]} instead of a ServerHello")
    hello = _hello(first[1])
    if hello.version >= TLS13 or hello.retry:
        return ServerFlight(hello)
    for kind, body in messages:
        if kind == SERVER_KEY_EXCHANGE:
            return ServerFlight(hello, _key_exchange(body, kex_of(hello.cipher), hello.version))
        if kind in (SERVER_HELLO_DONE, CERTIFICATE_REQUEST):
            return ServerFlight(hello)
        if kind not in BEFORE_KEY_EXCHANGE:
            raise NotAHello(f"handshake message {kind} before the key exchange")
    return None


def _messages(data: bytes) -> Iterator[tuple[int, bytes]]:
    """The complete handshake messages in ``data``, in order; stops at the first
    incomplete one."""
    buffer = bytearray()
    taken = 0
    for fragment in _handshake_fragments(data):
        buffer += fragment
        while len(buffer) - taken >= MESSAGE_HEADER:
            length = int.from_bytes(buffer[taken + 1:taken + MESSAGE_HEADER])
            end = taken + MESSAGE_HEADER + length
            if end > len(buffer):
                break
            yield buffer[taken], bytes(buffer[taken + MESSAGE_HEADER:end])
            taken = end


def _handshake_fragments(data: bytes) -> Iterator[bytes]:
    position = 0
    while position + RECORD_HEADER <= len(data):
        kind, length = data[position], int.from_bytes(data[position + 3:position + 5])
        if data[position + 1] != 3 or length > RECORD_MAX:
            raise NotAHello("not a TLS record")
        fragment = data[position + RECORD_HEADER:position + RECORD_HEADER + length]
        if len(fragment) < length:
            return
        position += RECORD_HEADER + length
        if kind == ALERT:
            raise HelloRefused(alert_text(fragment))
        if kind != HANDSHAKE:
            raise NotAHello(f"a record of type {kind} before the server's key exchange")
        yield fragment


class _Reader:
    """Fields of one message, each read within its bounds."""

    def __init__(self, body: bytes) -> None:
        self.body, self.at = body, 0

    def take(self, size: int) -> bytes:
        if self.at + size > len(self.body):
            raise NotAHello("a message too short for its fields")
        part = self.body[self.at:self.at + size]
        self.at += size
        return part

    def number(self, size: int) -> int:
        return int.from_bytes(self.take(size))

    def vector(self, length_size: int) -> bytes:
        return self.take(self.number(length_size))

    def left(self) -> int:
        return len(self.body) - self.at


def _hello(body: bytes) -> ServerHello:
    reader = _Reader(body)
    version = reader.number(2)
    retry = reader.take(RANDOM) == RETRY_RANDOM
    reader.vector(1)  # session id
    cipher, compression = reader.number(2), reader.number(1)
    extensions = _Reader(reader.vector(2)) if reader.left() else _Reader(b"")
    ems, group = False, None
    while extensions.left():
        kind, data = extensions.number(2), _Reader(extensions.vector(2))
        if kind == EXT_SUPPORTED_VERSIONS:
            version = data.number(2)
        elif kind == EXT_KEY_SHARE:
            group = data.number(2)  # a KeyShareEntry, or a retry's selected group
        elif kind == EXT_EXTENDED_MASTER_SECRET:
            ems = True
    return ServerHello(version=version, cipher=cipher, compression=compression, retry=retry,
                       extended_master_secret=ems, group=group)


def _key_exchange(body: bytes, kex: str | None, version: int) -> KeyExchange | None:
    reader = _Reader(body)
    if kex == "ECDHE":
        if reader.number(1) != NAMED_CURVE:
            raise NotAHello("an ECDHE key exchange without a named curve")
        group = reader.number(2)
        reader.vector(1)  # the server's public point
        return KeyExchange(group=group, signature_scheme=_scheme(reader, version))
    if kex == "DHE":
        prime, generator = reader.vector(2), reader.vector(2)
        reader.vector(2)  # the server's public value
        return KeyExchange(prime=prime, generator=generator,
                           signature_scheme=_scheme(reader, version))
    return None


def _scheme(reader: _Reader, version: int) -> int | None:
    """The signature scheme of a TLS 1.2 key exchange; none before TLS 1.2, or unsigned."""
    if version < 0x0303 or not reader.left():
        return None
    return reader.number(2)


def alert_text(fragment: bytes) -> str:
    if len(fragment) < 2:
        return "alert (truncated)"
    try:
        name = ssl.AlertDescription(fragment[1]).name.removeprefix("ALERT_DESCRIPTION_")
    except ValueError:
        name = "unknown"
    return f"alert {name.lower()} ({fragment[1]})"


@dataclass(frozen=True)
class ClientOffer:
    """The suites, groups and signature schemes a ClientHello offers, by number, in its
    order."""

    suites: tuple[int, ...]
    groups: tuple[int, ...]
    schemes: tuple[int, ...] = ()


SIGNALLING_SUITES = {0x00FF, 0x5600}  # renegotiation info and fallback, not suites
EXT_SUPPORTED_GROUPS, EXT_SIGNATURE_ALGORITHMS = 10, 13


def client_offer(data: bytes) -> ClientOffer:
    """What the ClientHello in ``data`` (its records, as sent) offers."""
    for kind, body in _messages(data):
        if kind != 1:
            raise NotAHello(f"handshake message {kind} instead of a ClientHello")
        reader = _Reader(body)
        reader.take(2 + RANDOM)
        reader.vector(1)  # session id
        suites = _Reader(reader.vector(2))
        reader.vector(1)  # compression methods
        extensions = _Reader(reader.vector(2)) if reader.left() else _Reader(b"")
        lists: dict[int, tuple[int, ...]] = {}
        while extensions.left():
            kind, data_ = extensions.number(2), extensions.vector(2)
            if kind in (EXT_SUPPORTED_GROUPS, EXT_SIGNATURE_ALGORITHMS):
                lists[kind] = _numbers(_Reader(_Reader(data_).vector(2)))
        offered = list(_numbers(suites))
        for signal in SIGNALLING_SUITES.intersection(offered):
            offered.remove(signal)
        return ClientOffer(tuple(offered), lists.get(EXT_SUPPORTED_GROUPS, ()),
                           lists.get(EXT_SIGNATURE_ALGORITHMS, ()))
    raise NotAHello("no complete ClientHello")


def _numbers(reader: _Reader) -> tuple[int, ...]:
    """The 16-bit numbers of a vector's body, in C (a ClientHello lists 100 or more)."""
    values = array("H", reader.take(reader.left() // 2 * 2))
    if sys.byteorder == "little":
        values.byteswap()
    return tuple(values)
