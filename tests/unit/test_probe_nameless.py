"""Handshakes whose ClientHello carries no server name (probe/tls.py ``run_nameless``,
probe/scan_sharing.py ``NamelessKey``).

The first tests read the ClientHellos nassl really sends, off a socket on loopback: the
SSLv2 and SSLv3 hellos do not carry the name the probe was given, the TLS hellos do. That
is the proof that a server cannot answer those two differently per name, on which sharing
them between the names on one address rests. The rest test what is kept and for how long;
the scans with sharing on against a real server are in tests/lab/test_tls_nameless.py.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from meting.probe import guard
from meting.probe.scan_sharing import NamelessHandshake, NamelessKey, SharedScans
from meting.probe.tls_conn import Offer, Result, Target, handshake
from meting.settings import Settings
from tests.unit.test_scan_sharing import Clock

NAME = "www.naam-in-de-hello.nl"
KEY = NamelessKey("192.0.2.80", 443, None, "SSLv3")


def client_hello(offer: Offer) -> bytes:
    """The first record (or SSLv2 message) a probe sends to a listening socket."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    received = bytearray()

    def take() -> None:
        peer, _ = listener.accept()
        peer.settimeout(5)
        with peer:
            while True:
                need = 5 + int.from_bytes(received[3:5], "big") if len(received) >= 5 else 5
                if received[:1] == b"\x80":  # SSLv2: a two-byte length, high bit set
                    need = 2 + ((received[0] & 0x7F) << 8 | received[1])
                if len(received) >= need:
                    return
                chunk = peer.recv(4096)
                if not chunk:
                    return
                received.extend(chunk)

    taker = threading.Thread(target=take)
    taker.start()
    target = Target("127.0.0.1", listener.getsockname()[1], NAME, None, 2, 5)
    with guard.allowing(Settings(allowed_networks="127.0.0.1/32")):
        asyncio.run(handshake(target, offer))
    taker.join(10)
    listener.close()
    assert received, "the probe sent nothing"
    return bytes(received)


@pytest.mark.parametrize("version", ["SSLv3", "SSLv2"])
def test_the_legacy_hellos_carry_no_server_name(version: str) -> None:
    hello = client_hello(Offer(version=version, legacy=True))
    assert NAME.encode() not in hello
    assert hello[:1] == (b"\x80" if version == "SSLv2" else b"\x16")


@pytest.mark.parametrize("offer", [Offer(version="TLSv1.2"), Offer(version="TLSv1.0"),
                                   Offer(version="TLSv1.2", legacy=True)],
                         ids=["tls12", "tls10", "tls12-legacy"])
def test_every_other_hello_carries_it(offer: Offer) -> None:
    assert NAME.encode() in client_hello(offer)


def refused() -> Result:
    return Result(False, "OpenSSLError: wrong version number", connected=True)


def test_a_clean_outcome_is_kept_for_its_address_port_and_dialogue_only() -> None:
    shared = SharedScans(600)
    shared.keep_nameless(KEY, NamelessHandshake(refused(), "2026-12-01T19:00:00+00:00"))
    found = shared.nameless(KEY)
    assert found is not None and found.made_at == "2026-12-01T19:00:00+00:00"
    assert found.result == refused() and found.result is not refused()
    for other in (KEY._replace(address="192.0.2.81"), KEY._replace(port=8443),
                  KEY._replace(starttls="smtp"), KEY._replace(version="SSLv2")):
        assert shared.nameless(other) is None
    assert shared.nameless_hits == 1


def test_a_broken_or_unconnected_handshake_is_not_kept() -> None:
    shared = SharedScans(600)
    shared.keep_nameless(KEY, NamelessHandshake(Result(False, "timeout", broken=True,
                                                       connected=True), "t"))
    shared.keep_nameless(KEY, NamelessHandshake(Result(False, "refused", broken=True), "t"))
    assert shared.nameless(KEY) is None


def test_an_outcome_older_than_max_age_is_asked_again() -> None:
    clock = Clock()
    shared = SharedScans(600, clock=clock)
    shared.keep_nameless(KEY, NamelessHandshake(refused(), "t"))
    clock.now += 600
    assert shared.nameless(KEY) is not None
    clock.now += 1
    assert shared.nameless(KEY) is None


def test_the_outcomes_kept_are_bounded() -> None:
    shared = SharedScans(600, max_entries=2)
    for n in range(3):
        shared.keep_nameless(KEY._replace(address=f"192.0.2.{n}"),
                             NamelessHandshake(refused(), "t"))
    assert shared.nameless(KEY._replace(address="192.0.2.0")) is None
    assert shared.nameless(KEY._replace(address="192.0.2.2")) is not None

