"""A model of a round over the real internet, read from the evidence of a round.

The lab has no latency; the internet has tens of milliseconds between the scanner and
each server. What a round then takes follows from two counts per test, both read from
its stored evidence and from the order in which the probes (``meting.probe.collect``,
``probe.tls``, ``probe.web_http``) take their steps:

- the *round trips on its critical path*: steps that wait on each other add up (the
  zone's NS questions from the name upwards; then the host's addresses; the TCP
  connects; an address's HTTPS requests (security.txt, the page, ``/``), one after the
  other; the TLS handshakes of one address, strictly one after the other), steps taken
  together count once, by their longest (IPv4 and IPv6, port 80 and 443, web and CAA,
  every MX host);
- the *round trips each server address is held*: every exchange holds one politeness
  slot of its address for its whole length, in parallel or not.

Counting rules (round trips, RTT): a DNS question 1 (stub to resolver; the resolver's
own recursion is not counted); a TCP connect 1; a completed TLS handshake 1 at TLS 1.3,
2 at TLS 1.2 and below; a refused one, or one that stops at the server's hello, 1; an
HTTP request 1 (and nothing more on a kept connection); an SMTP greeting, EHLO and
STARTTLS 1 each. A round of ``N`` domains
then takes the longest of:

- ``sum(critical paths) x RTT / concurrency`` (no more tests at once than the setting);
- per address: ``sum(held) x RTT / per_address`` (its politeness slots) and
  ``sum(critical paths of its tests) x RTT / dispatch.cap(per_address)`` (tests of
  one address in flight at once, ``meting.run.dispatch``); the most shared address
  decides;
- ``runner CPU per domain x N / cores``, when a measured CPU figure is given.

The model leaves out what the lab cannot show: loss and retransmits, slow servers
(time to first byte), the resolver's recursion, and the per organisational domain
limit (one domain's two tests rarely meet it). See docs/round-model.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from meting.probe.tls import completed
from meting.probe.web_http import requests_in_turn
from meting.records.spf import follow_targets
from meting.run.dispatch import cap

CONNECT = 1
SMTP_DIALOGUE = 3  # greeting, EHLO, STARTTLS before every STARTTLS handshake
TLS13 = 1
TLS12 = 2
REFUSED = 1
HELLO = 1  # a handshake that stops at the server's hello and key exchange
HTTP = 1
DNS = 1


@dataclass(frozen=True)
class TestPath:
    """The round trips of one test: on its critical path, and held per server address."""

    kind: str
    round_trips: int
    held: Mapping[str, int] = field(default_factory=dict)
    servers: frozenset[str] = frozenset()  # the addresses the dispatcher orders it by


@dataclass(frozen=True)
class Prediction:
    rtt_ms: float
    domains_per_minute: float
    bound: str  # what decides: "concurrency", "address A.B.C.D", "CPU"
    seconds: Mapping[str, float]  # each bound's time for the round


def test_path(evidence: Mapping[str, Any]) -> TestPath:
    """The counts of one stored test (web or mail); a not_testable test counts nothing."""
    if "not_testable" in evidence:
        return TestPath(str(evidence.get("kind", "")), 0)
    if evidence.get("kind") == "web":
        return web_path(evidence)
    return mail_path(evidence)


def web_path(e: Mapping[str, Any]) -> TestPath:
    held: dict[str, int] = defaultdict(int)
    tls13 = {a: accepts_tls13(s) for a, s in (e.get("tls") or {}).items()}
    for address, ports in (e.get("ports") or {}).items():
        held[address] += CONNECT * len(ports)
    pages = {r.get("address", ""): r for r in (e.get("site") or {}).values()}
    http = 0
    for address, found in (e.get("http") or {}).items():
        here = tls13.get(address, False)
        plain = chain_cost(found.get("http") or {}, here)
        sectxt = found.get("security_txt") or {}
        rest = (fetch_cost(pages.get(address) or {}, here),
                fetch_cost(found.get("https") or {}, here))
        first = (sectxt.get("hops") or [{}])[0].get("status")
        in_turn = chain_cost(sectxt, here) + (sum(rest) if requests_in_turn(first)
                                              else max(rest))
        # the chain from port 80's HTTPS hops on the kept connection wait their turn
        waiting = HTTP * sum(bool(h.get("kept")) for h in (found.get("http") or {}).get("hops")
                             or [])
        http = max(http, plain, in_turn + waiting)
        held[address] += plain + in_turn
    scans = held_scans(e.get("tls") or {}, held)
    caa = DNS * len((e.get("caa") or {}).get("queried") or [])
    dns = (zone_steps(e) + max(DNS, nameserver_steps(e, held))
           + (DNS if e.get("missing") else 0))
    connect = CONNECT if e.get("ports") else 0
    total = dns + connect + http + max(scans, caa)
    return TestPath("web", total, dict(held), frozenset(e.get("ports") or {}))


def held_scans(scans: Mapping[str, Any], held: dict[str, int]) -> int:
    """The longest of TLS scans made at once; each address held for its own."""
    longest = 0
    for address, scan in scans.items():
        cost = scan_cost(scan)
        longest = max(longest, cost)
        held[address] += cost
    return longest


def mail_path(e: Mapping[str, Any]) -> TestPath:
    held: dict[str, int] = defaultdict(int)
    entries = [m for m in e.get("mx") or [] if isinstance(m, dict)]
    auth = mail_auth_steps(e)
    dns = zone_steps(e) + max(DNS, nameserver_steps(e, held), auth)
    dns += (2 * DNS if entries else 0) + (DNS if e.get("missing") else 0)  # hosts, TLSA
    greetings = 0
    for entry in entries:  # one MX after the other
        banners = entry.get("smtp6") or {}
        for address, reach in banners.items():
            cost = CONNECT + (1 if reach.get("ok") or reach.get("banner") else 0)
            held[address] += cost
        greetings += (CONNECT + 1) if banners else 0
    longest = 0
    for entry in entries:  # every MX at once
        scans = held_scans(entry.get("starttls") or {}, held)
        caa = DNS * len((entry.get("caa") or {}).get("queried") or [])
        longest = max(longest, scans, caa)
    servers = frozenset(a for m in entries for key in ("smtp6", "starttls")
                        for a in (m.get(key) or {}))
    return TestPath("mail", dns + greetings + longest, dict(held), servers)


def accepts_tls13(scan: Mapping[str, Any]) -> bool:
    return bool((scan.get("versions") or {}).get("TLSv1.3"))


def fetch_cost(response: Mapping[str, Any], tls13: bool) -> int:
    """One request: connect, TLS when https, the request; a failed connect is one."""
    if not response:
        return 0
    if response.get("kept"):
        return HTTP
    if response.get("failure") in ("refused", "no_connection"):
        return CONNECT
    tls = (TLS13 if tls13 else TLS12) if response.get("tls") else 0
    if response.get("failure") == "tls":
        return CONNECT + tls
    return CONNECT + tls + HTTP


def chain_cost(chain: Mapping[str, Any], tls13: bool) -> int:
    """A redirect chain: its hops one after the other."""
    total = 0
    for hop in chain.get("hops") or []:
        https = str(hop.get("url", "")).startswith("https:")
        failed = hop.get("failure") in ("refused", "no_connection")
        total += CONNECT if failed else fetch_cost(
            {"tls": https, "failure": hop.get("failure"), "kept": hop.get("kept")}, tls13)
    return total


def scan_cost(scan: Mapping[str, Any]) -> int:
    """The handshakes of one address, one after the other (``probe.tls.Prober``)."""
    count = int(scan.get("handshakes") or 0)
    if count == 0:
        return 0
    before = CONNECT + (SMTP_DIALOGUE if scan.get("starttls") else 0)
    versions: Mapping[str, bool] = scan.get("versions") or {}
    if not versions:  # broke off before the versions were known
        return count * (before + REFUSED)
    shared = scan.get("versions_shared") or {}
    made = {v: ok for v, ok in versions.items() if v not in shared}
    complete = completed_versions(versions)
    tls = sum((TLS13 if v == "TLSv1.3" else TLS12) if v in complete
              else HELLO if ok else REFUSED for v, ok in made.items())
    # every other handshake stops at the server's hello; the legacy fallback completes
    tls += (count - len(made)) * HELLO + (TLS12 - HELLO if scan.get("legacy_error") is None
                                          and scan.get("secure_renegotiation") is False else 0)
    extra = HTTP if versions.get("TLSv1.3") else 0  # the first TLS 1.3 session asks once
    zero = scan.get("zero_rtt") or {}
    extra += HTTP if zero.get("max_early_data") else 0
    extra += HTTP if scan.get("client_renegotiation") is not None else 0
    return count * before + tls + extra


def completed_versions(versions: Mapping[str, bool]) -> set[str]:
    """The accepted versions whose handshakes are completed (``probe.tls.completed``);
    ``versions`` in the order they were tried."""
    accepted: list[str] = []
    complete = set()
    for version, ok in versions.items():
        if ok:
            if completed(version, accepted):
                complete.add(version)
            accepted.append(version)
    return complete


def zone_steps(e: Mapping[str, Any]) -> int:
    """The NS questions from the name upwards until the zone (``collect.find_zone``)."""
    target = str(e.get("target", "")).rstrip(".").split(".")
    zone = str(e.get("zone", "")).rstrip(".").split(".")
    return DNS * max(1, len(target) - len(zone) + 1)


def nameserver_steps(e: Mapping[str, Any], held: dict[str, int]) -> int:
    """The name servers' addresses, then an SOA to each IPv6 address (held there)."""
    servers = [s for s in e.get("nameservers") or [] if "failed" not in s]
    reach6 = [a for s in servers for a in (s.get("reach6") or {})]
    for address in reach6:
        held[address] += DNS
    return DNS * ((1 if servers else 0) + (1 if reach6 else 0))


def mail_auth_steps(e: Mapping[str, Any]) -> int:
    """TXT, then DMARC, _domainkey and the SPF tree's rounds of includes together."""
    auth = e.get("mail_auth") or {}
    records = (auth.get("spf_tree") or {}).get("records") or {}
    domain = str(e.get("target", ""))
    known: dict[str, list[str]] = {domain: list(records.get(domain) or [])}
    rounds = 0
    while rounds < 12:
        needed = follow_targets(domain, known) - set(known)
        if not needed:
            break
        rounds += 1
        known.update({n: list(records.get(n) or []) for n in needed})
    return DNS * (1 + max(1, rounds))


def predict(paths: Iterable[TestPath], domains: int, rtt_ms: float, concurrency: int,
            per_address: int, cpu_per_domain: float = 0.0, cores: int = 1) -> Prediction:
    """Domains per minute of a round whose tests are ``paths``, at ``rtt_ms``."""
    rtt = rtt_ms / 1000
    total = 0
    held: dict[str, int] = defaultdict(int)
    occupied: dict[str, int] = defaultdict(int)
    for path in paths:
        total += path.round_trips
        for address, count in path.held.items():
            held[address] += count
        for address in path.servers:
            occupied[address] += path.round_trips
    seconds = {"concurrency": total * rtt / concurrency}
    def busy(address: str) -> float:
        return max(held[address] / per_address, occupied[address] / cap(per_address))

    if held:
        address = max(held, key=busy)
        seconds[f"address {address}"] = rtt * busy(address)
    if cpu_per_domain:
        seconds["CPU"] = cpu_per_domain * domains / cores
    bound = max(seconds, key=lambda k: seconds[k])
    longest = seconds[bound]
    rate = domains / longest * 60 if longest > 0 else float("inf")
    return Prediction(rtt_ms, rate, bound, seconds)


def parts(concurrency: int, per_address: int, processes: int) -> tuple[int, int]:
    """The round's limits as its runner processes keep them (each 1/P, rounded down)."""
    return (processes * max(1, concurrency // processes),
            processes * max(1, per_address // processes))
