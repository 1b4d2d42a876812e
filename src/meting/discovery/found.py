"""What a discovery source reports: a name, whose it seems to be, and what was seen."""

from __future__ import annotations

from dataclasses import dataclass

SOURCES = ("evidence", "nsec", "dns", "ct")


@dataclass(frozen=True)
class Found:
    name: str  # punycode, lower case, no trailing dot
    organisation: str | None  # by the registered domain it lies under; None: unknown
    source: str  # one of SOURCES
    note: str  # what the source saw, e.g. "MX of gemeente.nl" or "crt.sh id 123"


@dataclass(frozen=True)
class Registered:
    """One organisation's part of the registry as discovery sees it."""

    organisation: str
    domains: tuple[str, ...]  # registered domain names
    targets: tuple[str, ...]  # the names its tests run on (web hosts, mail domains)


def clean(name: str) -> str | None:
    """A host name as sources give it, in the registry's spelling; None when it is none
    (an address, an e-mail address, a name with a wildcard label inside it)."""
    name = name.strip().rstrip(".").lower()
    if name.startswith("*."):
        name = name[2:]
    if not name or "*" in name or "@" in name or " " in name or "." not in name:
        return None
    if all(part.isdigit() for part in name.split(".")) or ":" in name:
        return None
    try:
        name = name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError:
        return None
    labels = name.split(".")
    # a label starting with "_" is a service name (_dmarc, _25._tcp), not a host
    if any(not label or len(label) > 63 or label.startswith("_") for label in labels) \
            or len(name) > 253:
        return None
    return name


def under(name: str, domain: str) -> bool:
    return name == domain or name.endswith("." + domain)


class Owners:
    """Which organisation a name belongs to: the one whose registered domain (or that
    domain's organisational domain) is the longest suffix of the name."""

    def __init__(self, registered: list[Registered], zones: dict[str, str]) -> None:
        self.known = {t for r in registered for t in (*r.domains, *r.targets)}
        self._by_suffix: dict[str, str] = {}
        for r in registered:
            for domain in r.domains:
                self._by_suffix.setdefault(domain, r.organisation)
        for domain, organisation in zones.items():
            self._by_suffix.setdefault(domain, organisation)

    def owner(self, name: str) -> str | None:
        labels = name.split(".")
        for i in range(len(labels) - 1):
            found = self._by_suffix.get(".".join(labels[i:]))
            if found is not None:
                return found
        return None

    def candidate(self, name: str, source: str, note: str) -> Found | None:
        """A Found for a name that lies under an organisation's domain and is not known."""
        cleaned = clean(name)
        if cleaned is None or cleaned in self.known:
            return None
        organisation = self.owner(cleaned)
        if organisation is None:
            return None
        return Found(cleaned, organisation, source, note)
