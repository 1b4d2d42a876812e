"""The server's first answer to a ClientHello, read from the records as they arrive.

For one fact, TLS compression, meting needs nassl's legacy OpenSSL (the only build that
still offers it), and only the ServerHello: the compression method the server chooses
there is the session's. nassl's client cannot stop after that message; it would go on
to check the key-exchange signature and make its own key share with OpenSSL 1.0.2's
slow elliptic-curve code, about 3 ms of CPU per scan for nothing. So the records are
read here and the handshake is dropped once the ServerHello is known (RFC 5246 §7.4.1.3:
version, random, session id, cipher suite, compression method).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

HANDSHAKE, ALERT = 22, 21
SERVER_HELLO = 2
RECORD_HEADER = 5
RECORD_MAX = 2**14 + 2048  # a TLSCiphertext at most (RFC 5246 §6.2.3)
MESSAGE_HEADER = 4
RANDOM = 32


class HelloRefused(Exception):
    """The server answered the hello with an alert."""


class NotAHello(Exception):
    """What came back is not a TLS ServerHello."""


@dataclass(frozen=True)
class ServerHello:
    version: int  # e.g. 0x0303 for TLS 1.2
    cipher: int
    compression: int  # 0: none; 1: DEFLATE


def server_hello(data: bytes) -> ServerHello | None:
    """The ServerHello at the start of ``data`` (the bytes received after the
    ClientHello); None while it is incomplete. Raises ``HelloRefused`` for an alert and
    ``NotAHello`` for anything else."""
    message = bytearray()
    position = 0
    while position + RECORD_HEADER <= len(data):
        kind, length = data[position], int.from_bytes(data[position + 3:position + 5])
        if data[position + 1] != 3 or length > RECORD_MAX:
            raise NotAHello("not a TLS record")
        fragment = data[position + RECORD_HEADER:position + RECORD_HEADER + length]
        if len(fragment) < length:
            return None
        position += RECORD_HEADER + length
        if kind == ALERT:
            raise HelloRefused(alert_text(fragment))
        if kind != HANDSHAKE:
            raise NotAHello(f"a record of type {kind} before the ServerHello")
        message += fragment
        found = _message(bytes(message))
        if found is not None:
            return found
    return None


def _message(message: bytes) -> ServerHello | None:
    if len(message) < MESSAGE_HEADER:
        return None
    if message[0] != SERVER_HELLO:
        raise NotAHello(f"handshake message {message[0]} instead of a ServerHello")
    length = int.from_bytes(message[1:MESSAGE_HEADER])
    body = message[MESSAGE_HEADER:MESSAGE_HEADER + length]
    if len(body) < length:
        return None
    session_end = 2 + RANDOM + 1 + (body[2 + RANDOM] if len(body) > 2 + RANDOM else 0)
    if len(body) < session_end + 3:
        raise NotAHello("a ServerHello too short for its fields")
    return ServerHello(version=int.from_bytes(body[0:2]),
                       cipher=int.from_bytes(body[session_end:session_end + 2]),
                       compression=body[session_end + 2])


def alert_text(fragment: bytes) -> str:
    if len(fragment) < 2:
        return "alert (truncated)"
    try:
        name = ssl.AlertDescription(fragment[1]).name.removeprefix("ALERT_DESCRIPTION_")
    except ValueError:
        name = "unknown"
    return f"alert {name.lower()} ({fragment[1]})"
