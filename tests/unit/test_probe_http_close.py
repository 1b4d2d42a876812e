"""An HTTPS fetch's connection is gone before its politeness slot is given back, so a
server never has more of our connections open than the limit: a real TLS server on
loopback that closes after its answer, and one that never ends its answer."""

from __future__ import annotations

import asyncio
import ssl
import time
from pathlib import Path

from meting.probe import guard, politeness
from meting.probe.http import HttpResponse, fetch
from meting.settings import Settings
from tests.unit.tls_server import server_context

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


async def fetch_and_watch(folder: Path, closes: bool, timeout: float = 5
                          ) -> tuple[HttpResponse, float, float]:
    """The response, when the slot was given back and when the server saw the connection
    end (its end of file or reset)."""
    ended = asyncio.get_running_loop().create_future()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(ANSWER)
        await writer.drain()
        if closes:
            writer.close()
        try:
            while await reader.read(1024):
                pass
        except (ConnectionError, ssl.SSLError):
            pass
        ended.set_result(time.monotonic())

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_context(folder))
    port = server.sockets[0].getsockname()[1]
    limiter = politeness.AddressLimiter(1)
    async with server:
        with guard.allowing(Settings(allowed_networks="127.0.0.1/32")), \
                politeness.use(limiter):
            response = await fetch("127.0.0.1", "www.voorbeeld.nl", tls=True, port=port,
                                   timeout=timeout)
            assert limiter.busy("127.0.0.1") == 0
            given_back = time.monotonic()
        return response, given_back, await asyncio.wait_for(ended, 5)


def test_a_closed_https_connection_ends_before_its_slot_is_given_back(tmp_path: Path) -> None:
    response, given_back, ended = asyncio.run(fetch_and_watch(tmp_path, closes=True))
    assert (response.status, response.body, response.error) == (200, "ok", None)
    assert ended <= given_back


def test_a_server_that_never_ends_its_answer_is_closed_within_the_slot_too(
        tmp_path: Path) -> None:
    response, given_back, ended = asyncio.run(fetch_and_watch(tmp_path, closes=False,
                                                              timeout=1))
    assert (response.status, response.failure) == (0, "http")
    assert response.error == "no complete answer within 1 s"
    assert ended <= given_back
