"""The evidence of one test summed up per server, for `meting check --evidence` without
--json: which addresses, which ports answered, TLS versions and certificate."""

from __future__ import annotations

import base64
from typing import Any

from cryptography import x509
from rich.table import Table

from meting.checks.explain import plain
from meting.probe.evidence import DnsAnswer

HEAD = {"nl": ("server", "adres", "bevindingen"), "en": ("server", "address", "findings")}
WORDS = {
    "nl": {"open": "poort {p} open", "closed": "poort {p} dicht ({why})", "tls": "TLS: {v}",
           "cert": "certificaat {who}, geldig tot {until}", "starttls": "STARTTLS aangeboden",
           "no_starttls": "geen STARTTLS", "no_address": "geen adres", "ns": "naamserver",
           "refused": "niet benaderd: {why}", "ipv6_answers": "antwoordt over IPv6",
           "ipv6_silent": "antwoordt niet over IPv6"},
    "en": {"open": "port {p} open", "closed": "port {p} closed ({why})", "tls": "TLS: {v}",
           "cert": "certificate {who}, valid until {until}", "starttls": "STARTTLS offered",
           "no_starttls": "no STARTTLS", "no_address": "no address", "ns": "name server",
           "refused": "not contacted: {why}", "ipv6_answers": "answers over IPv6",
           "ipv6_silent": "does not answer over IPv6"},
}


def summary(evidence: dict[str, Any], lang: str, title: str) -> Table:
    table = Table(*HEAD[lang], title=title)
    rows: list[tuple[str, str, str]] = []
    if evidence["kind"] == "web":
        rows += server_rows(evidence["target"], evidence["host"], evidence.get("ports") or {},
                            evidence.get("tls") or {}, evidence, lang)
    else:
        for mx in evidence["mx"]:
            rows += server_rows(mx["name"], mx, {}, mx.get("starttls") or {}, evidence, lang)
    for ns in evidence["nameservers"]:
        if "failed" not in ns:
            rows += nameserver_rows(ns, lang)
    for row in rows:
        table.add_row(*row)
    return table


def addresses(entry: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for key in ("a", "aaaa"):
        a = DnsAnswer.from_dict(entry[key])
        found += list(a.answers) if a.rcode == "NOERROR" else []
    return found


def server_rows(name: str, entry: dict[str, Any], ports: dict[str, Any],
                scans: dict[str, Any], evidence: dict[str, Any],
                lang: str) -> list[tuple[str, str, str]]:
    w, refused = WORDS[lang], evidence.get("refused") or {}
    rows = []
    for address in addresses(entry) or [""]:
        if not address:
            rows.append((name, "", w["no_address"]))
            continue
        if address in refused:
            why = getattr(plain(f"not connected: {address} is a {refused[address]} address"),
                          lang)
            rows.append((name, address, w["refused"].format(why=why)))
            continue
        found = [port_text(p, r, w, lang) for p, r in sorted(ports.get(address, {}).items())]
        found += scan_texts(scans.get(address), w)
        rows.append((name, address, "; ".join(found)))
    return rows


def port_text(port: str, reach: dict[str, Any], w: dict[str, str], lang: str) -> str:
    if reach.get("ok"):
        return w["open"].format(p=port)
    return w["closed"].format(p=port, why=getattr(plain(reach.get("error")), lang))


def scan_texts(scan: dict[str, Any] | None, w: dict[str, str]) -> list[str]:
    if not scan:
        return []
    found = []
    if scan.get("starttls"):
        found.append(w["starttls"] if scan.get("starttls_offered") else w["no_starttls"])
    versions = [v for v, ok in (scan.get("versions") or {}).items() if ok]
    if versions:
        found.append(w["tls"].format(v=", ".join(versions)))
    chain = scan.get("chain") or []
    if chain:
        try:
            leaf = x509.load_der_x509_certificate(base64.b64decode(chain[0]))
        except ValueError:
            return found
        found.append(w["cert"].format(who=leaf.subject.rfc4514_string()[:80],
                                      until=leaf.not_valid_after_utc.date().isoformat()))
    return found


def nameserver_rows(ns: dict[str, Any], lang: str) -> list[tuple[str, str, str]]:
    w = WORDS[lang]
    rows = []
    for address in addresses(ns):
        found = w["ns"]
        if address in (ns.get("reach6") or {}):
            answered = bool(DnsAnswer.from_dict(ns["reach6"][address]).rcode)
            found += "; " + (w["ipv6_answers"] if answered else w["ipv6_silent"])
        rows.append((ns["name"], address, found))
    return rows
