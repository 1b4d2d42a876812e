"""Addresses that must not be probed are refused before a socket exists (probe/guard.py).

A real listener on loopback records every connection it accepts: the probes, pointed
at it, must leave it untouched unless a setting allows loopback; with the setting the
same probe does connect, so the listener is shown to count.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from meting.probe import guard, http, reach, tls_conn
from meting.probe.dns import DnsClient
from meting.settings import Settings

SRC = Path(__file__).resolve().parents[2] / "src" / "meting"


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"),
    ("172.20.0.1", "private"), ("192.168.1.1", "private"), ("fd12::1", "private"),
    ("100.64.0.1", "shared"), ("169.254.169.254", "link_local"), ("fe80::1", "link_local"),
    ("224.0.0.251", "multicast"), ("ff02::1", "multicast"), ("0.0.0.0", "unspecified"),
    ("198.18.0.5", "documentation"), ("2001:db8::5", "documentation"),
    ("192.0.2.1", "documentation"), ("240.0.0.1", "special"), ("::ffff:10.0.0.1", "private"),
    ("2001::1", "special"), ("not-an-address", "invalid"),
    ("8.8.8.8", None), ("2a00:1450::1", None), ("145.21.1.1", None),
])
def test_kind_of_addresses(monkeypatch: pytest.MonkeyPatch, address: str,
                           kind: str | None) -> None:
    monkeypatch.delenv("METING_ALLOWED_NETWORKS", raising=False)
    assert guard.kind_of(address) == kind


def test_only_the_allowed_networks_are_let_through() -> None:
    with guard.allowing(Settings(allowed_networks="198.18.0.0/15, 2001:db8::/32")):
        assert guard.kind_of("198.19.1.1") is None and guard.kind_of("2001:db8:1::1") is None
        assert guard.kind_of("127.0.0.1") == "loopback"
        assert guard.kind_of("10.0.0.1") == "private"
    with pytest.raises(ValueError, match=r"'10\.0\.0\.300/8' is not a network"):
        guard.parse_networks("10.0.0.300/8")


class Listener:
    """A TCP server on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.sock.settimeout(0.2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.sock.close()


@pytest.fixture
def listener(monkeypatch: pytest.MonkeyPatch) -> Iterator[Listener]:
    monkeypatch.delenv("METING_ALLOWED_NETWORKS", raising=False)
    found = Listener()
    yield found
    found.close()


def test_no_probe_connects_to_loopback(listener: Listener) -> None:
    async def probes() -> None:
        r = await reach.connect("127.0.0.1", listener.port, timeout=2)
        assert not r.ok and r.error == "not connected: 127.0.0.1 is a loopback address"
        banner = await reach.smtp_banner("127.0.0.1", port=listener.port, timeout=2,
                                         connect_timeout=2)
        assert not banner.ok and "loopback" in (banner.error or "")
        page = await http.fetch("127.0.0.1", "intern.example", tls=False, port=listener.port,
                                timeout=2)
        assert page.status == 0 and "loopback" in (page.error or "")

        with pytest.raises(guard.AddressRefused):
            await tls_conn.connect(tls_conn.Target("127.0.0.1", listener.port,
                                                   "intern.example", None, 2.0, 5.0))
        scan = await tls_conn.handshake(tls_conn.Target("127.0.0.1", listener.port,
                                                        "intern.example", None, 2.0, 5.0),
                                        tls_conn.Offer())
        assert not scan.ok and scan.broken and "loopback" in (scan.error or "")

    asyncio.run(probes())
    assert listener.accepted == 0


def test_no_direct_dns_question_to_a_private_name_server(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    monkeypatch.delenv("METING_ALLOWED_NETWORKS", raising=False)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.3)
    client = DnsClient(Settings(resolver="198.18.0.2", dns_timeout=0.5),
                       port=udp.getsockname()[1])
    answer = asyncio.run(client.query_authoritative("example.nl", "SOA", "127.0.0.1"))
    assert answer.rcode == "" and "loopback" in (answer.error or "")
    with pytest.raises(TimeoutError):
        udp.recvfrom(512)  # nothing was sent
    udp.close()


def test_an_allowed_network_is_connected_to(listener: Listener) -> None:
    async def probe() -> bool:
        with guard.allowing(Settings(allowed_networks="127.0.0.0/8")):
            return (await reach.connect("127.0.0.1", listener.port, timeout=2)).ok

    assert asyncio.run(probe())
    deadline = threading.Event()
    for _ in range(50):
        if listener.accepted:
            break
        deadline.wait(0.05)
    assert listener.accepted == 1


def test_nothing_opens_a_connection_outside_the_guard() -> None:
    opening = re.compile(r"\b(open_connection|create_connection|socket\.socket\(|"
                         r"asyncquery\.(udp|tcp)|\.connect\(\()")
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.name == "guard.py" or "lab" in path.parts:
            continue
        for line in path.read_text().splitlines():
            if opening.search(line) and "guard." not in line:
                offenders.append(f"{path.relative_to(SRC)}: {line.strip()}")
    # the DNS exchange is the one exception: with the configured resolver (not a target),
    # or with a name server that probe/dns.py checked with guard.kind_of before asking
    assert sorted(offenders) == [
        "probe/dns_wire.py: response = await dns.asyncquery.tcp(query, server, "
        "timeout=timeout, port=port)",
        "probe/dns_wire.py: with socket.socket(family, socket.SOCK_DGRAM) as sock:  # the "
        "resolver, or a guarded server"]
