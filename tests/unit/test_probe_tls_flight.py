"""A handshake's outcome from the server's first flight (``tls_flight``): the numbers on
the wire named as nassl's OpenSSL names them; on flights a real OpenSSL server sends,
the suite, group and signature hash a completed handshake reports; and the refusals a
client would make of a server's choice it did not offer."""

from __future__ import annotations

import contextlib
import ssl
from pathlib import Path

import pytest
from nassl.ephemeral_key_info import OpenSslEvpPkeyEnum
from nassl.ssl_client import (
    OpenSslDigestNidEnum,
    OpenSslVerifyEnum,
    OpenSslVersionEnum,
    SslClient,
)

from meting.probe import tls_flight
from meting.probe.tls_flight import GROUP_NIDS, TLS13_SUITES, Outcome, outcome, wire_names
from meting.probe.tls_hello import (
    RETRY_RANDOM,
    ClientOffer,
    KeyExchange,
    ServerFlight,
    ServerHello,
    server_flight,
)
from tests.unit.tls_server import server_context

# IANA TLS Cipher Suites and Supported Groups registries
KNOWN_SUITES = {0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384",
                0x1303: "TLS_CHACHA20_POLY1305_SHA256",
                0xC02C: "ECDHE-ECDSA-AES256-GCM-SHA384", 0xC02F: "ECDHE-RSA-AES128-GCM-SHA256",
                0xCCA8: "ECDHE-RSA-CHACHA20-POLY1305", 0x009E: "DHE-RSA-AES128-GCM-SHA256",
                0x009D: "AES256-GCM-SHA384", 0x002F: "AES128-SHA", 0x000A: "DES-CBC3-SHA",
                0x0005: "RC4-SHA", 0xC018: "AECDH-AES128-SHA"}
KNOWN_GROUPS = {23: "secp256r1", 24: "secp384r1", 25: "secp521r1", 29: "X25519", 30: "X448",
                26: "brainpoolP256r1", 1: "sect163k1"}


def test_the_numbers_on_the_wire_are_named_as_the_registries_say() -> None:
    names = wire_names()
    assert {n: names.suites.get(n) for n in KNOWN_SUITES} == KNOWN_SUITES
    assert {n: names.groups.get(n) for n in KNOWN_GROUPS} == KNOWN_GROUPS
    assert set(names.groups.values()) == set(GROUP_NIDS)  # every group can be offered
    assert set(TLS13_SUITES) <= set(names.suites.values())
    assert len(names.suites) == len(set(names.suites.values()))


def handshake_in_memory(folder: Path, version: ssl.TLSVersion, ciphers: str | None = None
                        ) -> tuple[bytes, bytes, tuple[str, str, int]]:
    """A client's hello, the server's first flight, and the suite the completed handshake
    reports: Python's OpenSSL on both sides, through memory."""
    client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_context.check_hostname, client_context.verify_mode = False, ssl.CERT_NONE
    client_context.minimum_version = client_context.maximum_version = version
    if ciphers:
        client_context.set_ciphers(ciphers)
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = client_context.wrap_bio(to_client, to_server)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    server = server_context(folder).wrap_bio(incoming, outgoing, server_side=True)
    with pytest.raises(ssl.SSLWantReadError):
        client.do_handshake()
    hello = to_server.read()
    incoming.write(hello)
    with pytest.raises(ssl.SSLWantReadError):
        server.do_handshake()
    flight = outgoing.read()
    to_client.write(flight)
    for _ in range(4):  # the rest of the handshake, to read what the client got
        try:
            client.do_handshake()
            break
        except ssl.SSLWantReadError:
            incoming.write(to_server.read())
            with contextlib.suppress(ssl.SSLWantReadError):
                server.do_handshake()
            to_client.write(outgoing.read())
    cipher = client.cipher()
    assert cipher is not None
    return hello, flight, cipher


@pytest.mark.parametrize(("version", "ciphers", "suite"), [
    (ssl.TLSVersion.TLSv1_2, "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"),
    (ssl.TLSVersion.TLSv1_2, None, None),
    (ssl.TLSVersion.TLSv1_3, None, None),
])
def test_a_real_flight_gives_what_the_completed_handshake_reports(
        tmp_path: Path, version: ssl.TLSVersion, ciphers: str | None, suite: str | None) -> None:
    hello, flight_bytes, (cipher, _, _) = handshake_in_memory(tmp_path, version, ciphers)
    sent = tls_flight.tls_hello.client_offer(hello)
    names = wire_names()
    flight = server_flight(flight_bytes, names.kex_of)
    assert flight is not None
    wire = "TLSv1.3" if version == ssl.TLSVersion.TLSv1_3 else "TLSv1.2"
    found = outcome(wire, sent, flight, names)
    assert found.ok and found.cipher == cipher and (suite is None or cipher == suite)
    assert found.kex is not None and found.kex["group"] == "X25519"
    if wire == "TLSv1.2":  # signed with the server's P-256 key, by its default hash
        assert flight.key_exchange is not None and found.sig_hash == "SHA256"
    for cut in range(len(flight_bytes)):  # nothing is taken from a flight still arriving
        part = server_flight(flight_bytes[:cut], names.kex_of)
        assert part is None or part == flight


def offer(suites: tuple[int, ...] = (0xC02C,), groups: tuple[int, ...] = (29, 23),
          schemes: tuple[int, ...] = ()) -> ClientOffer:
    return ClientOffer(suites, groups, schemes)


def flight(version: int = 0x0303, cipher: int = 0xC02C, compression: int = 0,
           group: int | None = 29, scheme: int | None = 0x0403) -> ServerFlight:
    return ServerFlight(ServerHello(version, cipher, compression),
                        KeyExchange(group=group, signature_scheme=scheme))


@pytest.mark.parametrize(("found", "error"), [
    (outcome("TLSv1.2", offer(), flight(version=0x0302), wire_names()),
     "the server chose version 0x0302, not offered"),
    (outcome("TLSv1.2", offer(), flight(cipher=0xC02B), wire_names()),
     "the server chose suite 0xc02b, not offered"),
    (outcome("TLSv1.2", offer(), flight(group=24), wire_names()),
     "the server chose group 0x0018, not offered"),
    (outcome("TLSv1.2", offer(), flight(compression=1), wire_names()),
     "the server chose compression, not offered"),
    (outcome("TLSv1.2", offer(schemes=(0x0403, 0x0804)), flight(scheme=0x0201), wire_names()),
     "the server signed with scheme 0x0201, not offered"),
])
def test_a_choice_the_client_did_not_offer_is_a_refusal(found: Outcome, error: str) -> None:
    assert (found.ok, found.error, found.cipher) == (False, error, None)


@pytest.mark.parametrize(("scheme", "hash_name"), [
    (0x0201, "SHA1"), (0x0303, "SHA224"), (0x0403, "SHA256"), (0x0601, "SHA512"),
    (0x0804, "SHA256"), (0x080B, "SHA512"), (0x0807, None), (None, None)])
def test_the_hash_of_a_signature_scheme(scheme: int | None, hash_name: str | None) -> None:
    found = outcome("TLSv1.2", offer(), flight(scheme=scheme), wire_names())
    assert found.ok and found.sig_hash == hash_name
    assert found.kex == {"type": "ECDH", "group": "X25519"}


def test_a_retry_request_names_the_group_the_server_wants() -> None:
    body = (b"\x03\x03" + RETRY_RANDOM + b"\x00" + (0x1302).to_bytes(2) + b"\x00"
            + (12).to_bytes(2) + b"\x00\x2b\x00\x02\x03\x04" + b"\x00\x33\x00\x02\x00\x17")
    message = b"\x02" + len(body).to_bytes(3) + body
    data = bytes([22, 3, 3]) + len(message).to_bytes(2) + message
    found = server_flight(data, wire_names().kex_of)
    assert found is not None and found.hello.retry and found.hello.group == 23
    result = outcome("TLSv1.3", offer(suites=(0x1302,)), found, wire_names())
    assert (result.ok, result.cipher, result.kex) == (
        True, "TLS_AES_256_GCM_SHA384", {"type": "ECDH", "group": "secp256r1"})


def test_the_offer_is_read_from_the_hello_a_nassl_client_writes() -> None:
    client = SslClient(ssl_version=OpenSslVersionEnum.TLSV1_2, ssl_verify=OpenSslVerifyEnum.NONE)
    client.set_cipher_list("AES128-SHA:ECDHE-ECDSA-AES256-GCM-SHA384")
    client.set_groups([GROUP_NIDS["secp384r1"], GROUP_NIDS["X25519"]])
    client.set_signature_algorithms([(OpenSslDigestNidEnum.SHA256, OpenSslEvpPkeyEnum.EC),
                                     (OpenSslDigestNidEnum.SHA1, OpenSslEvpPkeyEnum.RSA)])
    assert tls_flight._offer_of(client) == ClientOffer((0x002F, 0xC02C), (24, 29),
                                                       (0x0403, 0x0201))
