"""Routing facts per address from two files: validated ROA payloads and a route table.

VRPs come as the JSON that rpki-client and Routinator export
(``{"roas": [{"asn": "AS64500" | 64500, "prefix": "...", "maxLength": 24}, ...]}``);
routes as a RIS whois dump (``origin-AS <TAB> prefix <TAB> seen-by-peers``, ``%``
comments). The evidence per address is the covering route(s) of the most specific
announced prefix and every VRP that covers that prefix, so that route origin
validation (RFC 6811) can be judged later without these files.
"""

from __future__ import annotations

import ipaddress
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOKUPS_KEPT = 100_000  # addresses whose routing facts a process remembers


class RoutingDataError(ValueError):
    """A VRP or route file that cannot be read; says which file and line."""


@dataclass(frozen=True)
class Vrp:
    prefix: str
    max_length: int
    asn: int


@dataclass(frozen=True)
class AddressRouting:
    """Evidence: what routes and ROAs say about one address."""

    address: str
    routes: tuple[tuple[str, int], ...]  # (prefix, origin AS) of the most specific route
    vrps: tuple[Vrp, ...]  # VRPs covering that route prefix

    def to_dict(self) -> dict[str, Any]:
        return {"address": self.address, "routes": [list(r) for r in self.routes],
                "vrps": [{"prefix": v.prefix, "max_length": v.max_length, "asn": v.asn}
                         for v in self.vrps]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AddressRouting:
        return cls(data["address"], tuple((p, int(a)) for p, a in data["routes"]),
                   tuple(Vrp(v["prefix"], int(v["max_length"]), int(v["asn"]))
                         for v in data["vrps"]))


@dataclass
class PrefixTable:
    """Longest-prefix match over many prefixes: one dict per (family, length)."""

    entries: dict[tuple[int, int], dict[int, list[Any]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    # per family, the prefix lengths stored, longest first: an IPv6 lookup would
    # otherwise try all 129 lengths
    lengths: dict[int, list[int]] = field(default_factory=dict)

    def add(self, net: Network, value: Any) -> None:
        self.entries[(net.version, net.prefixlen)][int(net.network_address)].append(value)
        known = self.lengths.setdefault(net.version, [])
        if net.prefixlen not in known:
            known.append(net.prefixlen)
            known.sort(reverse=True)

    def covering(self, net: Network) -> list[tuple[Network, list[Any]]]:
        """Every stored prefix that covers ``net``, most specific first."""
        found = []
        bits = 32 if net.version == 4 else 128
        for length in self.lengths.get(net.version, []):
            if length > net.prefixlen:
                continue
            bucket = self.entries[(net.version, length)]
            key = int(net.network_address) >> (bits - length) << (bits - length)
            if key in bucket:
                found.append((ipaddress.ip_network((key, length)), bucket[key]))
        return found


@dataclass
class RoutingData:
    routes: PrefixTable
    vrps: PrefixTable
    # a round asks again for the addresses its domains share (hosting, mail platforms)
    _found: dict[str, AddressRouting] = field(default_factory=dict)

    @classmethod
    def load(cls, vrps_path: Path, routes_path: Path) -> RoutingData:
        return cls(read_routes(routes_path), read_vrps(vrps_path))

    def lookup(self, address: str) -> AddressRouting:
        found = self._found.get(address)
        if found is None:
            if len(self._found) >= LOOKUPS_KEPT:  # a long-lived worker: start afresh
                self._found.clear()
            found = self._found[address] = self._lookup(address)
        return found

    def _lookup(self, address: str) -> AddressRouting:
        host = ipaddress.ip_network(address)
        covering = self.routes.covering(host)
        if not covering:
            return AddressRouting(address, (), ())
        prefix, origins = covering[0]
        vrps = tuple(v for _, group in self.vrps.covering(prefix) for v in group)
        return AddressRouting(address, tuple((str(prefix), asn) for asn in sorted(set(origins))),
                              vrps)


def parse_asn(value: object) -> int:
    text = str(value).upper().removeprefix("AS")
    return int(text)


def read_vrps(path: Path) -> PrefixTable:
    try:
        data = json.loads(path.read_text())
        roas = data["roas"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RoutingDataError(f"{path}: not a VRP export with a 'roas' list ({exc})") from exc
    table = PrefixTable()
    for i, roa in enumerate(roas):
        try:
            net = ipaddress.ip_network(roa["prefix"])
            vrp = Vrp(str(net), int(roa.get("maxLength", net.prefixlen)), parse_asn(roa["asn"]))
        except (KeyError, ValueError, TypeError) as exc:
            raise RoutingDataError(f"{path}: roa {i + 1} is not valid: {roa!r}") from exc
        table.add(net, vrp)
    return table


def read_routes(path: Path) -> PrefixTable:
    table = PrefixTable()
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise RoutingDataError(f"{path}: cannot be read ({exc})") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("%"):
            continue
        parts = line.split()
        try:
            table.add(ipaddress.ip_network(parts[1]), parse_asn(parts[0]))
        except (IndexError, ValueError) as exc:
            raise RoutingDataError(f"{path}:{number}: not 'AS<TAB>prefix': {line!r}") from exc
    return table
