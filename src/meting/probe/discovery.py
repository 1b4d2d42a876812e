"""Discovery's DNS probes: walking a zone's NSEC chain at its name servers, and asking the
resolver for common labels under a domain, with wildcard detection.

Both pace themselves (``Pace``: at most ``discovery_rate`` questions per second from
this process) besides the per-address politeness of every probe, and every direct query
passes the guard (probe/guard.py): a name server at a special-purpose address is not
asked unless ``allowed_networks`` lists it.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rdatatype
import dns.rdtypes.ANY.NSEC
import dns.rrset

from meting.probe import guard, politeness
from meting.probe.dns import DnsClient

MAX_OWNERS = 20_000  # a walk stops after this many names (a zone that never ends)
HOST_TYPES = frozenset({"A", "AAAA", "CNAME", "MX", "NS"})


class Pace:
    """At most ``rate`` questions per second, spread evenly."""

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError(f"discovery_rate must be above 0, not {rate}")
        self.interval = 1.0 / rate
        self._next = 0.0
        self._lock = asyncio.Lock()
        self.asked = 0

    async def wait(self) -> None:
        async with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
            self.asked += 1
        if delay > 0:
            await asyncio.sleep(delay)


@dataclass
class ZoneWalk:
    zone: str
    # walked | nsec3 | unsigned | no_server | error
    state: str = "error"
    owners: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # name, types
    server: str = ""
    # why the walk says something (the discovery layer words it): no_server | nsec3 |
    # unsigned | no_apex_nsec | chain_broken | stopped | error; "" when all went well
    reason: str = ""
    values: dict[str, str | int] = field(default_factory=dict)


@dataclass
class LabelScan:
    domain: str
    wildcard: tuple[str, ...] = ()  # what a random label answered; () when nothing
    found: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # name, answers
    errors: int = 0


async def server_addresses(zone: str, client: DnsClient) -> list[str]:
    """Addresses of the zone's name servers, by the resolver; refused ones left out."""
    ns = await client.query(zone, "NS")
    addresses: list[str] = []
    for target in sorted(ns.answers):
        for rtype in ("A", "AAAA"):
            answer = await client.query(target, rtype)
            addresses += [a for a in answer.answers if guard.kind_of(a) is None]
    return addresses


async def walk(zone: str, client: DnsClient, pace: Pace, timeout: float) -> ZoneWalk:
    """Follow the zone's NSEC chain from its apex back to the apex."""
    result = ZoneWalk(zone)
    servers = await server_addresses(zone, client)
    if not servers:
        result.state = result.reason = "no_server"
        return result
    result.server = servers[0]
    apex = dns.name.from_text(zone)
    try:
        if await _has(apex, "NSEC3PARAM", result.server, pace, timeout):
            result.state = result.reason = "nsec3"
            return result
        await _follow(apex, result, pace, timeout)
    except (OSError, dns.exception.DNSException) as exc:
        result.state = result.reason = "error"
        result.values = {"server": result.server, "error": str(exc) or type(exc).__name__}
    return result


async def _follow(apex: dns.name.Name, result: ZoneWalk, pace: Pace, timeout: float) -> None:
    current = apex
    while len(result.owners) < MAX_OWNERS:
        nsec = await _nsec_of(current, result.server, pace, timeout)
        if nsec is None:
            if current == apex:
                signed = await _has(apex, "DNSKEY", result.server, pace, timeout)
                result.state = "error" if signed else "unsigned"
                result.reason = "no_apex_nsec" if signed else "unsigned"
            else:
                result.state, result.reason = "error", "chain_broken"
                result.values = {"name": current.to_text(omit_final_dot=True)}
            return
        types = tuple(sorted(str(nsec.to_text()).split()[1:]))  # type: ignore[no-untyped-call]
        if current != apex:
            result.owners.append((current.to_text(omit_final_dot=True).lower(), types))
        current = nsec.next
        if current == apex or not current.is_subdomain(apex):
            result.state = "walked"
            return
    result.state, result.reason, result.values = "walked", "stopped", {"count": MAX_OWNERS}


async def _nsec_of(name: dns.name.Name, server: str, pace: Pace,
                   timeout: float) -> dns.rdtypes.ANY.NSEC.NSEC | None:
    response = await ask(name, "NSEC", server, pace, timeout)
    for rrset in response.answer:
        if rrset.name == name and rrset.rdtype == dns.rdatatype.NSEC:
            return next(iter(rrset))  # type: ignore[no-any-return]
    return None


async def _has(name: dns.name.Name, rtype: str, server: str, pace: Pace,
               timeout: float) -> bool:
    response = await ask(name, rtype, server, pace, timeout)
    wanted = dns.rdatatype.from_text(rtype)
    return any(r.name == name and r.rdtype == wanted for r in response.answer)


async def ask(name: dns.name.Name, rtype: str, server: str, pace: Pace,
              timeout: float, retries: int = 1) -> dns.message.Message:
    """One question to a name server directly (no recursion), through the guard."""
    query = dns.message.make_query(name, rtype, want_dnssec=True, payload=1232)
    query.flags = dns.flags.Flag(0)
    error: Exception = TimeoutError(f"no answer from {server}")
    for _ in range(1 + retries):
        await pace.wait()
        try:
            async with politeness.slot(server):
                response, _tcp = await guard.udp_with_fallback(query, server, timeout)
            return response
        except dns.exception.Timeout as exc:
            error = exc
    raise error


async def scan_labels(domain: str, labels: list[str], client: DnsClient,
                      pace: Pace) -> LabelScan:
    """Which common labels exist under the domain; with a wildcard, only the names that
    answer otherwise than a random label does."""
    result = LabelScan(domain)
    probe = f"meting-{secrets.token_hex(6)}.{domain}"
    result.wildcard = await _signature(probe, client, pace, result)
    for label in labels:
        name = f"{label}.{domain}"
        answers = await _signature(name, client, pace, result)
        if answers and answers != result.wildcard:
            result.found.append((name, answers))
    return result


async def _signature(name: str, client: DnsClient, pace: Pace,
                     result: LabelScan) -> tuple[str, ...]:
    """What a name answers: its addresses and the CNAMEs on the way, sorted."""
    seen: set[str] = set()
    for rtype in ("A", "AAAA"):
        await pace.wait()
        answer = await client.query(name, rtype)
        if answer.error is not None:
            result.errors += 1
            continue
        seen.update(answer.answers)
        seen.update(f"CNAME {c}" for c in answer.cname_chain)
    return tuple(sorted(seen))


async def live(names: list[str], client: DnsClient, pace: Pace) -> dict[str, tuple[str, ...]]:
    """The addresses each name resolves to (A and AAAA; empty: not live)."""
    found: dict[str, tuple[str, ...]] = {}
    for name in names:
        addresses: list[str] = []
        for rtype in ("A", "AAAA"):
            await pace.wait()
            addresses += (await client.query(name, rtype)).answers
        found[name] = tuple(addresses)
    return found
