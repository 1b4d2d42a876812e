"""One TLS handshake with nassl, driven from the event loop: what was offered, what came back.

nassl's clients block on a socket; here they get one that never blocks
(``NasslSocket``): when nassl needs bytes, the loop reads them and calls nassl again.
A thread per handshake cost about as much CPU as the handshake itself (the hand-over,
and nassl never releases the GIL, so threads give no parallelism). Every read and
write has a timeout, the whole exchange a deadline, and what is read is bounded, so a
server that trickles or floods cannot hold a test. SMTP targets get a fresh SMTP
session (greeting, EHLO, STARTTLS) before every handshake.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from nassl import _nassl
from nassl.ephemeral_key_info import (
    DhEphemeralKeyInfo,
    EcDhEphemeralKeyInfo,
    OpenSslEvpPkeyEnum,
)
from nassl.legacy_ssl_client import LegacySslClient
from nassl.ssl_client import (
    BaseSslClient,
    ClientCertificateRequested,
    ExtendedMasterSecretSupportEnum,
    OpenSslDigestNidEnum,
    OpenSslVerifyEnum,
    OpenSslVersionEnum,
    SslClient,
)

from meting.probe import ffdhe, guard, tls_flight, tls_hello
from meting.probe.tls_flight import GROUP_NIDS

MAX_READ = 256 * 1024  # bytes read from one connection at most
SMTP_LINE_MAX = 4096
EHLO_NAME = "meting.invalid"

VERSION_ENUM = {"SSLv2": OpenSslVersionEnum.SSLV2, "SSLv3": OpenSslVersionEnum.SSLV3,
                "TLSv1.0": OpenSslVersionEnum.TLSV1, "TLSv1.1": OpenSslVersionEnum.TLSV1_1,
                "TLSv1.2": OpenSslVersionEnum.TLSV1_2, "TLSv1.3": OpenSslVersionEnum.TLSV1_3,
                "any": OpenSslVersionEnum.SSLV23}
HASH_NAMES = {OpenSslDigestNidEnum.MD5: "MD5", OpenSslDigestNidEnum.SHA1: "SHA1",
              OpenSslDigestNidEnum.SHA224: "SHA224", OpenSslDigestNidEnum.SHA256: "SHA256",
              OpenSslDigestNidEnum.SHA384: "SHA384", OpenSslDigestNidEnum.SHA512: "SHA512"}
T = TypeVar("T")
NASSL_READ = BaseSslClient._DEFAULT_BUFFER_SIZE  # what nassl asks of its socket at a time
PEER_CLOSED = "Connection was shut down by peer"  # nassl's text for SSL_ERROR_ZERO_RETURN


class ProbeError(Exception):
    """The server broke the exchange (not a TLS refusal): garbage, silence, a bad SMTP reply."""


@dataclass(frozen=True)
class Target:
    address: str
    port: int
    server_name: str
    starttls: str | None  # "smtp" or None
    timeout: float  # per socket step
    deadline: float  # per connection, seconds


@dataclass
class Offer:
    """What the client offers in one handshake."""

    version: str = "any"  # a key of VERSION_ENUM
    ciphers: str | None = None  # OpenSSL list for TLS <= 1.2
    suites: str | None = None  # TLS 1.3 suites
    groups: list[str] | None = None
    sigalgs: list[tuple[OpenSslDigestNidEnum, OpenSslEvpPkeyEnum]] | None = None
    legacy: bool = False  # nassl's legacy OpenSSL (SSLv2/3, compression, renegotiation)
    ocsp: bool = False
    # Read the certificate chain the server sends: only where it is kept (the first
    # accepted version); every other handshake would fetch and convert it for nothing.
    certificate: bool = False
    after: Callable[[Connection, Target], Awaitable[dict[str, Any]]] | None = None
    session: Any = None  # an SSL_SESSION to resume (0-RTT)
    early_data: bytes | None = None
    # Stop at the server's hello and key exchange (``tls_flight``): for offers that only
    # ask what the server chooses; with the legacy client, its compression method
    hello_only: bool = False


@dataclass
class Result:
    """What one connection gave: a completed handshake, a refusal, or a broken exchange."""

    ok: bool
    error: str | None = None
    broken: bool = False  # garbage, silence or an SMTP failure, not a TLS refusal
    connected: bool = False
    version: str | None = None
    cipher: str | None = None
    kex: dict[str, Any] | None = None
    chain: list[str] = field(default_factory=list)
    ocsp: str | None = None
    sig_hash: str | None = None
    ems: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    smtp: dict[str, Any] = field(default_factory=dict)


class Channel:
    """One probe connection on the event loop: every read and write within the step
    timeout and the connection's deadline, and no more than ``MAX_READ`` bytes read, so a
    server that trickles or floods cannot hold a test."""

    def __init__(self, sock: socket.socket, target: Target, bound: int = MAX_READ) -> None:
        self.sock = sock
        self.step = target.timeout
        self.ends = time.monotonic() + target.deadline
        self.bound = bound
        self.left = bound
        self._watched: asyncio.AbstractEventLoop | None = None  # the loop watching it
        self._waiter: asyncio.Future[None] | None = None

    def renew(self, seconds: float) -> None:
        """A new deadline, ``seconds`` from now, which is also the step timeout."""
        self.step = seconds
        self.ends = time.monotonic() + seconds

    def _limit(self) -> float:
        remaining = self.ends - time.monotonic()
        if remaining <= 0:
            raise ProbeError("the exchange took longer than its deadline")
        return min(self.step, remaining)

    def _count(self, data: bytes) -> bytes:
        self.left -= len(data)
        if self.left <= 0:
            raise ProbeError(f"the server sent more than {self.bound} bytes")
        return data

    async def recv(self, size: int) -> bytes:
        limit = self._limit()
        loop = asyncio.get_running_loop()
        until = loop.time() + limit
        while True:
            try:
                data = self.sock.recv(min(size, self.left))
            except (BlockingIOError, InterruptedError):
                await self._readable(loop, until)
            else:
                return self._count(data)

    async def _readable(self, loop: asyncio.AbstractEventLoop, until: float) -> None:
        """Wait until the socket may be read, at most until ``until`` (the loop's time).
        The socket stays watched from one wait to the next (``_on_readable``), instead of
        being registered with the loop and removed again for every read, as asyncio's
        ``sock_recv`` does: that cost a quarter of a read's CPU."""
        if self._watched is None:
            loop.add_reader(self.sock.fileno(), self._on_readable)
            self._watched = loop
        waiter = self._waiter = loop.create_future()
        timer = loop.call_at(until, self._expire, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None

    def _on_readable(self) -> None:
        waiter = self._waiter
        if waiter is None:  # nobody reads now: stop watching, or the loop calls again
            self.unwatch()
        elif not waiter.done():
            waiter.set_result(None)
        # else woken, and its task (which reads) runs before this is called again

    def _expire(self, waiter: asyncio.Future[None]) -> None:
        if not waiter.done():
            waiter.set_exception(ProbeError(f"no answer within {self.step:g} s"))

    def unwatch(self) -> None:
        """The event loop no longer watches the socket (before it is closed or used
        blocking)."""
        if self._watched is not None:
            self._watched.remove_reader(self.sock.fileno())
            self._watched = None

    def close(self) -> None:
        self.unwatch()
        self.sock.close()

    async def send(self, data: bytes) -> None:
        limit = self._limit()
        try:  # a handshake message fits the socket's buffer: no timer for what is sent at once
            sent = self.sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        if sent < len(data):
            async with asyncio.timeout(limit):  # a TimeoutError is a timeout, not broken
                await asyncio.get_running_loop().sock_sendall(self.sock, data[sent:])

    # Blocking use, in a thread, for the one nassl step that cannot be resumed (SSLv2).
    def recv_blocking(self, size: int) -> bytes:
        self.sock.settimeout(self._limit())
        try:
            data = self.sock.recv(min(size, self.left))
        except TimeoutError as exc:
            raise ProbeError(f"no answer within {self.step:g} s") from exc
        return self._count(data)

    def send_blocking(self, data: bytes) -> None:
        self.sock.settimeout(self._limit())
        self.sock.sendall(data)


class NeedData(Exception):
    """nassl asked its socket for bytes the network has not given yet."""


class NasslSocket:
    """What a nassl client takes for its socket, so that its handshake runs on the event
    loop instead of blocking a thread (``Connection.step``): what nassl sends is kept until
    its step returns, and a receive gives the bytes read for it or raises ``NeedData``;
    nassl keeps its state in its network BIO, so the step can simply be called again.
    ``blocking``: straight to the connection, for a step run in a thread."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.outgoing = bytearray()
        self.incoming: bytes | None = None  # b"": the server closed
        self.blocking = False

    def send(self, data: bytes) -> int:
        if self.blocking:
            self.channel.send_blocking(data)
        else:
            self.outgoing += data
        return len(data)

    def recv(self, size: int) -> bytes:
        if self.blocking:
            return self.channel.recv_blocking(size)
        if self.incoming is None:
            raise NeedData
        data, rest = self.incoming[:size], self.incoming[size:]
        self.incoming = rest or None
        return data

    def close(self) -> None:  # the connection is closed by ``handshake``
        pass


class Connection:
    """A nassl client on a channel, each of its steps driven from the event loop."""

    def __init__(self, client: BaseSslClient, channel: Channel) -> None:
        self.client = client
        self.channel = channel
        self.socket = NasslSocket(channel)
        client.set_underlying_socket(self.socket)  # type: ignore[arg-type]

    async def step(self, action: Callable[[], T], again: Callable[[], T] | None = None) -> T:
        """Run a blocking nassl call; when it needs bytes from the network, send what it
        wrote, read once and call it (or ``again``: for a call that must not be repeated
        from its start) anew. Identical bytes on the wire, in the same order, as the
        blocking call on a socket."""
        while True:
            try:
                value = action()
            except NeedData:
                await self._send_written()
                self.socket.incoming = await self.channel.recv(NASSL_READ)
                action = again or action
                continue
            except BaseException:
                await self._send_written()
                raise
            await self._send_written()
            return value

    async def _send_written(self) -> None:
        if self.socket.outgoing:
            data = bytes(self.socket.outgoing)
            self.socket.outgoing.clear()
            await self.channel.send(data)

    async def in_thread(self, action: Callable[[], T]) -> T:
        """A nassl call that keeps state of its own between reads (the SSLv2 handshake,
        which splits its client master key message around a read): blocking, in a thread."""
        self.socket.blocking = True
        self.channel.unwatch()
        try:
            return await asyncio.to_thread(action)
        finally:
            self.socket.blocking = False
            self.channel.sock.setblocking(False)

    async def handshake(self, version: str) -> None:
        if version == "SSLv2":
            await self.in_thread(self.client.do_handshake)
        else:
            await self.step(self.client.do_handshake)

    async def send_hello(self) -> bytes:
        """Have the client write its ClientHello, send it, and return it."""
        with contextlib.suppress(NeedData):
            self.client.do_handshake()
        sent = bytes(self.socket.outgoing)
        await self._send_written()
        return sent

    async def server_hello(self) -> tls_hello.ServerHello:
        """Send the client's hello and read until the server's hello is complete; the
        handshake goes no further."""
        await self.send_hello()
        return await self._read_until(tls_hello.server_hello)

    async def server_flight(self, names: tls_flight.WireNames
                            ) -> tuple[tls_hello.ClientOffer, tls_hello.ServerFlight]:
        """Send the client's hello and read the server's hello and key exchange; the
        handshake goes no further."""
        offer = tls_hello.client_offer(await self.send_hello())
        return offer, await self._read_until(
            lambda received: tls_hello.server_flight(received, names.kex_of))

    async def _read_until(self, parse: Callable[[bytes], T | None]) -> T:
        """Read until ``parse`` finds what it looks for in all that was received."""
        received = b""
        while (found := parse(received)) is None:
            chunk = await self.channel.recv(NASSL_READ)
            if not chunk:
                raise ConnectionResetError("the server closed the connection during its hello")
            received += chunk
        return found

    async def write(self, data: bytes) -> None:
        await self.step(lambda: self.client.write(data))

    async def read(self, size: int) -> bytes:
        return await self.step(lambda: self.client.read(size))

    async def receive(self, size: int) -> bytes:
        """Up to ``size`` bytes of application data; b"" at the server's end (its
        close_notify, or the connection's end). Unlike nassl's ``read``, which reads the
        network before it asks OpenSSL, data OpenSSL already holds is returned first."""
        ssl_object = self.client._ssl
        while True:
            try:
                data: bytes = ssl_object.read(size)
                return data
            except _nassl.WantReadError:
                pass
            except _nassl.SslError as exc:
                if str(exc) == PEER_CLOSED:
                    return b""
                raise
            self.client._flush_ssl_engine()  # what reading wrote (a key update's answer)
            await self._send_written()
            data = await self.channel.recv(NASSL_READ)
            if not data:
                return b""
            self.client._network_bio.write(data)

    async def close_notify(self) -> None:
        """Tell the server the client is done (TLS close_notify); never raises."""
        with contextlib.suppress(_nassl.OpenSSLError, _nassl.WantReadError, OSError):
            self.client._ssl.shutdown()
            self.client._flush_ssl_engine()
            await self._send_written()


async def connect(target: Target) -> socket.socket:
    return await guard.connect_socket(target.address, target.port, target.timeout)


async def smtp_reply(sock: Channel) -> tuple[int, list[str]]:
    """One (multi-line) SMTP reply: its code and its lines."""
    buffer, lines = b"", []
    while True:
        text, buffer = await smtp_line(sock, buffer)
        lines.append(text)
        if not (len(text) >= 4 and text[3] == "-"):
            break
    if not text[:3].isdigit():
        raise ProbeError(f"not an SMTP reply: {text[:80]!r}")
    return int(text[:3]), lines


async def smtp_line(sock: Channel, buffer: bytes) -> tuple[str, bytes]:
    """The next line of a reply, and what was read past it."""
    while b"\n" not in buffer:
        chunk = await sock.recv(SMTP_LINE_MAX)
        if not chunk:
            raise ProbeError("the SMTP server closed the connection")
        buffer += chunk
    line, _, rest = buffer.partition(b"\n")
    return line.decode("utf-8", "replace").rstrip("\r"), rest


async def smtp_starttls(sock: Channel) -> dict[str, Any]:
    """Greeting, EHLO and STARTTLS; ``offered`` False when EHLO does not list it."""
    code, banner = await smtp_reply(sock)
    if code != 220:
        raise ProbeError(f"SMTP greeting {code}: {' '.join(banner)[:120]}")
    await sock.send(f"EHLO {EHLO_NAME}\r\n".encode())
    code, ehlo = await smtp_reply(sock)
    if code != 250:
        raise ProbeError(f"EHLO refused with {code}")
    offered = any(line[4:].strip().upper() == "STARTTLS" for line in ehlo)
    info: dict[str, Any] = {"banner": banner[0][:200], "offered": offered}
    if offered:
        await sock.send(b"STARTTLS\r\n")
        code, reply = await smtp_reply(sock)
        if code != 220:
            raise ProbeError(f"STARTTLS answered with {code}: {' '.join(reply)[:120]}")
    else:
        with contextlib.suppress(OSError, ProbeError):
            await sock.send(b"QUIT\r\n")
    return info


@functools.cache
def shared_context(module: Any, version: OpenSslVersionEnum) -> Any:
    """One OpenSSL client context per nassl build and protocol version for the process.
    Everything a probe sets is set on the connection (``SSL``), never on the context;
    the context holds only the version, no verification and nassl's client-certificate
    callback, and a client keeps no sessions in it (OpenSSL caches sessions on the server
    side only unless told otherwise), so handshakes cannot see each other through it."""
    context = module.SSL_CTX(version.value)
    context.set_verify(OpenSslVerifyEnum.NONE.value)
    return context


class SharedContext:
    """nassl makes a new ``SSL_CTX`` for every client (``_init_base_objects``, pinned
    nassl 5.4.0), which cost about 70 µs, a tenth of a handshake's client CPU;
    these clients take the process's one context for their version (``context``)
    instead."""

    _NASSL_MODULE: Any

    def context(self, ssl_version: OpenSslVersionEnum) -> Any:
        return shared_context(self._NASSL_MODULE, ssl_version)

    def _init_base_objects(self, ssl_version: OpenSslVersionEnum,
                           underlying_socket: socket.socket | None) -> None:
        self._is_handshake_completed = False
        self._ssl_version = ssl_version
        self._ssl_ctx = self.context(ssl_version)
        self._sock = underlying_socket


class ProbeClient(SharedContext, SslClient):
    pass


class LegacyProbeClient(SharedContext, LegacySslClient):
    pass


def make_client(offer: Offer, target: Target) -> BaseSslClient:
    version = VERSION_ENUM[offer.version]
    client: BaseSslClient
    if offer.legacy:
        client = LegacyProbeClient(ssl_version=version, ssl_verify=OpenSslVerifyEnum.NONE)
        if target.server_name and offer.version != "SSLv2":
            client.set_tlsext_host_name(target.server_name)
    else:
        client = ProbeClient(ssl_version=version, ssl_verify=OpenSslVerifyEnum.NONE,
                             server_name_indication=target.server_name or None)
    if offer.ciphers is not None and offer.version != "TLSv1.3":
        client.set_cipher_list(offer.ciphers)
    if isinstance(client, SslClient):
        if offer.suites is not None and offer.version in ("any", "TLSv1.3"):
            client.set_ciphersuites(offer.suites)
        if offer.groups:
            client.set_groups([GROUP_NIDS[g] for g in offer.groups])
        if offer.sigalgs:
            client.set_signature_algorithms(offer.sigalgs)
        if offer.session is not None:
            client.set_session(offer.session)
    if offer.ocsp:
        client.set_tlsext_status_ocsp()
    return client


async def handshake(target: Target, offer: Offer) -> Result:
    """Connect (and STARTTLS), then one handshake as ``offer`` says; never raises."""
    try:
        raw = await connect(target)
    except OSError as exc:
        return Result(False, describe(exc), broken=True)
    channel = Channel(raw, target)
    result = Result(False, connected=True)
    try:
        if target.starttls == "smtp":
            result.smtp = await smtp_starttls(channel)
            if not result.smtp["offered"]:
                result.error = "STARTTLS not offered"
                return result
        connection = Connection(make_client(offer, target), channel)
        if offer.hello_only and offer.legacy:
            hello = await connection.server_hello()
            result.ok, result.extra = True, {"compression": hello.compression != 0}
            return result
        if offer.hello_only:
            names = tls_flight.wire_names()
            sent, flight = await connection.server_flight(names)
            found = tls_flight.outcome(offer.version, sent, flight, names)
            result.ok, result.error, result.cipher = found.ok, found.error, found.cipher
            result.kex, result.sig_hash = found.kex, found.sig_hash
            return result
        client = connection.client
        if offer.early_data is not None and isinstance(client, SslClient):
            data = offer.early_data
            await connection.step(lambda: client.write_early_data(data))
        await connection.handshake(offer.version)
        read_handshake(client, result, offer.certificate)
        if offer.after is not None:
            result.extra = await offer.after(connection, target)
    except (ProbeError, tls_hello.NotAHello) as exc:
        result.error, result.broken = str(exc), True
    except tls_hello.HelloRefused as exc:
        result.error = str(exc)
    except (OSError, _nassl.OpenSSLError, ValueError, RuntimeError,
            ClientCertificateRequested) as exc:
        result.error = describe(exc)
    finally:
        with contextlib.suppress(Exception):
            channel.close()
    return result


def read_handshake(client: BaseSslClient, result: Result, certificate: bool) -> None:
    result.ok = True
    result.cipher = client.get_current_cipher_name()
    result.kex = kex_of(client)
    if certificate:
        result.chain = [der_b64(pem) for pem in client.get_received_chain()]
    ocsp = client.get_tlsext_status_ocsp_resp()
    result.ocsp = base64.b64encode(ocsp.as_der_bytes()).decode() if ocsp is not None else None
    if isinstance(client, SslClient):
        with contextlib.suppress(ValueError, _nassl.OpenSSLError):
            result.sig_hash = HASH_NAMES.get(client.get_peer_signature_nid())
        ems = client.get_extended_master_secret_support()
        result.ems = (None if ems == ExtendedMasterSecretSupportEnum.UNKNOWN
                      else ems == ExtendedMasterSecretSupportEnum.USED_IN_CURRENT_SESSION)


def kex_of(client: BaseSslClient) -> dict[str, Any] | None:
    key = client.get_ephemeral_key()
    if isinstance(key, EcDhEphemeralKeyInfo):
        return {"type": "ECDH", "group": key.curve_name, "bits": key.size}
    if isinstance(key, DhEphemeralKeyInfo):  # group: the RFC 7919 name, None for a custom prime
        return {"type": "DH", "group": ffdhe.group_name(key.prime, key.generator),
                "bits": key.size}
    return None


def der_b64(pem: str) -> str:
    return base64.b64encode(ssl.PEM_cert_to_DER_cert(pem)).decode()


def describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]
