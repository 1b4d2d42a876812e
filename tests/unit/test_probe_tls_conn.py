"""TLS handshakes driven from the event loop (``tls_conn``), against real servers on
loopback: a whole economical scan runs without a thread per handshake, and the bounds
that keep a hostile server from holding a test (step timeout, deadline, read limit,
cancellation) hold as they did on a blocking socket."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from nassl import _nassl
from nassl.ssl_client import OpenSslVersionEnum

from meting.probe import guard, politeness
from meting.probe.tls import Prober
from meting.probe.tls_conn import (
    MAX_READ,
    Channel,
    Offer,
    Result,
    Target,
    handshake,
    make_client,
    shared_context,
)
from meting.settings import Settings
from tests.unit.tls_server import server_context

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
LOOPBACK = Settings(allowed_networks="127.0.0.1/32")


class CountingExecutor(ThreadPoolExecutor):
    """The loop's default executor, counting what is handed to a thread."""

    def __init__(self) -> None:
        super().__init__(2)
        self.handed: list[str] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.handed.append(repr(args[:1]))
        return super().submit(fn, *args, **kwargs)


@contextlib.contextmanager
def on_loopback() -> Iterator[None]:
    with guard.allowing(LOOPBACK), politeness.use(politeness.AddressLimiter(4)):
        yield


async def serve(handler: Handler, **kwargs: Any) -> tuple[asyncio.Server, int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0, **kwargs)
    return server, server.sockets[0].getsockname()[1]


def watched() -> set[int]:
    """The probe connections (``Channel``) the running event loop watches, by file
    descriptor (the test servers' own connections are not counted)."""
    selector = asyncio.get_running_loop()._selector  # type: ignore[attr-defined]
    return {fd for fd, key in selector.get_map().items()
            if key.data[0] is not None
            and isinstance(getattr(key.data[0]._callback, "__self__", None), Channel)}


def target(port: int, *, starttls: str | None = None, step: float = 5,
           deadline: float = 15) -> Target:
    return Target("127.0.0.1", port, "www.voorbeeld.nl", starttls, step, deadline)


async def answer_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
    writer.close()


def test_a_whole_scan_runs_on_the_event_loop(tmp_path: Path) -> None:
    """Every handshake but SSLv2's (whose nassl step cannot be resumed) without a thread."""
    executor = CountingExecutor()

    async def scan() -> tuple[dict[str, Any], set[int]]:
        asyncio.get_running_loop().set_default_executor(executor)
        server, port = await serve(answer_http, ssl=server_context(tmp_path))
        async with server:
            with on_loopback():
                found = await Prober(target(port), "web").probe(Settings().trust_store)
            return found, watched()

    found, left_watched = asyncio.run(scan())
    assert left_watched == set()  # every probe socket was let go of before it was closed
    assert found["connected"] and found["handshake_error"] is None
    assert found["versions"]["TLSv1.3"] and found["versions"]["TLSv1.2"]
    assert not found["versions"]["TLSv1.0"] and not found["versions"]["SSLv2"]
    assert "TLS_AES_256_GCM_SHA384" in str(found["ciphers"]["TLSv1.3"])
    assert found["chain"], "the certificate chain of the first handshake"
    assert found["handshakes"] >= 8
    assert len(executor.handed) == 1, executor.handed  # the SSLv2 attempt


def test_a_silent_server_breaks_the_exchange_after_the_step_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # never answers; until the client goes
        writer.close()

    async def attempt() -> tuple[Result, float]:
        server, port = await serve(silent)
        async with server:
            with on_loopback():
                started = time.monotonic()
                result = await handshake(target(port, step=0.3), Offer())
                return result, time.monotonic() - started

    result, took = asyncio.run(attempt())
    assert (result.ok, result.broken, result.connected) == (False, True, True)
    assert result.error == "no answer within 0.3 s"
    assert took >= 0.3


def test_a_trickling_server_is_cut_off_at_the_deadline() -> None:
    """Each byte comes within the step timeout; the connection's deadline ends it (the last
    read's timeout is what is left of the deadline, reported as that read's timeout)."""
    async def attempt() -> tuple[Result, float]:
        ended = asyncio.get_running_loop().create_future()

        async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                writer.write(b"\x16\x03\x03\x40\x00")  # a handshake record of 16 KiB
                for _ in range(200):  # given a byte at a time, for 4 s at least
                    await asyncio.sleep(0.02)
                    writer.write(b"\x00")
                    await writer.drain()
            ended.set_result(None)
            writer.close()

        server, port = await serve(trickle)
        async with server:
            with on_loopback():
                started = time.monotonic()
                result = await handshake(target(port, step=0.5, deadline=0.6), Offer())
                took = time.monotonic() - started
            await asyncio.wait_for(ended, 10)
        return result, took

    result, took = asyncio.run(attempt())
    assert (result.ok, result.broken) == (False, True)
    assert result.error in ("the exchange took longer than its deadline",
                            "no answer within 0.5 s")
    assert 0.6 <= took < 4, "ended by the deadline, not by the server"


def test_an_smtp_server_that_floods_is_cut_off_at_the_read_limit() -> None:
    async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            line = b"220-" + b"x" * 1000 + b"\r\n"
            for _ in range(2 * MAX_READ // len(line)):
                writer.write(line)
                await writer.drain()
        writer.close()

    async def attempt() -> Result:
        server, port = await serve(flood)
        async with server:
            with on_loopback():
                return await handshake(target(port, starttls="smtp"), Offer())

    result = asyncio.run(attempt())
    assert (result.ok, result.broken) == (False, True)
    assert result.error == f"the server sent more than {MAX_READ} bytes"


def test_a_refused_connection_reads_as_the_socket_module_says() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # bound, not listening: refused

        async def attempt() -> tuple[str, Result]:
            with on_loopback():
                try:
                    await guard.connect_socket("127.0.0.1", port, 2)
                except OSError as exc:
                    text = str(exc)
                return text, await handshake(target(port), Offer())

        text, result = asyncio.run(attempt())
    assert text == "[Errno 111] Connection refused"
    assert (result.ok, result.broken, result.connected, result.error) == (
        False, True, False, "refused")


def test_a_stopped_test_closes_its_connection_at_once() -> None:
    """A cancelled handshake no longer waits for a thread to time out."""
    async def attempt() -> float:
        ended = asyncio.get_running_loop().create_future()

        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                await reader.read()
            ended.set_result(time.monotonic())
            writer.close()

        server, port = await serve(silent)
        async with server:
            with on_loopback():
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(handshake(target(port, step=30), Offer()), 0.3)
                stopped = time.monotonic()
                assert watched() == set()  # its socket no longer watched by the loop
            return await asyncio.wait_for(ended, 5) - stopped

    assert asyncio.run(attempt()) < 5


def test_clients_of_one_version_share_one_context(tmp_path: Path) -> None:
    """One OpenSSL context per version for the process; handshakes of several versions at
    once on it each get what they offered."""
    async def attempt() -> list[Result]:
        server, port = await serve(answer_http, ssl=server_context(tmp_path))
        async with server:
            with on_loopback():
                return await asyncio.gather(*(
                    handshake(target(port), Offer(version=v))
                    for v in ("TLSv1.2", "TLSv1.3", "any", "TLSv1.2", "TLSv1.3")))

    results = asyncio.run(attempt())
    assert all(r.ok for r in results), [r.error for r in results]
    newest = [str(r.cipher).startswith("TLS_") for r in results]  # TLS 1.3's suite names
    assert newest == [False, True, True, False, True], [r.cipher for r in results]
    one = make_client(Offer(version="TLSv1.2"), target(443))
    other = make_client(Offer(version="TLSv1.2"), target(443))
    newest = make_client(Offer(version="TLSv1.3"), target(443))
    assert one._ssl_ctx is other._ssl_ctx is shared_context(_nassl, OpenSslVersionEnum.TLSV1_2)
    assert newest._ssl_ctx is not one._ssl_ctx
