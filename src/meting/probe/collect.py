"""Gather the evidence of one web test or one mail test (DNS, IPv6, routing).

Everything returned is JSON-safe; the checks judge it without the network.
"""

from __future__ import annotations

import asyncio
from typing import Any

from meting.probe import guard, reach
from meting.probe.dns import DnsClient
from meting.probe.evidence import DnsAnswer
from meting.probe.mail_auth import collect_mail_auth
from meting.probe.routing import RoutingData
from meting.probe.tls import mail_tls_evidence, web_tls_evidence
from meting.probe.web_http import collect_http
from meting.records.psl import organisational_domain
from meting.settings import Settings

WEB_PORTS = (80, 443)
MAX_MX = 10


def addresses(answer: DnsAnswer) -> list[str]:
    return list(answer.answers) if answer.rcode == "NOERROR" else []


async def find_zone(client: DnsClient, name: str) -> str:
    """The closest enclosing zone of a name: the first name upwards that has NS records."""
    labels = name.rstrip(".").split(".")
    for i in range(len(labels) - 1):
        candidate = ".".join(labels[i:])
        answer = await client.query(candidate, "NS")
        if answer.answers and answer.rcode == "NOERROR":
            return candidate
    return ".".join(labels[-2:])


async def host_addresses(client: DnsClient, name: str) -> dict[str, Any]:
    a, aaaa = await asyncio.gather(client.query(name, "A"), client.query(name, "AAAA"))
    return {"name": name, "a": a.to_dict(), "aaaa": aaaa.to_dict()}


async def nameservers(client: DnsClient, zone: str) -> list[dict[str, Any]]:
    """The zone's name servers, their addresses, and whether each IPv6 address answers."""
    ns = await client.query(zone, "NS")
    if not ns.ok or not ns.answers:  # none found: judged as no answer, not as zero servers
        return [{"failed": ns.to_dict()}]
    names = sorted({n.rstrip(".") for n in ns.answers})

    async def one(name: str) -> dict[str, Any]:
        entry = await host_addresses(client, name)
        v6 = addresses(DnsAnswer.from_dict(entry["aaaa"]))
        answers = await asyncio.gather(*(client.query_authoritative(zone, "SOA", a) for a in v6))
        entry["reach6"] = {a: r.to_dict() for a, r in zip(v6, answers, strict=True)}
        return entry

    return list(await asyncio.gather(*(one(n) for n in names)))


async def missing(client: DnsClient, name: str, answers: list[DnsAnswer]) -> dict[str, Any] | None:
    """When the name does not exist (NXDOMAIN on every question about it): whether its
    registered domain does, so that the explanation can say which of the two is wrong."""
    if not answers or any(a.rcode != "NXDOMAIN" for a in answers):
        return None
    registered = organisational_domain(name)
    soa = await client.query(registered, "SOA")
    return {"name": name, "registered_domain": registered, "registered_rcode": soa.rcode}


def route_evidence(routing: RoutingData | None, addrs: list[str]) -> dict[str, Any] | None:
    if routing is None:
        return None
    return {a: routing.lookup(a).to_dict() for a in sorted(set(addrs))}


def all_addresses(entries: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []
    for e in entries:
        if "failed" in e:
            continue
        for key in ("a", "aaaa"):
            found += addresses(DnsAnswer.from_dict(e[key]))
    return found


async def collect_web(host: str, settings: Settings, client: DnsClient,
                      routing: RoutingData | None) -> dict[str, Any]:
    zone = await find_zone(client, host)
    target, ns = await asyncio.gather(host_addresses(client, host), nameservers(client, zone))
    v4 = addresses(DnsAnswer.from_dict(target["a"]))
    v6 = addresses(DnsAnswer.from_dict(target["aaaa"]))
    absent = await missing(client, host, [DnsAnswer.from_dict(target[k]) for k in ("a", "aaaa")])
    t = settings.connect_timeout
    probes = [(a, p) for a in v4 + v6 for p in WEB_PORTS]
    results = await asyncio.gather(*(reach.connect(a, p, timeout=t, settings=settings)
                                     for a, p in probes))
    ports: dict[str, dict[str, Any]] = {}
    for (a, p), r in zip(probes, results, strict=True):
        ports.setdefault(a, {})[str(p)] = r.to_dict()
    https = any(ports[a]["443"]["ok"] for a in v4 + v6)
    first = {addrs[0]: family for family, addrs in (("v4", v4), ("v6", v6)) if addrs}
    http = await collect_http(host, v4 + v6, client, t * 2, site=dict.fromkeys(first, https))
    site = {family: http[a].pop("site") for a, family in first.items()}  # the page, per family
    tls = await web_tls_evidence(host, v4 + v6, client, settings)  # "tls" and "caa"
    return {"kind": "web", "target": host, "zone": zone, "host": target, "nameservers": ns,
            "ports": ports, "site": site, "http": http, **tls,
            "routing": route_evidence(routing, v4 + v6 + all_addresses(ns)),
            "missing": absent, "refused": guard.refused(v4 + v6 + all_addresses(ns))}


def tlsa_name(mx_host: str) -> str:
    """Where an MX host's DANE records are (RFC 7672 §2.2: SMTP on port 25)."""
    return f"_25._tcp.{mx_host}"


async def collect_mail(domain: str, settings: Settings, client: DnsClient,
                       routing: RoutingData | None) -> dict[str, Any]:
    zone = await find_zone(client, domain)
    mx_answer, ns, auth = await asyncio.gather(client.query(domain, "MX"),
                                               nameservers(client, zone),
                                               collect_mail_auth(client, domain))
    mx = parse_mx(mx_answer)
    null_mx = mx == [(0, "")]
    hosts = [] if null_mx else [name for _, name in mx[:MAX_MX]]
    entries = list(await asyncio.gather(*(host_addresses(client, h) for h in hosts)))
    tlsa = await asyncio.gather(*(client.query(tlsa_name(h), "TLSA") for h in hosts))
    for entry, answer in zip(entries, tlsa, strict=True):
        entry["tlsa"] = answer.to_dict()  # DANE (RFC 7672 §2.2)
    for entry in entries:
        v6 = addresses(DnsAnswer.from_dict(entry["aaaa"]))
        banners = await asyncio.gather(*(reach.smtp_banner(a, settings=settings)
                                         for a in v6))
        entry["smtp6"] = {a: b.to_dict() for a, b in zip(v6, banners, strict=True)}
    await mail_tls_evidence(entries, client, settings)  # "starttls" and "caa" per MX
    absent = await missing(client, domain, [mx_answer])
    return {"kind": "mail", "target": domain, "zone": zone, "mx_answer": mx_answer.to_dict(),
            "null_mx": null_mx, "mx": entries, "mx_skipped": [n for _, n in mx[MAX_MX:]],
            "nameservers": ns, "mail_auth": auth,
            "routing": route_evidence(routing, all_addresses(entries) + all_addresses(ns)),
            "missing": absent, "refused": guard.refused(all_addresses(entries) + all_addresses(ns))}


async def server_addresses(kind: str, target: str, client: DnsClient) -> list[str]:
    """The addresses a test will exchange the most with: the web host's, or every MX
    host's (as the mail test takes them). Asked through the test's own client, whose
    cache the test then reads, so the test sends no question twice."""
    if kind == "web":
        hosts = [target]
    else:
        mx = parse_mx(await client.query(target, "MX"))
        hosts = [] if mx == [(0, "")] else [name for _, name in mx[:MAX_MX]]
    answers = await asyncio.gather(*(client.query(h, t) for h in hosts for t in ("A", "AAAA")))
    return sorted({a for answer in answers for a in addresses(answer)})


def parse_mx(answer: DnsAnswer) -> list[tuple[int, str]]:
    """MX records by preference; a Null MX (RFC 7505) is ``[(0, "")]``."""
    records = []
    for rdata in answer.answers:
        pref, _, name = rdata.partition(" ")
        if pref.isdigit():
            records.append((int(pref), name.strip().rstrip(".")))
    return sorted(records)
