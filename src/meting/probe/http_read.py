"""Reading an HTTP/1.1 answer (RFC 9112): its head, and its body up to a bound.

An answer to a request that asked the server to close is read until the connection
ends (``read_body``). An answer on a connection that may carry the next request is
read by its framing (``read_framed_body``, RFC 9112 §6.3): exactly its Content-Length,
or its chunks and trailer section; whether the connection can then be used again
(RFC 9112 §9.3) is ``Head.persistent`` and the body read completely.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import NamedTuple, Protocol

HEAD_LIMIT = 64 * 1024
MAX_INFORMATIONAL = 10  # 1xx answers passed over before the final one, at most
NO_BODY = frozenset({204, 304})  # and every 1xx (RFC 9112 §6.3)

Headers = tuple[tuple[str, str], ...]


class Head(NamedTuple):
    status: int
    headers: Headers
    persistent: bool  # HTTP/1.1 without "Connection: close": the server keeps it open


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

    @property
    def leftover(self) -> int:
        """Bytes received and not read: past the answer, none should be."""
        return len(self._buffer)

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


async def read_head(reader: Reader) -> Head:
    """The final response's head: informational answers (1xx, RFC 9110 §15.2, e.g.
    100 Continue or 103 Early Hints) come first and are passed over."""
    for _ in range(MAX_INFORMATIONAL):
        head = await read_one_head(reader)
        if not 100 <= head.status < 200 or head.status == 101:  # 101: the protocol changes
            return head
    raise ValueError(f"more than {MAX_INFORMATIONAL} informational (1xx) answers")


async def read_one_head(reader: Reader) -> Head:
    raw = await reader.readuntil(b"\r\n\r\n")
    lines = raw.decode("iso-8859-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ValueError(f"not an HTTP status line: {lines[0][:80]!r}")
    headers = tuple((k.strip(), v.strip()) for k, sep, v in
                    (line.partition(":") for line in lines[1:] if line) if sep)
    closes = any(k.lower() == "connection" and "close" in v.lower().replace(" ", "").split(",")
                 for k, v in headers)
    return Head(int(parts[1]), headers, parts[0] == "HTTP/1.1" and not closes)


async def read_body(reader: Reader, headers: Headers,
                    limit: int) -> tuple[bytes, bool]:
    """Up to ``limit`` bytes of the body, de-chunked when chunked."""
    body = bytearray()
    if not chunked(headers):
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


def chunked(headers: Headers) -> bool:
    return any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in headers)


def content_length(headers: Headers) -> int | None:
    """The body's length by its Content-Length; None when absent, invalid or ambiguous."""
    values = {v.strip() for k, v in headers if k.lower() == "content-length"}
    values = {p.strip() for v in values for p in v.split(",")}
    if len(values) != 1:
        return None
    value = values.pop()
    return int(value) if value.isdigit() else None


async def read_framed_body(reader: Reader, status: int, headers: Headers, limit: int,
                           drain: int = 0) -> tuple[bytes, bool, bool]:
    """Up to ``limit`` bytes of the body as its framing says, whether it went on past the
    bound, and whether all of it was read (so the connection can carry another request).
    A body longer than ``limit`` is read to its end when it is at most ``drain`` bytes:
    what is kept is the same, and the connection can be used again."""
    if status in NO_BODY or 100 <= status < 200:
        return b"", False, True
    read = max(limit, drain)
    if chunked(headers):
        body, longer = await read_body(reader, headers, read)
        if not longer:
            while (await reader.readline()).strip():  # the trailer section, to its end
                pass
        return body[:limit], len(body) > limit or longer, not longer
    length = content_length(headers)
    if length is None:  # delimited by the connection's end
        body, truncated = await read_body(reader, headers, limit)
        return body, truncated, False
    if length > read:
        data = await reader.readexactly(limit + 1)
        return data[:limit], True, False
    body = await reader.readexactly(length)
    return body[:limit], length > limit, True
