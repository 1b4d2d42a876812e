"""The model of a round over the real internet (``meting.run.model``), on evidence the lab
recorded and on small hand-made evidence whose round trips can be counted by hand."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from meting.probe.tls import SSL_VERSIONS, TLS_VERSIONS, Prober
from meting.probe.tls_conn import Offer, Result, Target
from meting.run import model

ALL_VERSIONS = TLS_VERSIONS + SSL_VERSIONS

RECORDED = Path(__file__).parent / "data" / "lab-evidence.json.gz"


def lab_evidence() -> dict[str, Any]:
    with gzip.open(RECORDED) as f:
        found: dict[str, Any] = json.load(f)
    return found


def dns(name: str, rtype: str, *answers: str) -> dict[str, Any]:
    return {"name": name, "rtype": rtype, "rcode": "NOERROR", "answers": list(answers)}


def scan(handshakes: int, versions: dict[str, bool], starttls: str | None = None,
         **more: Any) -> dict[str, Any]:
    return {"handshakes": handshakes, "versions": versions, "starttls": starttls, **more}


TLS13_ONLY = {"TLSv1.3": True, "TLSv1.2": False, "TLSv1.1": False, "TLSv1.0": False,
              "SSLv3": False, "SSLv2": False}


def test_a_scan_counts_its_handshakes_in_sequence() -> None:
    # six version handshakes (1 accepted at TLS 1.3, 5 refused: 1 RTT each) and two more
    # at TLS 1.3, each after a TCP connect; plus the first session's request
    assert model.scan_cost(scan(8, TLS13_ONLY)) == 8 * 1 + 8 * 1 + 1
    # the same behind STARTTLS: greeting, EHLO and STARTTLS before every handshake
    assert model.scan_cost(scan(8, TLS13_ONLY, "smtp")) == 8 * 4 + 8 + 1
    both = dict(TLS13_ONLY, **{"TLSv1.2": True})
    # TLS 1.2 accepted: its version handshake is completed (two round trips, and the
    # renegotiation tried after it); the later probes stop at the server's hello
    assert model.scan_cost(scan(10, both, client_renegotiation=False)) == (
        10 + (1 + 2 + 4 * 1) + 4 * 1 + 1 + 1)
    old = {"TLSv1.3": False, "TLSv1.2": True, "TLSv1.1": True, "TLSv1.0": True,
           "SSLv3": True, "SSLv2": False}
    # completed: TLS 1.2 (first and best below 1.3) and SSLv3; TLS 1.1 and 1.0 stop at
    # the hello; SSLv2's outcome was shared (not made, not counted); the legacy
    # client's full handshake for want of secure renegotiation adds its second trip
    assert model.scan_cost(scan(8, old, versions_shared={"SSLv2": "2026-12-01T10:00:00Z"},
                                secure_renegotiation=False, client_renegotiation=False)) == (
        8 + (1 + 2 + 1 + 1 + 2) + 3 * 1 + 1 + 1)
    assert model.scan_cost(scan(0, {})) == 0
    assert model.scan_cost({"handshakes": 1, "connect_error": "refused"}) == 2


def test_a_web_test_adds_up_its_steps_and_holds_its_addresses() -> None:
    v4 = "198.51.100.7"
    evidence = {
        "kind": "web", "target": "www.example.nl", "zone": "example.nl",
        "host": {"a": dns("www.example.nl", "A", v4), "aaaa": dns("www.example.nl", "AAAA")},
        "nameservers": [{"name": "ns1.example.nl", "reach6": {}}],
        "ports": {v4: {"80": {"ok": True}, "443": {"ok": True}}},
        "site": {"v4": {"address": v4, "tls": True, "failure": "", "kept": True}},
        "http": {v4: {"https": {"address": v4, "tls": True, "failure": "", "kept": True},
                      "http": {"hops": [{"url": "http://www.example.nl/", "failure": ""},
                                        {"url": "https://www.example.nl/", "failure": ""}]},
                      "security_txt": {"hops": [{"url": "https://www.example.nl/.well-known/"
                                                 "security.txt", "failure": "",
                                                 "status": 404}]}}},
        "tls": {v4: scan(8, TLS13_ONLY)},
        "caa": {"queried": ["www.example.nl", "example.nl"]},
        "missing": None,
    }
    path = model.test_path(evidence)
    # NS www, NS example (2); addresses || name servers (1); connect (1); the http chain
    # http -> https (2 + 3) || in turn: security.txt over TLS 1.3 (3), then the page and
    # / on its kept connection (1 + 1); the TLS scan (17) || CAA (2)
    assert path.round_trips == 2 + 1 + 1 + max(2 + 3, 3 + 1 + 1) + 17
    assert path.servers == frozenset({v4})
    assert path.held[v4] == 2 + (2 + 3) + (3 + 1 + 1) + 17
    # the HTTPS hop from port 80 on the kept connection too: after the others (+1)
    evidence["http"][v4]["http"]["hops"][1]["kept"] = True
    path = model.test_path(evidence)
    assert path.round_trips == 2 + 1 + 1 + (3 + 1 + 1 + 1) + 17
    assert path.held[v4] == 2 + (2 + 1) + (3 + 1 + 1) + 17
    evidence["http"][v4]["http"]["hops"][1]["kept"] = False
    # the same requests each on a connection of its own
    for response in (evidence["site"]["v4"], evidence["http"][v4]["https"]):
        response["kept"] = False
    assert model.test_path(evidence).round_trips == 2 + 1 + 1 + (3 + 3 + 3) + 17
    # security.txt without an answer (a server that accepts TCP and then stays silent):
    # the page and / go at once after it
    evidence["http"][v4]["security_txt"]["hops"][0].update(status=0, failure="tls")
    assert model.test_path(evidence).round_trips == 2 + 1 + 1 + (2 + 3) + 17


def test_a_mail_test_takes_its_mx_hosts_together() -> None:
    def mx(address: str, handshakes: int) -> dict[str, Any]:
        return {"name": f"mx.{address}", "a": dns("mx", "A", address), "aaaa": dns("mx", "AAAA"),
                "smtp6": {}, "starttls": {address: scan(handshakes, TLS13_ONLY, "smtp")},
                "caa": {"queried": ["mx"]}}

    evidence = {"kind": "mail", "target": "example.nl", "zone": "example.nl",
                "mx": [mx("198.51.100.1", 8), mx("198.51.100.2", 7)], "nameservers": [],
                "mail_auth": {"spf_tree": {"records": {"example.nl": ["v=spf1 -all"]}}},
                "missing": None}
    path = model.test_path(evidence)
    # NS (1); MX || TXT then DMARC/DKIM/SPF (2); MX hosts' addresses, TLSA (2); the
    # longer of the two STARTTLS scans (8 x 4 + 8 + 1 = 41)
    assert path.round_trips == 1 + 2 + 2 + 41
    assert path.servers == frozenset({"198.51.100.1", "198.51.100.2"})


def test_the_recorded_lab_round_gives_a_path_for_every_test() -> None:
    evidence = [v["evidence"] for v in lab_evidence().values()]
    paths = [model.test_path(e) for e in evidence]
    assert {p.kind for p in paths if p.round_trips} == {"web", "mail"}
    for e, path in zip(evidence, paths, strict=True):
        scans = list((e.get("tls") or {}).values()) + [
            s for m in e.get("mx") or [] for s in (m.get("starttls") or {}).values()]
        # every handshake of an address is a TCP connect and at least one TLS round trip
        longest = max((s.get("handshakes") or 0 for s in scans), default=0)
        assert path.round_trips >= 2 * longest
        assert all(count > 0 for count in path.held.values())
        assert path.servers <= set(path.held)


def shared_round(tests: int, shared: int, round_trips: int) -> list[model.TestPath]:
    """``tests`` tests of ``round_trips``, all held on their own server, ``shared`` of
    them on one address."""
    return [model.TestPath("web", round_trips, {f"a{n}" if n >= shared else "x": round_trips},
                           frozenset({f"a{n}" if n >= shared else "x"}))
            for n in range(tests)]


def test_concurrency_decides_when_no_address_is_shared() -> None:
    paths = shared_round(1000, 1, 100)
    found = model.predict(paths, 500, 50, concurrency=100, per_address=4)
    # 1000 tests x 100 RTT x 50 ms / 100 at once = 50 s for 500 domains
    assert found.bound == "concurrency"
    assert found.domains_per_minute == pytest.approx(600)


def test_the_most_shared_address_decides_when_it_holds_the_most() -> None:
    paths = shared_round(1000, 400, 100)
    found = model.predict(paths, 500, 50, concurrency=100, per_address=4)
    # 400 tests x 100 RTT held on "x", 4 at once: 10,000 RTT x 50 ms = 500 s
    assert found.bound == "address x"
    assert found.seconds["address x"] == pytest.approx(500)
    assert found.domains_per_minute == pytest.approx(60)
    faster = model.predict(paths, 500, 50, concurrency=100, per_address=8)
    assert faster.domains_per_minute == pytest.approx(120)


def test_measured_cpu_can_decide() -> None:
    paths = shared_round(100, 1, 10)
    found = model.predict(paths, 50, 20, 100, 4, cpu_per_domain=0.5, cores=2)
    assert found.bound == "CPU" and found.seconds["CPU"] == pytest.approx(12.5)


def test_parts_keep_the_limits_as_the_runner_processes_share_them() -> None:
    assert model.parts(200, 4, 2) == (200, 4)
    assert model.parts(200, 5, 2) == (200, 4)  # each process takes 2
    assert model.parts(3, 1, 2) == (2, 2)  # each process needs at least one


def generated_round() -> list[model.TestPath]:
    """The paths of a round over 300 generated lab domains (``bench/round.py
    --save-paths``): web and mail servers shared as at hosting platforms."""
    with gzip.open(Path(__file__).parent / "data" / "generated-300-paths.json.gz") as f:
        return [model.TestPath(p["kind"], p["round_trips"], p["held"], frozenset(p["servers"]))
                for p in json.load(f)]


def test_the_defaults_reach_300_domains_a_minute_at_50_ms_on_shared_hosts() -> None:
    from meting.settings import Settings

    paths = generated_round()
    defaults = Settings()
    for processes in (1, 2):
        concurrency, per_address = model.parts(defaults.concurrency, defaults.per_address,
                                               processes)
        found = model.predict(paths, 300, 50, concurrency, per_address)
        assert found.domains_per_minute >= 300, (processes, found)
        assert found.bound.startswith("address")  # the shared hosts decide, not concurrency
    old = model.predict(paths, 300, 50, 200, 4)
    assert old.domains_per_minute < 300


class PlannedOffers(Prober):
    """A prober that records the offers of its version handshakes and answers each from
    ``accepting`` instead of a server: how it plans them, not what a server does."""

    def __init__(self, accepting: set[str]) -> None:
        super().__init__(Target("192.0.2.1", 443, "www.example.nl", None, 1, 1), "web")
        self.accepting = accepting
        self.offers: list[Offer] = []

    async def run(self, offer: Offer) -> Result:
        self.offers.append(offer)
        return Result(ok=offer.version in self.accepting, connected=True)


@pytest.mark.parametrize("accepting", [
    set(chosen) for n in range(len(ALL_VERSIONS) + 1)
    for chosen in itertools.combinations(ALL_VERSIONS, n)])
def test_the_model_counts_as_completed_the_handshakes_the_prober_completes(
        accepting: set[str]) -> None:
    prober = PlannedOffers(accepting)
    results = asyncio.run(prober.versions())
    assert results is not None
    completed = {o.version for o in prober.offers if o.version in accepting and not o.hello_only}
    versions = {version: result.ok for version, result in results.items()}
    assert model.completed_versions(versions) == completed
    if accepting:  # the first accepted version's handshake brings the chain
        assert next(o for o in prober.offers if o.version in accepting).certificate
