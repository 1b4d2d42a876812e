"""Reading the server's hello (``tls_hello``), for the compression fact: on the bytes a
real OpenSSL server sends, cut at every point; on hellos that choose compression, which
no server at hand will send, built field by field; and a hello-only handshake against a
real server on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
from pathlib import Path

import pytest

from meting.probe import guard, politeness
from meting.probe.tls_conn import Offer, Target, handshake
from meting.probe.tls_hello import HelloRefused, NotAHello, ServerHello, server_hello
from meting.settings import Settings
from tests.unit.tls_server import server_context

LOOPBACK = Settings(allowed_networks="127.0.0.1/32")


def first_flight(folder: Path) -> bytes:
    """What an OpenSSL server answers to a TLS 1.2 ClientHello (ServerHello ... Done)."""
    client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_context.check_hostname, client_context.verify_mode = False, ssl.CERT_NONE
    client_context.maximum_version = ssl.TLSVersion.TLSv1_2
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = client_context.wrap_bio(to_client, to_server)
    with pytest.raises(ssl.SSLWantReadError):
        client.do_handshake()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    server = server_context(folder).wrap_bio(incoming, outgoing, server_side=True)
    incoming.write(to_server.read())
    with pytest.raises(ssl.SSLWantReadError):
        server.do_handshake()
    return outgoing.read()


def record(kind: int, payload: bytes) -> bytes:
    return bytes([kind, 3, 3]) + len(payload).to_bytes(2) + payload


def hello_message(compression: int, session_id: bytes = b"\x07" * 32,
                  cipher: int = 0xC02C) -> bytes:
    body = (b"\x03\x03" + b"\x11" * 32 + bytes([len(session_id)]) + session_id
            + cipher.to_bytes(2) + bytes([compression]) + b"\x00\x00")
    return b"\x02" + len(body).to_bytes(3) + body


def test_the_hello_of_a_real_server_is_read_at_every_cut(tmp_path: Path) -> None:
    flight = first_flight(tmp_path)
    complete = [n for n in range(len(flight) + 1) if server_hello(flight[:n]) is not None]
    assert complete, "the flight holds a ServerHello"
    hello = server_hello(flight)
    assert hello is not None and (hello.version, hello.compression) == (0x0303, 0)
    assert complete == list(range(complete[0], len(flight) + 1))  # once known, it stays
    assert all(server_hello(flight[:n]) == hello for n in complete)
    assert complete[0] < len(flight), "known before the certificate has come"


@pytest.mark.parametrize("compression", [0, 1])
def test_the_compression_method_chosen_is_read(compression: int) -> None:
    message = hello_message(compression)
    assert server_hello(record(22, message)) == ServerHello(0x0303, 0xC02C, compression)
    split = record(22, message[:10]) + record(22, message[10:])  # over two records
    assert server_hello(split) == ServerHello(0x0303, 0xC02C, compression)
    assert server_hello(record(22, hello_message(compression, session_id=b""))) \
        == ServerHello(0x0303, 0xC02C, compression)


def test_an_alert_is_a_refusal_with_its_name() -> None:
    with pytest.raises(HelloRefused, match=r"alert handshake_failure \(40\)"):
        server_hello(record(21, b"\x02\x28"))


@pytest.mark.parametrize("reply", [
    b"HTTP/1.1 400 Bad Request\r\n\r\n",
    record(23, b"\x00" * 20),
    record(22, b"\x0b\x00\x00\x02\x00\x00"),  # a Certificate where the hello belongs
    record(22, b"\x02\x00\x00\x05\x03\x03\x00\x00\x00"),  # a hello too short for its fields
])
def test_anything_else_is_not_a_hello(reply: bytes) -> None:
    with pytest.raises(NotAHello):
        server_hello(reply)


def test_a_hello_only_handshake_against_a_real_server(tmp_path: Path) -> None:
    """Against OpenSSL on a blocking socket, which writes its alert before it closes."""
    context = server_context(tmp_path)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve(connections: int) -> None:
        for _ in range(connections):
            conn, _ = listener.accept()
            with conn, contextlib.suppress(OSError):
                context.wrap_socket(conn, server_side=True)

    async def offer(version: str) -> tuple[bool, bool, str | None, dict[str, object]]:
        with guard.allowing(LOOPBACK), politeness.use(politeness.AddressLimiter(4)):
            result = await handshake(Target("127.0.0.1", port, "www.voorbeeld.nl", None, 5, 10),
                                     Offer(version=version, legacy=True, hello_only=True))
        return result.ok, result.broken, result.error, result.extra

    server = threading.Thread(target=serve, args=(2,), daemon=True)
    server.start()
    with listener:
        assert asyncio.run(offer("TLSv1.2")) == (True, False, None, {"compression": False})
        assert asyncio.run(offer("TLSv1.0")) == (False, False, "alert protocol_version (70)",
                                                 {})
        server.join(timeout=10)
