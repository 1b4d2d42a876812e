"""Deliberately broken servers that no real software imitates.

One asyncio program serves every hostile listener of the lab::

    python -m meting.lab.hostile CONFIG.json

CONFIG.json is a list of ``{"kind", "address", "port", "hostname"}`` objects:

``silent``
    accepts TCP, never sends a byte, holds the connection for up to 10 minutes.
``tls_garbage``
    on accept sends random bytes that are no TLS record, 4 KB at a time, then closes.
``slow_banner``
    SMTP that waits 30 s before its ``220`` banner, then answers EHLO without
    STARTTLS and QUIT.

Memory is bounded: at most ``MAX_CONNECTIONS`` clients at once, input is read in
small chunks and thrown away, SMTP lines are limited in length.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from meting.lab import netns
from meting.lab.mail import wait_ready
from meting.lab.model import MailServer, WebServer

Kind = Literal["silent", "tls_garbage", "slow_banner"]
KINDS: tuple[Kind, ...] = ("silent", "tls_garbage", "slow_banner")
HOLD_SECONDS = 600.0
GARBAGE_CHUNK = 4096
GARBAGE_ROUNDS = 8
BANNER_DELAY = 30.0
MAX_CONNECTIONS = 512
MAX_LINE = 2048
START_TIMEOUT = 30.0


@dataclass(frozen=True)
class Listener:
    kind: Kind
    address: str
    port: int
    hostname: str = ""


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


# --- behaviours ---------------------------------------------------------------------

async def drain_input(reader: asyncio.StreamReader, seconds: float) -> None:
    """Read and discard whatever the client sends, until EOF or ``seconds`` pass."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while await reader.read(4096):
                pass


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await drain_input(reader, HOLD_SECONDS)


def garbage() -> bytes:
    """Random bytes whose first byte is no TLS content type nor an SSLv2 header."""
    data = bytearray(os.urandom(GARBAGE_CHUNK))
    data[0] = 0x47  # "G": never a TLS record type (20-24), never SSLv2 (high bit)
    return bytes(data)


async def tls_garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    for _ in range(GARBAGE_ROUNDS):
        writer.write(garbage())
        await writer.drain()
        await asyncio.sleep(0.05)


def smtp_reply(line: bytes, hostname: str) -> tuple[bytes, bool]:
    """The answer to one SMTP command line, and whether to close afterwards."""
    verb = line.strip().split(b" ", 1)[0].upper()
    if verb == b"EHLO":
        return f"250-{hostname}\r\n250-8BITMIME\r\n250 SIZE 10240000\r\n".encode(), False
    if verb == b"HELO":
        return f"250 {hostname}\r\n".encode(), False
    if verb in (b"NOOP", b"RSET"):
        return b"250 2.0.0 Ok\r\n", False
    if verb == b"QUIT":
        return b"221 2.0.0 Bye\r\n", True
    return b"502 5.5.2 Error: command not recognized\r\n", False


async def slow_banner(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                      hostname: str) -> None:
    await asyncio.sleep(BANNER_DELAY)
    writer.write(f"220 {hostname} ESMTP\r\n".encode())
    await writer.drain()
    async with asyncio.timeout(HOLD_SECONDS):
        while line := await reader.readline():
            reply, done = smtp_reply(line, hostname)
            writer.write(reply)
            await writer.drain()
            if done:
                return


# --- server -------------------------------------------------------------------------

def handler_for(listener: Listener, slots: asyncio.Semaphore) -> Handler:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if slots.locked():
            writer.close()
            return
        async with slots:
            try:
                if listener.kind == "silent":
                    await silent(reader, writer)
                elif listener.kind == "tls_garbage":
                    await tls_garbage(reader, writer)
                else:
                    await slow_banner(reader, writer, listener.hostname)
            except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError):
                pass  # resets, timeouts, over-long lines: just drop the client
            finally:
                writer.close()
                with contextlib.suppress(OSError, asyncio.CancelledError):
                    await writer.wait_closed()
    return handle


async def serve(listeners: list[Listener]) -> None:
    slots = asyncio.Semaphore(MAX_CONNECTIONS)
    servers = [await asyncio.start_server(handler_for(ln, slots), host=ln.address,
                                          port=ln.port, reuse_address=True, limit=MAX_LINE)
               for ln in listeners]
    for ln in listeners:
        print(f"listening: {ln.kind} {ln.address} port {ln.port}", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


def load_config(path: Path) -> list[Listener]:
    items = json.loads(path.read_text())
    listeners = [Listener(kind=i["kind"], address=i["address"], port=int(i["port"]),
                          hostname=i.get("hostname", "")) for i in items]
    bad = [ln.kind for ln in listeners if ln.kind not in KINDS]
    if bad:
        raise ValueError(f"unknown hostile kinds: {bad}")
    return listeners


# --- lab integration ----------------------------------------------------------------

def web_listeners(server: WebServer) -> list[Listener]:
    if server.software == "silent":
        ports = [80, 443]
    elif server.software == "tls_garbage":
        ports = [443]
    else:
        return []
    kind: Kind = server.software
    name = server.sites[0] if server.sites else server.name
    return [Listener(kind, addr, port, name)
            for addr in [*server.ipv4, *server.ipv6] for port in ports]


def mail_listeners(server: MailServer) -> list[Listener]:
    if server.software != "slow_banner":
        return []
    return [Listener("slow_banner", addr, 25, server.hostname)
            for addr in [*server.ipv4, *server.ipv6]]


def configure_hostile(web: list[WebServer], mail: list[MailServer], state: Path) -> Path:
    """Write the hostile program's config; returns its path."""
    listeners = [ln for w in web for ln in web_listeners(w)]
    listeners += [ln for m in mail for ln in mail_listeners(m)]
    path = state / "hostile" / "hostile.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(ln) for ln in listeners], indent=1))
    return path


def start_hostile(config: Path, state: Path, ns: str) -> None:
    """Run the hostile servers in ``ns``; wait until every port accepts TCP."""
    listeners = load_config(config)
    if not listeners:
        return
    log = state / "hostile" / "hostile.log"
    proc = netns.spawn_in(ns, [sys.executable, "-m", "meting.lab.hostile",
                               str(config.resolve())], log)
    missing = wait_ready(ns, [(ln.address, ln.port) for ln in listeners], banner=False,
                         timeout=START_TIMEOUT)
    if missing or proc.poll() is not None:
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        raise netns.LabError(f"hostile servers not listening on {', '.join(missing)}\n{tail}")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m meting.lab.hostile CONFIG.json", file=sys.stderr)
        return 2
    asyncio.run(serve(load_config(Path(argv[0]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
