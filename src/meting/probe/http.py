"""One HTTP(S) request to one address of a host, read up to a bound.

The web checks need to know what a host answers *on a given address* (IPv4 and
IPv6 separately), so the connection goes to the address with the host name in
SNI and the Host header; certificates are not verified here (trust is judged by
the TLS checks from their own evidence). Bodies are read up to ``limit`` bytes,
the response head up to 64 KiB, every step under one deadline.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass
from functools import lru_cache

from meting.probe import guard, politeness
from meting.probe.evidence import Evidence

HEAD_LIMIT = 64 * 1024
MAX_INFORMATIONAL = 10  # 1xx answers passed over before the final one, at most


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


@lru_cache(maxsize=1)
def insecure_context() -> ssl.SSLContext:
    # One context for every fetch: building one loads the system trust store (slow),
    # and no trust store is needed when certificates are not verified.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


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
        writer: asyncio.StreamWriter | None = None
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await guard.open_connection(address, port, limit=HEAD_LIMIT)
                if tls:
                    stage = "tls"
                    await writer.start_tls(insecure_context(), server_hostname=host)
                stage = "http"
                extra = "".join(f"{k}: {v}\r\n" for k, v in headers)
                authority = host if port == (443 if tls else 80) else f"{host}:{port}"
                request = (f"GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: meting\r\n"
                           f"Accept: */*\r\n{extra}Connection: close\r\n\r\n")
                writer.write(request.encode())
                await writer.drain()
                status, response_headers = await read_head(reader)
                body, truncated = await read_body(reader, response_headers, limit)
                answer = result(status, response_headers, body, truncated)
        except TimeoutError:
            return result(error=f"no complete answer within {timeout:g} s",
                          failure=failure_of(stage, None))
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ValueError) as exc:
            return result(error=f"{type(exc).__name__}: {exc}"[:300],
                          failure=failure_of(stage, exc))
        finally:  # in the slot, outside the time limit: gone before the slot is given back
            if writer is not None:
                await guard.close_connection(writer)
    return answer


def failure_of(stage: str, exc: BaseException | None) -> str:
    if stage == "connect":
        return "refused" if isinstance(exc, ConnectionRefusedError) else "no_connection"
    return stage


async def read_head(reader: asyncio.StreamReader) -> tuple[int, tuple[tuple[str, str], ...]]:
    """The final response's status and headers: informational answers (1xx, RFC 9110
    §15.2, e.g. 100 Continue or 103 Early Hints) come first and are passed over."""
    for _ in range(MAX_INFORMATIONAL):
        status, headers = await read_one_head(reader)
        if not 100 <= status < 200 or status == 101:  # 101: the protocol changes; final
            return status, headers
    raise ValueError(f"more than {MAX_INFORMATIONAL} informational (1xx) answers")


async def read_one_head(reader: asyncio.StreamReader) -> tuple[int, tuple[tuple[str, str], ...]]:
    raw = await reader.readuntil(b"\r\n\r\n")
    lines = raw.decode("iso-8859-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ValueError(f"not an HTTP status line: {lines[0][:80]!r}")
    headers = tuple((k.strip(), v.strip()) for k, sep, v in
                    (line.partition(":") for line in lines[1:] if line) if sep)
    return int(parts[1]), headers


async def read_body(reader: asyncio.StreamReader, headers: tuple[tuple[str, str], ...],
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
