"""HTTPS requests of one address on one kept connection (``http.Keeper``), against real
TLS servers on loopback: what the server sees, what the evidence says, the politeness
slot, and a server that closes, frames its answers in chunks or sends too much."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from meting.probe import guard, politeness
from meting.probe.http import DRAIN, HttpResponse, Keeper, fetch
from meting.settings import Settings
from tests.unit.tls_server import server_context

HOST = "www.voorbeeld.nl"
Answer = Callable[[int, bytes], bytes]  # request number on its connection, request -> answer


@dataclass
class Seen:
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)


def sized(body: bytes, *extra: str) -> bytes:
    head = "".join(f"{h}\r\n" for h in extra)
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n" % (len(body), head.encode()) + body


def keeps(number: int, request: bytes) -> bytes:
    return sized(b"answer %d" % number)


async def serve(folder: Path, answer: Answer, closes_after: int | None = None,
                address: str = "127.0.0.1") -> tuple[asyncio.Server, Seen]:
    seen = Seen()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.connections += 1
        number = 0
        try:
            while True:
                request = await reader.readuntil(b"\r\n\r\n")
                seen.requests.append(request)
                number += 1
                writer.write(answer(number, request))
                await writer.drain()
                if b"Connection: close" in request or number == closes_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, address, 0, ssl=server_context(folder))
    return server, seen


def in_turn(folder: Path, answer: Answer, closes_after: int | None = None, limit: int = 1000,
            between: Callable[[politeness.AddressLimiter], Awaitable[None]] | None = None
            ) -> tuple[list[HttpResponse], Seen, list[int]]:
    """Three fetches of one address with one keeper; the address's busy slots after each."""
    async def run() -> tuple[list[HttpResponse], Seen, list[int]]:
        server, seen = await serve(folder, answer, closes_after)
        port = server.sockets[0].getsockname()[1]
        limiter = politeness.AddressLimiter(4)
        responses, busy = [], []
        async with server:
            with guard.allowing(Settings(allowed_networks="127.0.0.1/32")), \
                    politeness.use(limiter):
                async with Keeper() as keeper:
                    for n, path in enumerate(("/.well-known/security.txt", "/", "/")):
                        responses.append(await fetch(
                            "127.0.0.1", HOST, tls=True, port=port, path=path, timeout=5,
                            limit=limit, keeper=keeper, last=n == 2))
                        busy.append(limiter.busy("127.0.0.1"))
                busy.append(limiter.busy("127.0.0.1"))
        return responses, seen, busy
    return asyncio.run(run())


def test_requests_in_turn_share_one_connection_and_one_slot(tmp_path: Path) -> None:
    responses, seen, busy = in_turn(tmp_path, keeps)
    assert [r.body for r in responses] == ["answer 1", "answer 2", "answer 3"]
    assert [r.kept for r in responses] == [False, True, True]
    assert seen.connections == 1
    assert [b"Connection: close" in r for r in seen.requests] == [False, False, True]
    assert busy == [1, 1, 0, 0]  # held while kept; given back with the last answer


def test_a_server_that_says_close_gets_a_connection_per_request(tmp_path: Path) -> None:
    responses, seen, busy = in_turn(
        tmp_path, lambda n, _: sized(b"answer %d" % n, "Connection: close"), closes_after=1)
    assert [r.body for r in responses] == ["answer 1"] * 3
    assert [r.kept for r in responses] == [False] * 3
    assert seen.connections == 3
    assert busy == [0, 0, 0, 0]


def test_a_connection_the_server_closed_silently_is_replaced(tmp_path: Path) -> None:
    responses, seen, _ = in_turn(tmp_path, keeps, closes_after=1)  # no word that it closes
    assert [r.status for r in responses] == [200, 200, 200]
    assert [r.kept for r in responses] == [False] * 3
    assert seen.connections == 3


def test_chunked_answers_with_trailers_keep_the_connection(tmp_path: Path) -> None:
    def chunked(number: int, _: bytes) -> bytes:
        return (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"4\r\nansw\r\n4;ext=1\r\ner %d\r\n0\r\nX-Trailer: yes\r\n\r\n" % number)
    responses, seen, _ = in_turn(tmp_path, chunked)
    assert [r.body for r in responses] == ["answer 1", "answer 2", "answer 3"]
    assert [r.kept for r in responses] == [False, True, True]
    assert seen.connections == 1


@pytest.mark.parametrize("answer", [
    lambda n, _: sized(b"x" * (DRAIN + 1)),  # longer than is read past the bound
    lambda n, _: sized(b"answer") + b"junk",  # more than the answer
    lambda n, _: b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",  # HTTP/1.0
], ids=["over-the-bound", "bytes-past-the-answer", "http-1.0"])
def test_a_connection_is_not_used_again_after_an_answer_that_forbids_it(
        tmp_path: Path, answer: Answer) -> None:
    responses, seen, _ = in_turn(tmp_path, answer)
    assert all(r.status == 200 for r in responses)
    assert [r.kept for r in responses] == [False] * 3
    assert seen.connections == 3


def test_a_kept_connection_is_closed_before_a_request_elsewhere(tmp_path: Path) -> None:
    async def run() -> tuple[int, int, HttpResponse]:
        server, _ = await serve(tmp_path, keeps)
        other, _ = await serve(tmp_path, keeps, address="127.0.0.2")
        ports = [s.sockets[0].getsockname()[1] for s in (server, other)]
        limiter = politeness.AddressLimiter(4)
        async with server, other:
            with guard.allowing(Settings(allowed_networks="127.0.0.0/8")), \
                    politeness.use(limiter):
                async with Keeper() as keeper:
                    await fetch("127.0.0.1", HOST, tls=True, port=ports[0], timeout=5,
                                keeper=keeper, last=False)
                    held = limiter.busy("127.0.0.1")
                    elsewhere = await fetch("127.0.0.2", HOST, tls=True, port=ports[1],
                                            timeout=5, keeper=keeper, last=False)
                    return held, limiter.busy("127.0.0.1"), elsewhere
    held, after, elsewhere = asyncio.run(run())
    assert (held, after) == (1, 0)
    assert elsewhere.status == 200 and not elsewhere.kept


def test_a_plain_request_leaves_the_kept_connection_alone(tmp_path: Path) -> None:
    async def run() -> list[HttpResponse]:
        server, _ = await serve(tmp_path, keeps)
        plain = await asyncio.start_server(plain_answer, "127.0.0.1", 0)
        ports = [s.sockets[0].getsockname()[1] for s in (server, plain)]
        async with server, plain:
            with guard.allowing(Settings(allowed_networks="127.0.0.1/32")):
                async with Keeper() as keeper:
                    return [await fetch("127.0.0.1", HOST, tls=tls, port=ports[not tls],
                                        timeout=5, keeper=keeper, last=False)
                            for tls in (True, False, True)]

    async def plain_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(sized(b"plain", "Connection: close"))
        writer.close()

    responses = asyncio.run(run())
    assert [r.body for r in responses] == ["answer 1", "plain", "answer 2"]
    assert [r.kept for r in responses] == [False, False, True]


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_a_body_past_the_bound_is_read_to_its_end_and_kept_as_without(
        tmp_path: Path, framing: str) -> None:
    body = b"0123456789" * 300  # 3,000 bytes: past the bound of 1,000, within DRAIN

    def answer(number: int, _: bytes) -> bytes:
        if framing == "length":
            return sized(body)
        return (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + b"".join(b"%x\r\n%s\r\n" % (500, body[i:i + 500])
                           for i in range(0, len(body), 500)) + b"0\r\n\r\n")

    responses, seen, _ = in_turn(tmp_path, answer)
    assert [r.kept for r in responses] == [False, True, True]
    assert seen.connections == 1
    for response in responses:  # what the evidence keeps is what a fetch of its own keeps
        assert response.body == body[:1000].decode()
        assert (response.body_bytes, response.truncated) == (1000, True)
