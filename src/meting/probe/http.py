"""One HTTP(S) request to one address of a host, read up to a bound.

The web checks need to know what a host answers *on a given address* (IPv4 and
IPv6 separately), so the connection goes to the address with the host name in
SNI and the Host header; certificates are not verified here (trust is judged by
the TLS checks from their own evidence). Bodies are read up to ``limit`` bytes,
the response head up to 64 KiB, every step under one deadline.

The connection is a non-blocking socket the event loop drives, and TLS is nassl's
(``fetch_tls``), not asyncio's streams and Python's ``ssl``: that cost twice the CPU
per fetch. ``http_read.Incoming`` reads it as asyncio's ``StreamReader`` would.

An address's HTTPS requests in one test may share a connection (``Keeper``, HTTP/1.1
persistence): each asks as before, but only the first makes a TLS handshake. The
evidence says which were sent on a kept connection (``kept``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import Any, NamedTuple

from nassl import _nassl
from nassl.ssl_client import ClientCertificateRequested

from meting.probe import fetch_tls, guard, politeness
from meting.probe.evidence import Evidence
from meting.probe.http_read import (
    HEAD_LIMIT,
    MAX_INFORMATIONAL,
    Headers,
    Incoming,
    read_body,
    read_framed_body,
    read_head,
)
from meting.probe.tls_conn import Channel, Connection, ProbeError, Target

__all__ = ["HEAD_LIMIT", "MAX_INFORMATIONAL", "HttpResponse", "Keeper", "fetch", "read_body",
           "read_head"]

CHUNK = 64 * 1024  # asked of the connection at a time
READ_MARGIN = 64 * 1024  # read beyond the head and the body's bound, at most
DRAIN = 64 * 1024  # a longer body than asked for is read to its end to keep the connection
CLOSE_SECONDS = 1.0  # a TLS server that has not answered the client's close by then is cut off
FAILED = (OSError, ProbeError, _nassl.OpenSSLError, fetch_tls.InsecureRenegotiation,
          ClientCertificateRequested, asyncio.IncompleteReadError,
          asyncio.LimitOverrunError, ValueError)


@dataclass(frozen=True)
class HttpResponse(Evidence):
    address: str
    host: str
    port: int
    tls: bool
    path: str
    status: int  # 0 when no response came
    headers: tuple[tuple[str, str], ...]
    body: str  # decoded text of the first `limit` bytes
    body_bytes: int  # bytes read (not more than the limit)
    truncated: bool  # the body went on past the limit
    elapsed_ms: float
    error: str | None
    # Where it went wrong: "" (an answer came), "refused" (TCP reset), "no_connection"
    # (no TCP connection: timeout, no route), "tls" (handshake), "http" (no valid answer)
    failure: str = ""
    kept: bool = False  # sent on a connection an earlier request of the test left open

    def header(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


class Answer(NamedTuple):
    status: int
    headers: Headers
    body: bytes
    truncated: bool
    reusable: bool  # the connection can carry the next request


class Link:
    """A fetch's connection: plain, or TLS once ``tls`` is set."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.tls: Connection | None = None
        self.ended = False  # the server's end was read
        self.received = 0  # bytes of the current answer

    def begin(self, timeout: float, bound: int) -> None:
        """A new exchange: its own step timeout, deadline and bound on what is read."""
        self.channel.renew(timeout)
        self.channel.left = self.channel.bound = bound
        self.received = 0

    async def send(self, data: bytes) -> None:
        if self.tls is None:
            await self.channel.send(data)
        else:
            await self.tls.write(data)

    async def receive(self) -> bytes:
        if self.tls is None:
            data = await self.channel.recv(CHUNK)
        else:
            data = await self.tls.receive(CHUNK)
        self.ended = not data
        self.received += len(data)
        return data

    async def ask(self, request: bytes, limit: int, framed: bool) -> Answer:
        """Send ``request`` and read its answer; ``framed``: by the answer's framing,
        for a connection that may carry another request."""
        await self.send(request)
        reader = Incoming(self.receive)
        head = await read_head(reader)
        if not framed:
            body, truncated = await read_body(reader, head.headers, limit)
            return Answer(head.status, head.headers, body, truncated, False)
        body, truncated, complete = await read_framed_body(reader, head.status, head.headers,
                                                           limit, DRAIN)
        reusable = head.persistent and complete and not reader.leftover and not self.ended
        return Answer(head.status, head.headers, body, truncated, reusable)

    async def close(self) -> None:
        """Close, so that the connection is gone before the politeness slot is given
        back. A TLS connection is closed as asyncio's streams closed it: the client's
        close_notify, then the server's end of TLS and of the connection are awaited, at
        most ``CLOSE_SECONDS``; a plain one is closed at once."""
        try:
            if self.tls is not None:
                self.begin(CLOSE_SECONDS, READ_MARGIN)
                await self.tls.close_notify()
                while not self.ended and await self.receive():
                    pass
                while await self.channel.recv(CHUNK):
                    pass
        except (*FAILED, TimeoutError):
            pass
        finally:
            self.channel.close()


Key = tuple[str, int, str]  # a kept connection's address, port and host name


class Keeper:
    """At most one HTTPS connection, kept open from one request to the next of one
    address in one test (HTTP/1.1 persistence, RFC 9112 §9.3), with the politeness slot
    it holds: like a single fetch, a keeper holds one connection and one slot at a time,
    so it never waits for a second slot while holding one."""

    def __init__(self) -> None:
        self._kept: tuple[Key, Link, contextlib.AsyncExitStack] | None = None
        self.turn = asyncio.Lock()  # one request at a time on the kept connection

    def take(self, key: Key) -> tuple[Link, contextlib.AsyncExitStack] | None:
        if self._kept is None or self._kept[0] != key:
            return None
        _, link, slot = self._kept
        self._kept = None
        return link, slot

    def keep(self, key: Key, link: Link, slot: contextlib.AsyncExitStack) -> None:
        self._kept = (key, link, slot)

    async def close(self) -> None:
        if self._kept is not None:
            _, link, slot = self._kept
            self._kept = None
            await release(link, slot)

    async def __aenter__(self) -> Keeper:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()


async def release(link: Link | None, slot: contextlib.AsyncExitStack) -> None:
    """Close the connection, then give its politeness slot back."""
    try:
        if link is not None:
            await link.close()
    finally:
        await slot.aclose()


def request_for(host: str, port: int, tls: bool, path: str, headers: Headers,
                close: bool) -> bytes:
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers)
    authority = host if port == (443 if tls else 80) else f"{host}:{port}"
    ending = "Connection: close\r\n" if close else ""
    return (f"GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: meting\r\n"
            f"Accept: */*\r\n{extra}{ending}\r\n").encode()


class Attempt:
    """One fetch's way to its answer: the stage it reached, the connection it used."""

    def __init__(self, address: str, port: int, host: str, tls: bool, timeout: float,
                 bound: int) -> None:
        self.address, self.port, self.host, self.tls = address, port, host, tls
        self.timeout, self.bound = timeout, bound
        self.stage = "connect"
        self.kept = False

    async def connect(self) -> Link:
        self.stage = "connect"
        sock = await guard.connect_socket(self.address, self.port, self.timeout)
        # its own step limits start later than the fetch's deadline: that one ends first
        link = Link(Channel(sock, Target(self.address, self.port, self.host, None,
                                         self.timeout, self.timeout), bound=self.bound))
        if self.tls:
            self.stage = "tls"
            try:
                link.tls = await fetch_tls.start_tls(link.channel, self.host)
            except BaseException:
                link.channel.close()
                raise
        self.stage = "http"
        return link

    async def again(self, link: Link, request: bytes, limit: int, framed: bool
                    ) -> Answer | None:
        """The request on a kept connection; None when the server had closed it before
        any byte of an answer (a new connection is then made)."""
        self.stage, self.kept = "http", True
        link.begin(self.timeout, self.bound)
        try:
            return await link.ask(request, limit, framed)
        except FAILED:
            if link.received:
                raise
        self.kept = False
        return None


async def fetch(address: str, host: str, *, tls: bool, path: str = "/", timeout: float = 10.0,
                limit: int = 256 * 1024, port: int | None = None, headers: Headers = (),
                keeper: Keeper | None = None, last: bool = True) -> HttpResponse:
    """GET ``path``; ``headers`` are added to the request; ``port`` defaults to 80/443.
    With a ``keeper``, an HTTPS request waits its turn and goes on the connection the
    keeper kept for this address, port and host, if any; unless ``last``, the connection
    is then kept when the answer allows. A plain request has a connection of its own."""
    if not tls:
        keeper, last = None, True
    turn: contextlib.AbstractAsyncContextManager[Any] = (
        keeper.turn if keeper is not None else contextlib.nullcontext())
    async with turn:
        return await _fetch(address, host, tls=tls, path=path, timeout=timeout, limit=limit,
                            port=port, headers=headers, keeper=keeper, last=last)


async def _fetch(address: str, host: str, *, tls: bool, path: str, timeout: float, limit: int,
                 port: int | None, headers: Headers, keeper: Keeper | None,
                 last: bool) -> HttpResponse:
    started = time.monotonic()
    port = port or (443 if tls else 80)
    key = (address, port, host)
    framed = keeper is not None and not last
    request = request_for(host, port, tls, path, headers, close=not framed)
    attempt = Attempt(address, port, host, tls, timeout,
                      HEAD_LIMIT + max(limit, DRAIN if framed else 0) + READ_MARGIN)

    def result(answer: Answer | None = None, error: str | None = None,
               failure: str = "") -> HttpResponse:
        status, found, body, truncated = answer[:4] if answer else (0, (), b"", False)
        return HttpResponse(address, host, port, tls, path, status, found,
                            body.decode("utf-8", "replace"), len(body), truncated,
                            round((time.monotonic() - started) * 1000, 1), error, failure,
                            attempt.kept)

    held = keeper.take(key) if keeper is not None else None
    if held is None and keeper is not None:
        await keeper.close()  # one connection, and one slot, at a time
    link, slot = held if held is not None else (None, contextlib.AsyncExitStack())
    kept_for_next = False
    try:
        if held is None:
            await slot.enter_async_context(politeness.slot(address))
        try:
            async with asyncio.timeout(timeout):
                answer = None
                if link is not None:
                    answer = await attempt.again(link, request, limit, framed)
                if answer is None:
                    if link is not None:
                        await link.close()
                    link = None
                    link = await attempt.connect()
                    link.begin(timeout, attempt.bound)
                    answer = await link.ask(request, limit, framed)
        except TimeoutError:
            return result(error=f"no complete answer within {timeout:g} s",
                          failure=failure_of(attempt.stage, None))
        except FAILED as exc:
            return result(error=f"{type(exc).__name__}: {str(exc).strip()}"[:300],
                          failure=failure_of(attempt.stage, exc))
        kept_for_next = keeper is not None and answer.reusable
        return result(answer)
    finally:  # outside the time limit: the connection is gone before the slot is given back
        if kept_for_next and keeper is not None and link is not None:
            keeper.keep(key, link, slot)
        else:
            await release(link, slot)


def failure_of(stage: str, exc: BaseException | None) -> str:
    if stage == "connect":
        return "refused" if isinstance(exc, ConnectionRefusedError) else "no_connection"
    return stage


