"""One HTTP(S) request to one address of a host, read up to a bound.

The web checks need to know what a host answers *on a given address* (IPv4 and
IPv6 separately), so the connection goes to the address with the host name in
SNI and the Host header; certificates are not verified here (trust is judged by
the TLS checks from their own evidence). Bodies are read up to ``limit`` bytes,
the response head up to 64 KiB, every step under one deadline.

The connection is a non-blocking socket the event loop drives, and TLS is nassl's
(``fetch_tls``), not asyncio's streams and Python's ``ssl``: that cost twice the CPU
per fetch. ``Incoming`` reads it as asyncio's ``StreamReader`` would.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from nassl import _nassl
from nassl.ssl_client import ClientCertificateRequested

from meting.probe import fetch_tls, guard, politeness
from meting.probe.evidence import Evidence
from meting.probe.tls_conn import Channel, Connection, ProbeError, Target

HEAD_LIMIT = 64 * 1024
MAX_INFORMATIONAL = 10  # 1xx answers passed over before the final one, at most
CHUNK = 64 * 1024  # asked of the connection at a time
READ_MARGIN = 64 * 1024  # read beyond the head and the body's bound, at most
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

    def header(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


class Reader(Protocol):
    """What ``read_head`` and ``read_body`` read from: ``Incoming``, or asyncio's
    ``StreamReader``."""

    async def readuntil(self, separator: bytes = b"\n") -> bytes: ...
    async def readline(self) -> bytes: ...
    async def readexactly(self, n: int) -> bytes: ...
    async def read(self, n: int = -1) -> bytes: ...


class Incoming:
    """A connection's bytes, buffered and read with ``StreamReader``'s methods and errors:
    ``readuntil`` raises ``LimitOverrunError`` past ``limit`` bytes without the separator
    and ``IncompleteReadError`` at the end, ``readline`` gives what is left at the end."""

    def __init__(self, receive: Callable[[], Awaitable[bytes]], limit: int = HEAD_LIMIT
                 ) -> None:
        self._receive = receive
        self._limit = limit
        self._buffer = bytearray()
        self._ended = False

    async def _more(self) -> bool:
        if not self._ended:
            data = await self._receive()
            self._ended = not data
            self._buffer += data
        return not self._ended

    def _take(self, size: int) -> bytes:
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    async def readuntil(self, separator: bytes = b"\n") -> bytes:
        while (found := self._buffer.find(separator)) < 0:
            if len(self._buffer) > self._limit:
                raise asyncio.LimitOverrunError(
                    "Separator is not found, and chunk exceed the limit", len(self._buffer))
            if not await self._more():
                raise asyncio.IncompleteReadError(self._take(len(self._buffer)), None)
        if found > self._limit:
            raise asyncio.LimitOverrunError(
                "Separator is found, but chunk is longer than limit", found)
        return self._take(found + len(separator))

    async def readline(self) -> bytes:
        try:
            return await self.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            return exc.partial
        except asyncio.LimitOverrunError as exc:
            raise ValueError(exc.args[0]) from None

    async def readexactly(self, n: int) -> bytes:
        while len(self._buffer) < n:
            if not await self._more():
                raise asyncio.IncompleteReadError(self._take(len(self._buffer)), n)
        return self._take(n)

    async def read(self, n: int = -1) -> bytes:
        if not self._buffer:
            await self._more()
        return self._take(len(self._buffer) if n < 0 else n)


class Link:
    """A fetch's connection: plain, or TLS once ``tls`` is set."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.tls: Connection | None = None
        self.ended = False  # the server's end was read

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
        return data

    async def close(self) -> None:
        """Close, so that the connection is gone before the politeness slot is given
        back. A TLS connection is closed as asyncio's streams closed it: the client's
        close_notify, then the server's end of TLS and of the connection are awaited, at
        most ``CLOSE_SECONDS``; a plain one is closed at once."""
        try:
            if self.tls is not None:
                self.channel.renew(CLOSE_SECONDS)
                await self.tls.close_notify()
                while not self.ended and await self.receive():
                    pass
                while await self.channel.recv(CHUNK):
                    pass
        except (*FAILED, TimeoutError):
            pass
        finally:
            self.channel.sock.close()


async def fetch(address: str, host: str, *, tls: bool, path: str = "/", timeout: float = 10.0,
                limit: int = 256 * 1024, port: int | None = None,
                headers: tuple[tuple[str, str], ...] = ()) -> HttpResponse:
    """GET ``path``; ``headers`` are added to the request; ``port`` defaults to 80/443."""
    started = time.monotonic()
    port = port or (443 if tls else 80)
    stage = "connect"

    def result(status: int = 0, headers: tuple[tuple[str, str], ...] = (), body: bytes = b"",
               truncated: bool = False, error: str | None = None,
               failure: str = "") -> HttpResponse:
        return HttpResponse(address, host, port, tls, path, status, headers,
                            body.decode("utf-8", "replace"), len(body), truncated,
                            round((time.monotonic() - started) * 1000, 1), error, failure)

    async with politeness.slot(address):
        link: Link | None = None
        try:
            async with asyncio.timeout(timeout):
                sock = await guard.connect_socket(address, port, timeout)
                # its own step limits start later than this deadline: this one ends first
                link = Link(Channel(sock, Target(address, port, host, None, timeout, timeout),
                                    bound=HEAD_LIMIT + limit + READ_MARGIN))
                if tls:
                    stage = "tls"
                    link.tls = await fetch_tls.start_tls(link.channel, host)
                stage = "http"
                extra = "".join(f"{k}: {v}\r\n" for k, v in headers)
                authority = host if port == (443 if tls else 80) else f"{host}:{port}"
                request = (f"GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: meting\r\n"
                           f"Accept: */*\r\n{extra}Connection: close\r\n\r\n")
                await link.send(request.encode())
                reader = Incoming(link.receive)
                status, response_headers = await read_head(reader)
                body, truncated = await read_body(reader, response_headers, limit)
                answer = result(status, response_headers, body, truncated)
        except TimeoutError:
            return result(error=f"no complete answer within {timeout:g} s",
                          failure=failure_of(stage, None))
        except FAILED as exc:
            return result(error=f"{type(exc).__name__}: {str(exc).strip()}"[:300],
                          failure=failure_of(stage, exc))
        finally:  # in the slot, outside the time limit: gone before the slot is given back
            if link is not None:
                await link.close()
    return answer


def failure_of(stage: str, exc: BaseException | None) -> str:
    if stage == "connect":
        return "refused" if isinstance(exc, ConnectionRefusedError) else "no_connection"
    return stage


async def read_head(reader: Reader) -> tuple[int, tuple[tuple[str, str], ...]]:
    """The final response's status and headers: informational answers (1xx, RFC 9110
    §15.2, e.g. 100 Continue or 103 Early Hints) come first and are passed over."""
    for _ in range(MAX_INFORMATIONAL):
        status, headers = await read_one_head(reader)
        if not 100 <= status < 200 or status == 101:  # 101: the protocol changes; final
            return status, headers
    raise ValueError(f"more than {MAX_INFORMATIONAL} informational (1xx) answers")


async def read_one_head(reader: Reader) -> tuple[int, tuple[tuple[str, str], ...]]:
    raw = await reader.readuntil(b"\r\n\r\n")
    lines = raw.decode("iso-8859-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ValueError(f"not an HTTP status line: {lines[0][:80]!r}")
    headers = tuple((k.strip(), v.strip()) for k, sep, v in
                    (line.partition(":") for line in lines[1:] if line) if sep)
    return int(parts[1]), headers


async def read_body(reader: Reader, headers: tuple[tuple[str, str], ...],
                    limit: int) -> tuple[bytes, bool]:
    """Up to ``limit`` bytes of the body, de-chunked when chunked."""
    chunked = any(k.lower() == "transfer-encoding" and "chunked" in v.lower()
                  for k, v in headers)
    body = bytearray()
    if not chunked:
        while len(body) <= limit:
            data = await reader.read(min(65536, limit + 1 - len(body)))
            if not data:
                break
            body += data
        return bytes(body[:limit]), len(body) > limit
    while len(body) <= limit:
        size_line = await reader.readline()
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            break
        body += await reader.readexactly(min(size, limit + 1 - len(body)))
        if len(body) > limit:
            break
        await reader.readexactly(2)
    return bytes(body[:limit]), len(body) > limit
