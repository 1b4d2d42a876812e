"""A handshake's outcome read from the server's first flight (``tls_hello``) instead of a
completed handshake: the suite, group and signature hash the server chose for an offer.

The server's choice is made when it answers the ClientHello, so the client's offer (the
same bytes as for a full handshake, from the same nassl client) gets the same answer;
what the client would check after it is checked here too: the version, suite and group
must be ones it offered, and compression none, or the outcome is a refusal as OpenSSL
would make it, and so must the scheme that signs the key exchange. Like testssl.sh, and
unlike sslyze, a suite counts as accepted when the server chooses it, even if the
handshake would fail later (meting's choice; ``docs/measurement.md``). One check of
OpenSSL's is left out on purpose: it refuses finite-field DH primes under 1,024 bits
even at security level 0, so a server offering DHE with such a prime would seem not to
offer DHE at all; here the prime is recorded, and the norm judges it (Logjam-era
primes are insufficient).

The numbers on the wire are named by nassl's own OpenSSL: a ClientHello offering one
suite or group alone, read back, for each of them (``wire_names``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from nassl import _nassl
from nassl.ephemeral_key_info import _OPENSSL_NID_TO_SECG_ANSI_X9_62, OpenSslEcNidEnum
from nassl.ssl_client import OpenSslVerifyEnum, OpenSslVersionEnum, SslClient

from meting.norms import tls as tls_norm
from meting.probe import ffdhe, tls_hello

TLS13_SUITES = ("TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                "TLS_AES_128_GCM_SHA256", "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256")
GROUP_NIDS: dict[str, OpenSslEcNidEnum] = {name: nid for nid, name
                                           in _OPENSSL_NID_TO_SECG_ANSI_X9_62.items()}
WIRE_VERSIONS = {"TLSv1.0": 0x0301, "TLSv1.1": 0x0302, "TLSv1.2": 0x0303, "TLSv1.3": 0x0304}
# The hash of a TLS 1.2 signature scheme (RFC 5246 §7.4.1.4.1, RFC 8446 §4.2.3): the
# first byte for the older schemes, the named ones for RSA-PSS; EdDSA has none.
HASH_BYTES = {1: "MD5", 2: "SHA1", 3: "SHA224", 4: "SHA256", 5: "SHA384", 6: "SHA512"}
NAMED_SCHEME_HASHES = {0x0804: "SHA256", 0x0805: "SHA384", 0x0806: "SHA512",
                       0x0809: "SHA256", 0x080A: "SHA384", 0x080B: "SHA512"}


@dataclass(frozen=True)
class WireNames:
    suites: dict[int, str]  # number -> OpenSSL name
    groups: dict[int, str]  # number -> nassl's group name

    def kex_of(self, suite: int) -> str | None:
        return key_exchange_kind(self.suites.get(suite))


@dataclass
class Outcome:
    ok: bool
    error: str | None = None
    cipher: str | None = None
    kex: dict[str, Any] | None = None
    sig_hash: str | None = None


class _HelloWritten(Exception):
    pass


class _Capture:
    """A socket for a client that only writes its ClientHello."""

    def __init__(self) -> None:
        self.sent = bytearray()

    def send(self, data: bytes) -> int:
        self.sent += data
        return len(data)

    def recv(self, size: int) -> bytes:
        raise _HelloWritten

    def close(self) -> None:
        pass


def _offer_of(client: SslClient) -> tls_hello.ClientOffer:
    """What the client's hello offers; nothing when it will not write one (a suite it
    cannot offer alone)."""
    capture = _Capture()
    client.set_underlying_socket(capture)  # type: ignore[arg-type]
    try:
        client.do_handshake()
    except _HelloWritten:
        return tls_hello.client_offer(bytes(capture.sent))
    except _nassl.OpenSSLError:
        pass
    return tls_hello.ClientOffer((), ())


@functools.cache
def wire_names() -> WireNames:
    """The number of every suite and group nassl's modern OpenSSL can offer, from a
    ClientHello offering it alone (about 200 hellos, once per process). Suites it never
    puts in a hello (PSK and SRP without their callbacks) get none."""
    suites: dict[int, str] = {}
    for name in _names():
        client = _client(OpenSslVersionEnum.TLSV1_2)
        client.set_cipher_list(name + ":@SECLEVEL=0")
        suites |= _only(_offer_of(client).suites, name)
    for name in TLS13_SUITES:
        client = _client(OpenSslVersionEnum.TLSV1_3)
        client.set_ciphersuites(name)
        suites |= _only(_offer_of(client).suites, name)
    groups: dict[int, str] = {}
    for group, nid in GROUP_NIDS.items():
        client = _client(OpenSslVersionEnum.TLSV1_2)
        client.set_groups([nid])
        groups |= _only(_offer_of(client).groups, group)
    return WireNames(suites=suites, groups=groups)


def _client(version: OpenSslVersionEnum) -> SslClient:
    return SslClient(ssl_version=version, ssl_verify=OpenSslVerifyEnum.NONE)


def _names() -> list[str]:
    client = _client(OpenSslVersionEnum.TLSV1_2)
    client.set_cipher_list("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    return [n for n in client.get_cipher_list() if not n.startswith("TLS_")]


def _only(numbers: tuple[int, ...], name: str) -> dict[int, str]:
    return {numbers[0]: name} if len(numbers) == 1 else {}


@functools.cache
def key_exchange_kind(suite: str | None) -> str | None:
    """"ECDHE" or "DHE" for suites whose ServerKeyExchange carries a curve or a prime
    (signed or anonymous), else None."""
    if suite is None or suite.startswith("TLS_"):
        return None
    kex = tls_norm.suite(suite).kex
    if kex == "ANON":
        return "ECDHE" if suite.upper().startswith("AECDH") else "DHE"
    return kex if kex in ("ECDHE", "DHE") else None


def outcome(version: str, sent: tls_hello.ClientOffer, flight: tls_hello.ServerFlight,
            names: WireNames) -> Outcome:
    """What the handshake would have given, or the refusal OpenSSL would have made."""
    hello = flight.hello
    if hello.version != WIRE_VERSIONS[version]:
        return Outcome(False, f"the server chose version {hello.version:#06x}, not offered")
    if hello.cipher not in sent.suites or hello.cipher not in names.suites:
        return Outcome(False, f"the server chose suite {hello.cipher:#06x}, not offered")
    if hello.compression != 0:
        return Outcome(False, "the server chose compression, not offered")
    cipher = names.suites[hello.cipher]
    exchange = flight.key_exchange
    group = hello.group if version == "TLSv1.3" else exchange.group if exchange else None
    if group is not None and (group not in sent.groups or group not in names.groups):
        return Outcome(False, f"the server chose group {group:#06x}, not offered")
    kex: dict[str, Any] | None = None
    if group is not None:
        kex = {"type": "ECDH", "group": names.groups[group]}
    elif exchange is not None and exchange.prime is not None and exchange.generator is not None:
        kex = {"type": "DH", "group": ffdhe.group_name(exchange.prime, exchange.generator),
               "bits": int.from_bytes(exchange.prime).bit_length()}
    scheme = exchange.signature_scheme if exchange else None
    if scheme is not None and sent.schemes and scheme not in sent.schemes:
        return Outcome(False, f"the server signed with scheme {scheme:#06x}, not offered")
    return Outcome(True, cipher=cipher, kex=kex, sig_hash=_hash_of(scheme))


def _hash_of(scheme: int | None) -> str | None:
    if scheme is None:
        return None
    if scheme in NAMED_SCHEME_HASHES:
        return NAMED_SCHEME_HASHES[scheme]
    if scheme & 0xFF in (1, 2, 3):  # RSA, DSA, ECDSA with the hash in the first byte
        return HASH_BYTES.get(scheme >> 8)
    return None
