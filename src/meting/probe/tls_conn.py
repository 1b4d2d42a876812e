"""One TLS handshake with nassl, on the event loop: what was offered, what came back.

Every socket step has a timeout, the whole exchange a deadline, and what is read is
bounded, so a server that trickles or floods cannot hold a worker. SMTP targets get
a fresh SMTP session (greeting, EHLO, STARTTLS) before every handshake.

nassl's own ``do_handshake`` reads and writes a blocking socket and never releases
Python's interpreter lock, so a thread per handshake bought no parallelism, only the
cost of handing each handshake to a thread and back (a quarter of its client CPU).
Here the connection, the SMTP dialogue and the handshake run on the event loop: nassl's
OpenSSL object talks to a memory BIO pair, which ``_drive`` feeds from a non-blocking
socket, as nassl 5.4's ``do_handshake`` does from a blocking one (it reads nassl's
``_ssl`` and ``_network_bio``, so nassl stays pinned). Only an ``after`` step (an HTTP
request in the session, a renegotiation) still uses nassl's blocking calls, in a thread.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nassl import _nassl
from nassl._nassl import OpenSSLError, WantReadError, WantX509LookupError
from nassl.ephemeral_key_info import (
    _OPENSSL_NID_TO_SECG_ANSI_X9_62,
    DhEphemeralKeyInfo,
    EcDhEphemeralKeyInfo,
    OpenSslEcNidEnum,
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

from meting.probe import ffdhe, guard

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
GROUP_NIDS: dict[str, OpenSslEcNidEnum] = {name: nid for nid, name
                                           in _OPENSSL_NID_TO_SECG_ANSI_X9_62.items()}


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
    after: Callable[[BaseSslClient, Target], dict[str, Any]] | None = None
    session: Any = None  # an SSL_SESSION to resume (0-RTT)
    early_data: bytes | None = None


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


class Bounds:
    """The limits of one connection: the step timeout, the deadline, the bytes left to read."""

    def __init__(self, target: Target) -> None:
        self.step = target.timeout
        self.ends = time.monotonic() + target.deadline
        self.left = MAX_READ

    def timeout(self) -> float:
        """The time the next socket step may take."""
        remaining = self.ends - time.monotonic()
        if remaining <= 0:
            raise ProbeError("the exchange took longer than its deadline")
        return min(self.step, remaining)

    def silence(self) -> ProbeError:
        return ProbeError(f"no answer within {self.step:g} s")

    def took(self, data: bytes) -> bytes:
        self.left -= len(data)
        if self.left <= 0:
            raise ProbeError(f"the server sent more than {MAX_READ} bytes")
        return data


class BoundedSocket:
    """A blocking socket for nassl's own calls, within the connection's bounds."""

    def __init__(self, sock: socket.socket, bounds: Bounds) -> None:
        self.sock = sock
        self.bounds = bounds

    def recv(self, size: int) -> bytes:
        self.sock.settimeout(self.bounds.timeout())
        try:
            data = self.sock.recv(min(size, self.bounds.left))
        except TimeoutError as exc:
            raise self.bounds.silence() from exc
        return self.bounds.took(data)

    def send(self, data: bytes) -> int:
        self.sock.settimeout(self.bounds.timeout())
        self.sock.sendall(data)
        return len(data)

    def close(self) -> None:
        self.sock.close()


class LoopSocket:
    """A non-blocking socket read and written on the event loop, within the bounds."""

    def __init__(self, sock: socket.socket, target: Target) -> None:
        sock.setblocking(False)
        self.sock = sock
        self.bounds = Bounds(target)
        self.loop = asyncio.get_running_loop()

    async def recv(self, size: int) -> bytes:
        try:
            async with asyncio.timeout(self.bounds.timeout()):
                data = await self.loop.sock_recv(self.sock, min(size, self.bounds.left))
        except TimeoutError as exc:
            raise self.bounds.silence() from exc
        return self.bounds.took(data)

    async def send(self, data: bytes) -> None:
        try:
            async with asyncio.timeout(self.bounds.timeout()):
                await self.loop.sock_sendall(self.sock, data)
        except TimeoutError:
            raise TimeoutError("timed out") from None

    def blocking(self) -> BoundedSocket:
        """The same connection for nassl's blocking calls (in a thread)."""
        self.sock.setblocking(True)
        return BoundedSocket(self.sock, self.bounds)


async def connect(target: Target) -> socket.socket:
    return await guard.connect_socket(target.address, target.port, target.timeout)


async def smtp_reply(sock: LoopSocket) -> tuple[int, list[str]]:
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


async def smtp_line(sock: LoopSocket, buffer: bytes) -> tuple[str, bytes]:
    """The next line of a reply, and what was read past it."""
    while b"\n" not in buffer:
        chunk = await sock.recv(SMTP_LINE_MAX)
        if not chunk:
            raise ProbeError("the SMTP server closed the connection")
        buffer += chunk
    line, _, rest = buffer.partition(b"\n")
    return line.decode("utf-8", "replace").rstrip("\r"), rest


async def smtp_starttls(sock: LoopSocket) -> dict[str, Any]:
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


def make_client(offer: Offer, target: Target) -> BaseSslClient:
    version = VERSION_ENUM[offer.version]
    client: BaseSslClient
    if offer.legacy:
        client = LegacySslClient(ssl_version=version, ssl_verify=OpenSslVerifyEnum.NONE)
        if target.server_name and offer.version != "SSLv2":
            client.set_tlsext_host_name(target.server_name)
    else:
        client = SslClient(ssl_version=version, ssl_verify=OpenSslVerifyEnum.NONE,
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
    result = Result(False, connected=True)
    try:
        sock = LoopSocket(raw, target)
        if target.starttls == "smtp":
            result.smtp = await smtp_starttls(sock)
            if not result.smtp["offered"]:
                result.error = "STARTTLS not offered"
                return result
        client = make_client(offer, target)
        if offer.early_data is not None and isinstance(client, SslClient):
            client._ssl.write_early_data(offer.early_data)
            await _flush(client, sock)
        await _drive(client, sock)
        read_handshake(client, result)
        if offer.after is not None:
            client.set_underlying_socket(sock.blocking())  # type: ignore[arg-type]
            result.extra = await asyncio.to_thread(offer.after, client, target)
    except ProbeError as exc:
        result.error, result.broken = str(exc), True
    except (OSError, _nassl.OpenSSLError, ValueError, RuntimeError,
            ClientCertificateRequested) as exc:
        result.error = describe(exc)
    finally:
        with contextlib.suppress(Exception):
            raw.close()
    return result


async def _drive(client: BaseSslClient, sock: LoopSocket) -> None:
    """nassl's ``do_handshake`` on the event loop (the same steps and errors)."""
    while True:
        try:
            client._ssl.do_handshake()
            client._is_handshake_completed = True
            return
        except WantReadError:
            await _flush(client, sock)
            data = await sock.recv(client._DEFAULT_BUFFER_SIZE)
            if not data:
                raise OSError("Nassl SSL handshake failed: peer did not send data back.") \
                    from None
            client._network_bio.write(data)
        except WantX509LookupError:
            raise ClientCertificateRequested(client.get_client_CA_list()) from None
        except OpenSSLError as exc:
            if "alert bad certificate" in exc.args[0] or \
                    "sslv3 alert certificate unknown" in exc.args[0]:
                raise ClientCertificateRequested(client.get_client_CA_list()) from None
            raise


async def _flush(client: BaseSslClient, sock: LoopSocket) -> None:
    """Send what OpenSSL has written for the server."""
    while pending := client._network_bio.pending():
        await sock.send(client._network_bio.read(pending))


def read_handshake(client: BaseSslClient, result: Result) -> None:
    result.ok = True
    result.cipher = client.get_current_cipher_name()
    result.kex = kex_of(client)
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
