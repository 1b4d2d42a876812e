"""Supplier dependency: which provider runs a domain's mail, DNS and web, from host names
(and addresses where names say nothing), with the catalogue in ``data/providers.yaml``."""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from fractions import Fraction
from functools import cache
from importlib import resources
from typing import Any

import yaml

from meting.analysis.figures import Tally, adoption, has_receiving_mail_server
from meting.analysis.model import DomainResult, RoundResults
from meting.analysis.rounding import Rounding, percentage
from meting.analysis.rules import CountingRules

OWN_DOMAIN = "own domain"  # servers under the domain itself: self-run, or a relay hides it
OTHER = "other"

# The columns that show a provider's support, per service.
SUPPORT = {
    "mail": ("ipv6_mailserver", "dnssec_mx", "dane"),
    "dns": ("ipv6_nameserver", "dnssec"),
    "web": ("ipv6_webserver", "dnssec", "tls_ncsc_web"),
}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Provider:
    name: str
    kind: str
    hosts: tuple[tuple[str, ...], ...]  # patterns, as labels
    ranges: tuple[Network, ...]

    def owns_host(self, labels: tuple[str, ...]) -> bool:
        """The host is one of the patterns or under one."""
        return any(len(labels) >= len(p) and all(map(fnmatchcase, labels[-len(p):], p))
                   for p in self.hosts)

    def owns_address(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip.version == net.version and ip in net for net in self.ranges)


@dataclass(frozen=True)
class Catalogue:
    name: str
    version: str
    providers: tuple[Provider, ...]
    # host-name suffix (labels) → provider, for the patterns without a wildcard
    suffixes: dict[tuple[str, ...], str] = field(default_factory=dict, compare=False,
                                                 hash=False)
    # (provider, pattern as a regular expression) for the patterns with a wildcard
    wildcards: list[tuple[str, re.Pattern[str]]] = field(default_factory=list, compare=False,
                                                         hash=False)

    def __post_init__(self) -> None:
        for p in reversed(self.providers):  # the first provider listed wins
            for pattern in p.hosts:
                if not any("*" in label for label in pattern):
                    self.suffixes[pattern] = p.name
        self.wildcards.extend((p.name, _regex(pattern)) for p in self.providers
                              for pattern in p.hosts if any("*" in label for label in pattern))

    def kind_of(self, provider: str) -> str:
        return next((p.kind for p in self.providers if p.name == provider), "")

    def provider_of(self, hosts: Sequence[str], addresses: Sequence[str],
                    own_domain: str) -> str:
        """The first host's provider by name; else by address; else own domain or other."""
        names = [h for h in (_labels(h) for h in hosts) if h]
        for labels in names:
            if found := self._by_host(labels):
                return found
        for address in addresses:
            for p in self.providers:
                if p.owns_address(address):
                    return p.name
        own = _labels(own_domain)
        if names and own and all(n[-len(own):] == own for n in names):
            return OWN_DOMAIN
        return OTHER


    def _by_host(self, labels: tuple[str, ...]) -> str | None:
        plain = [self.suffixes.get(labels[i:]) for i in range(len(labels))]
        by_suffix = next((name for name in plain if name), None)
        host = ".".join(labels)
        by_pattern = next((name for name, regex in self.wildcards if regex.search(host)), None)
        if by_suffix and by_pattern:  # both match: the provider listed first wins
            return min(by_suffix, by_pattern, key=self._order)
        return by_suffix or by_pattern

    def _order(self, provider: str) -> int:
        return next(i for i, p in enumerate(self.providers) if p.name == provider)


def _regex(pattern: tuple[str, ...]) -> re.Pattern[str]:
    """The host is the pattern or under it; ``*`` is any run within one label."""
    body = r"\.".join("[^.]*".join(re.escape(part) for part in label.split("*"))
                      for label in pattern)
    return re.compile(rf"(?:^|\.){body}$")


def _labels(host: str) -> tuple[str, ...]:
    host = host.strip().rstrip(".").lower()
    return tuple(host.split(".")) if host else ()


@cache
def catalogue() -> Catalogue:
    text = (resources.files("meting.analysis") / "data/providers.yaml").read_text("utf-8")
    raw: dict[str, Any] = yaml.safe_load(text)
    return Catalogue(raw["name"], str(raw["version"]), tuple(
        Provider(p["name"], p.get("kind", ""),
                 tuple(tuple(h.lower().split(".")) for h in p.get("hosts", [])),
                 tuple(ipaddress.ip_network(r) for r in p.get("ranges", [])))
        for p in raw["providers"]))


@dataclass(frozen=True)
class ProviderShare:
    provider: str
    kind: str
    domains: int
    share: Fraction | None
    support: dict[str, Tally]
    rounding: Rounding

    def to_json(self) -> dict[str, Any]:
        return {"provider": self.provider, "kind": self.kind, "domains": self.domains,
                "share": self.rounding.rate(self.share),
                "support": {c: t.to_json() for c, t in self.support.items()}}


@dataclass(frozen=True)
class Dependency:
    service: str  # mail, dns or web
    total: int  # the domains looked at (mail: those with a receiving mail server)
    shares: list[ProviderShare]

    def to_json(self) -> dict[str, Any]:
        return {"service": self.service, "total": self.total,
                "providers": [s.to_json() for s in self.shares]}


def _service_rows(results: RoundResults, service: str,
                  rules: CountingRules) -> tuple[list[DomainResult], Callable[..., str]]:
    cat = catalogue()
    if service == "mail":
        rows = [r for r in results.of_kind("mail") if has_receiving_mail_server(r, rules)]
        return rows, lambda r: cat.provider_of(r.mx_hosts, r.addresses, r.domain)
    if service == "dns":
        rows = results.of_kind("web") or results.of_kind("mail")
        return rows, lambda r: cat.provider_of(r.nameservers, (), r.domain)
    rows = results.of_kind("web")
    return rows, lambda r: cat.provider_of([r.web_host or r.target or "", *r.host_aliases],
                                           r.addresses, r.domain)


def dependency(results: RoundResults, service: str, rules: CountingRules) -> Dependency:
    rows, provider_of = _service_rows(results, service, rules)
    by_provider: dict[str, list[DomainResult]] = {}
    for row in rows:
        by_provider.setdefault(provider_of(row), []).append(row)
    cat = catalogue()
    shares = [ProviderShare(name, cat.kind_of(name), len(members),
                            percentage(len(members), len(rows)),
                            {c: adoption(members, c, rules) for c in SUPPORT[service]},
                            rules.rounding)
              for name, members in by_provider.items()]
    shares.sort(key=lambda s: (s.provider in (OTHER, OWN_DOMAIN), -s.domains, s.provider))
    return Dependency(service, len(rows), shares)


def mail_shares(results: RoundResults, rules: CountingRules) -> dict[str, Fraction | None]:
    """Each mail provider's share among domains with a receiving mail server."""
    rows, provider_of = _service_rows(results, "mail", rules)
    counts = Counter(provider_of(r) for r in rows)
    return {p: percentage(n, len(rows)) for p, n in counts.items()}


def shares_over_time(rounds: Sequence[RoundResults], rules: CountingRules) -> list[dict[str, Any]]:
    return [{"round": r.round_id, "date": r.date.isoformat(),
             "shares": {p: rules.rounding.rate(s)
                        for p, s in sorted(mail_shares(r, rules).items())}}
            for r in sorted(rounds, key=lambda r: r.date)]
