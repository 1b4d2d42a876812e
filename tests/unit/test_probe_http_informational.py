"""The HTTP probe against a real server on loopback that answers 100 Continue and
103 Early Hints before its final answer: the final answer is the status."""

from __future__ import annotations

import asyncio

import pytest

from meting.probe.http import MAX_INFORMATIONAL, HttpResponse, fetch

FINAL = (b"HTTP/1.1 301 Moved Permanently\r\nLocation: https://www.voorbeeld.nl/\r\n"
         b"Content-Length: 2\r\n\r\nok")
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
EARLY_HINTS = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n"


async def serve_once(answer: bytes) -> HttpResponse:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        return await fetch("127.0.0.1", "www.voorbeeld.nl", tls=False, port=port, timeout=5)


def test_informational_answers_are_passed_over() -> None:
    response = asyncio.run(serve_once(CONTINUE + EARLY_HINTS + FINAL))
    assert response.error is None
    assert response.status == 301
    assert response.header("location") == ["https://www.voorbeeld.nl/"]
    assert response.header("link") == []  # the hint's headers are not the answer's
    assert response.body == "ok"


def test_an_answer_without_informational_ones_is_read_as_before() -> None:
    response = asyncio.run(serve_once(FINAL))
    assert (response.status, response.body) == (301, "ok")


@pytest.mark.parametrize("count", [MAX_INFORMATIONAL + 1])
def test_endless_informational_answers_are_no_answer(count: int) -> None:
    response = asyncio.run(serve_once(EARLY_HINTS * count + FINAL))
    assert response.status == 0
    assert response.failure == "http"
    assert "informational" in (response.error or "")
