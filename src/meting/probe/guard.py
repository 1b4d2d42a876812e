"""The one door to the network: every TCP connection and every direct DNS exchange of the
probes passes here, and none goes to an address that must not be probed.

Loopback, private, link-local, carrier-grade NAT, multicast, documentation,
benchmarking and other special-purpose addresses (the IANA IPv4 and IPv6
special-purpose address registries, as Python's ``ipaddress`` knows them) are
refused before a socket exists, so a name that points at the scanner's own machine
or an internal network cannot turn meting against it. Networks named in the
``allowed_networks`` setting are the only exception; the lab allows its own ranges
that way, nothing else does. The configured resolver is not a target and is not
guarded here.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

import dns.asyncquery
import dns.message

from meting.settings import Settings, load

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Which kind of special-purpose address, by the first range that holds it; the
# explanations (checks/data/explanations.yaml, ``refused``) name these kinds.
KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("unspecified", ("0.0.0.0/8", "::/128")),
    ("loopback", ("127.0.0.0/8", "::1/128")),
    ("private", ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")),
    ("shared", ("100.64.0.0/10",)),  # carrier-grade NAT (RFC 6598)
    ("link_local", ("169.254.0.0/16", "fe80::/10")),
    ("multicast", ("224.0.0.0/4", "ff00::/8")),
    ("documentation", ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
                       "198.18.0.0/15", "2001:db8::/32", "3fff::/20")),
)


_KIND_NETWORKS: tuple[tuple[str, tuple[Network, ...]], ...] = tuple(
    (kind, tuple(ipaddress.ip_network(n) for n in networks)) for kind, networks in KINDS)


class AddressRefused(OSError):
    """A connection to an address that must not be probed was not attempted."""

    def __init__(self, address: str, kind: str) -> None:
        super().__init__(f"not connected: {address} is a {kind} address")
        self.address, self.kind = address, kind


_allowed: ContextVar[tuple[Network, ...] | None] = ContextVar("allowed_networks", default=None)


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"198.18.0.0/15, 2001:db8::/32"``; a bad entry raises ValueError naming it."""
    found = []
    for item in (part.strip() for part in text.replace(";", ",").split(",")):
        if item:
            try:
                found.append(ipaddress.ip_network(item, strict=False))
            except ValueError as exc:
                raise ValueError(f"allowed_networks: {item!r} is not a network") from exc
    return tuple(found)


@lru_cache(maxsize=8)
def _from_text(text: str) -> tuple[Network, ...]:
    return parse_networks(text)


def allowed_networks() -> tuple[Network, ...]:
    chosen = _allowed.get()
    return chosen if chosen is not None else _from_text(load().allowed_networks)


@contextmanager
def allowing(settings: Settings) -> Iterator[None]:
    """Within this block (and tasks and threads started in it) the settings' networks."""
    token = _allowed.set(_from_text(settings.allowed_networks))
    try:
        yield
    finally:
        _allowed.reset(token)


def kind_of(address: str) -> str | None:
    """Why this address must not be probed (its kind), or None when it may be."""
    return _kind(address, allowed_networks())


@lru_cache(maxsize=4096)  # asked before every connection; a round reuses few addresses
def _kind(address: str, allowed: tuple[Network, ...]) -> str | None:
    try:
        ip: Address = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return "invalid"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in net for net in allowed if net.version == ip.version):
        return None
    for kind, networks in _KIND_NETWORKS:
        if any(ip in net for net in networks if net.version == ip.version):
            return kind
    if ip.is_multicast:
        return "multicast"
    if not ip.is_global or ip.is_reserved:
        return "special"
    return None


def check(address: str) -> None:
    kind = kind_of(address)
    if kind is not None:
        raise AddressRefused(address, kind)


async def open_connection(address: str, port: int, **kwargs: Any
                          ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    check(address)
    return await asyncio.open_connection(address, port, **kwargs)


CLOSE_SECONDS = 1.0  # a peer that has not finished closing by then is cut off


async def close_connection(writer: asyncio.StreamWriter) -> None:
    """Close a connection and wait until it is gone, so that the politeness slot held for
    it is given back only then. A TLS connection's close waits for the server's
    close_notify; a server that does not send it within ``CLOSE_SECONDS`` (or a test that
    is stopped meanwhile) has the connection cut off at once."""
    writer.close()
    try:
        async with asyncio.timeout(CLOSE_SECONDS):
            await writer.wait_closed()
    except (OSError, TimeoutError):
        writer.transport.abort()
    except BaseException:
        writer.transport.abort()
        raise


async def connect_socket(address: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection for a probe that the event loop drives (a non-blocking socket).
    A failure reads as the socket module's own (``[Errno 111] Connection refused``),
    not asyncio's, so the evidence does not depend on how the probe waited."""
    check(address)  # an address, not a name: no lookup needed for its family
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        async with asyncio.timeout(timeout):
            await asyncio.get_running_loop().sock_connect(sock, (address, port))
    except OSError as exc:
        sock.close()
        if exc.errno is None or isinstance(exc, TimeoutError):
            raise
        raise OSError(exc.errno, os.strerror(exc.errno)) from None
    except BaseException:
        sock.close()
        raise
    return sock


async def udp_with_fallback(query: dns.message.Message, address: str, timeout: float
                            ) -> tuple[dns.message.Message, bool]:
    """A DNS question straight to a name server that is a target (discovery), over UDP and
    TCP when the answer is truncated."""
    check(address)
    return await dns.asyncquery.udp_with_fallback(query, address, timeout=timeout)


def refused(addresses: list[str]) -> dict[str, str]:
    """The addresses among these that are not probed, with their kind."""
    return {a: k for a in addresses if (k := kind_of(a)) is not None}
