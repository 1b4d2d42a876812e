"""A scenario's extra DNS records (``records:`` in the catalogue), checked strictly.

Each entry is ``[owner, TYPE, rdata]`` or ``[owner, TYPE, rdata, count]``. Names follow
zone-file rules relative to the scenario's domain: ``@`` is the domain, ``www`` is
``www.<domain>``, a name with a trailing dot is absolute and must lie in the domain.
``{domain}`` in owner or rdata is the scenario's domain; with a count the entry is
repeated for ``n`` = 1..count and ``{n}`` (with any format spec, e.g. ``{n:->255}``)
is the repetition's number, so that a template makes many distinct records.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from meting.lab.model import Record
from meting.lab.netns import LabError

# Types a scenario may add; SOA, NS, DS and the DNSSEC types belong to the lab itself.
ALLOWED_TYPES = frozenset({"A", "AAAA", "CNAME", "MX", "TXT", "CAA", "TLSA", "SRV"})
MAX_COUNT = 1000
# Knot refuses to sign an RRset whose canonical form does not fit one 64 KB message
# buffer (the zone then fails to load) and answers SERVFAIL for such an unsigned RRset;
# 65,000 leaves room for the signature's own fields.
MAX_RRSET_BYTES = 65000


def scenario_records(scenario: str, domain: str, entries: Any) -> list[Record]:
    """The records of a scenario's ``records:`` list, absolute and validated."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise LabError(f"scenario {scenario}: records must be a list of [name, TYPE, rdata]")
    records: list[Record] = []
    for entry in entries:
        records += expand(scenario, domain, entry)
    return records


def expand(scenario: str, domain: str, entry: Any) -> list[Record]:
    if not isinstance(entry, list) or len(entry) not in (3, 4):
        raise LabError(f"scenario {scenario}: record {entry!r} is not [name, TYPE, rdata(, count)]")
    owner, rtype, rdata = (str(x) for x in entry[:3])
    count = entry[3] if len(entry) == 4 else None
    if rtype.upper() != rtype or rtype not in ALLOWED_TYPES:
        raise LabError(f"scenario {scenario}: record type {rtype!r} is not one of "
                       f"{', '.join(sorted(ALLOWED_TYPES))}")
    if count is None:
        return [one(scenario, domain, owner, rtype, rdata, {})]
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_COUNT:
        raise LabError(f"scenario {scenario}: record count {count!r} is not 1..{MAX_COUNT}")
    return [one(scenario, domain, owner, rtype, rdata, {"n": n}) for n in range(1, count + 1)]


def one(scenario: str, domain: str, owner: str, rtype: str, rdata: str,
        values: dict[str, int]) -> Record:
    try:
        owner = owner.format(domain=domain, **values)
        rdata = rdata.format(domain=domain, **values)
    except (KeyError, IndexError, ValueError) as exc:
        raise LabError(f"scenario {scenario}: bad placeholder in record {owner} {rtype}: "
                       f"{exc}") from exc
    name = owner_name(scenario, domain, owner)
    origin = dns.name.from_text(domain)
    try:
        parsed = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rtype), rdata,
                                     origin=origin, relativize=False)
    except (dns.exception.DNSException, ValueError) as exc:
        raise LabError(f"scenario {scenario}: bad {rtype} data for {name}: {rdata[:80]!r} "
                       f"({exc})") from exc
    return Record(name, rtype, parsed.to_text())  # names in rdata made absolute


def owner_name(scenario: str, domain: str, owner: str) -> str:
    if owner == "@":
        return domain
    if owner.endswith("."):
        name = owner.rstrip(".").lower()
        if name != domain and not name.endswith("." + domain):
            raise LabError(f"scenario {scenario}: record {owner} lies outside the zone {domain}")
        return name
    if not owner or owner.startswith(".") or ".." in owner:
        raise LabError(f"scenario {scenario}: record name {owner!r} is not a domain name")
    if owner == domain or owner.endswith("." + domain):
        raise LabError(f"scenario {scenario}: record name {owner!r} is relative to {domain}; "
                       "write it relative (www) or absolute with a trailing dot")
    name = f"{owner}.{domain}".lower()
    try:
        dns.name.from_text(name)
    except dns.exception.DNSException as exc:
        raise LabError(f"scenario {scenario}: record name {owner!r}: {exc}") from exc
    return name


def check_zone(scenario: str, domain: str, records: list[Record]) -> None:
    """What would make Knot refuse or mangle the zone: CNAME beside other data, huge RRsets."""
    types: dict[str, set[str]] = defaultdict(set)
    for r in records:
        types[r.owner].add(r.rtype)
    for owner, found in types.items():
        if "CNAME" in found and (owner == domain or len(found) > 1):
            raise LabError(f"scenario {scenario}: {owner} has a CNAME beside other data "
                           f"({', '.join(sorted(found))}) or at the zone apex")
    for (owner, rtype), size in rrset_sizes(records).items():
        if size > MAX_RRSET_BYTES:
            raise LabError(f"scenario {scenario}: the {rtype} records of {owner} take {size} "
                           f"bytes; Knot cannot serve an RRset over {MAX_RRSET_BYTES} bytes")


def rrset_sizes(records: list[Record]) -> dict[tuple[str, str], int]:
    """Wire size of each RRset, owner names uncompressed (as Knot signs them)."""
    sizes: dict[tuple[str, str], int] = defaultdict(int)
    for r in records:
        owner = dns.name.from_text(r.owner)
        rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(r.rtype), r.rdata,
                                    origin=dns.name.root, relativize=False)
        sizes[(r.owner, r.rtype)] += len(owner.to_wire() or b"") + 10 + len(rdata.to_wire() or b"")
    return dict(sizes)
