"""TCP reachability and the SMTP greeting, as ``Reach`` evidence."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time

from meting.probe import guard, politeness
from meting.probe.evidence import Reach
from meting.settings import Settings, load

BANNER_MAX = 4096  # bytes of greeting read at most
_LAST_LINE = re.compile(rb"\d{3}(?: |$)")  # "220 ..." ends a greeting, "220-..." does not


async def connect(address: str, port: int, timeout: float | None = None,
                  settings: Settings | None = None) -> Reach:
    """Open a TCP connection to (address, port) and close it again."""
    timeout = _timeout(timeout, settings, "connect_timeout")
    async with politeness.slot(address):
        started = time.monotonic()
        try:  # a bare socket: asyncio's streams cost more than the connection itself
            sock = await guard.connect_socket(address, port, timeout)
        except (OSError, TimeoutError) as exc:
            return Reach(address, port, False, None, _ms(started), _describe(exc))
        sock.close()
        return Reach(address, port, True, None, _ms(started), None)


async def smtp_banner(address: str, timeout: float | None = None, port: int = 25,
                      settings: Settings | None = None,
                      connect_timeout: float | None = None) -> Reach:
    """Connect and read the greeting (at most 4 KB, within ``timeout``); ok on a 220 reply.

    ``timeout`` (default ``Settings.smtp_banner_timeout``) bounds the wait for the greeting
    after the connection is made; ``connect_timeout`` (``Settings.connect_timeout``) the
    connection itself. A greeting cut short keeps what was read in ``banner``.
    """
    timeout = _timeout(timeout, settings, "smtp_banner_timeout")
    connect_timeout = _timeout(connect_timeout, settings, "connect_timeout")
    async with politeness.slot(address):
        return await _smtp_banner(address, port, timeout, connect_timeout)


async def _smtp_banner(address: str, port: int, timeout: float,
                       connect_timeout: float) -> Reach:
    started = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(guard.open_connection(address, port),
                                                connect_timeout)
    except (OSError, TimeoutError) as exc:
        return Reach(address, port, False, None, _ms(started), _describe(exc))
    data, error = await _read_greeting(reader, timeout)
    if error is None:
        with contextlib.suppress(OSError):
            writer.write(b"QUIT\r\n")
    await guard.close_connection(writer)
    banner = data.decode("utf-8", "replace").rstrip("\r\n") if data else None
    if error is None and not data.startswith(b"220"):
        error = "greeting is not 220"
    return Reach(address, port, error is None, banner, _ms(started), error)


async def _read_greeting(reader: asyncio.StreamReader, timeout: float) -> tuple[bytes, str | None]:
    data = b""
    try:
        async with asyncio.timeout(timeout):
            while len(data) < BANNER_MAX:
                chunk = await reader.read(BANNER_MAX - len(data))
                if not chunk:
                    return data, "connection closed before the greeting ended"
                data += chunk
                if _complete(data):
                    return data, None
    except TimeoutError:
        return data, f"no complete greeting within {timeout:g} s"
    except OSError as exc:
        return data, _describe(exc)
    return data, f"greeting longer than {BANNER_MAX} bytes"


def _complete(data: bytes) -> bool:
    """The greeting has ended: its last full line is a reply code followed by a space."""
    if not data.endswith(b"\n"):
        return False
    lines = data.rstrip(b"\r\n").split(b"\n")
    return _LAST_LINE.match(lines[-1].rstrip(b"\r")) is not None


def _timeout(value: float | None, settings: Settings | None, name: str) -> float:
    if value is not None:
        return value
    return float(getattr(settings or load(), name))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, guard.AddressRefused):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
