"""Organisational domains via the Public Suffix List (RFC 7489 §3.2)."""

from __future__ import annotations

from functools import lru_cache

from publicsuffixlist import PublicSuffixList


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    # The package ships its own list; loading it takes a moment, so load once.
    return PublicSuffixList()


def _normalise(name: str) -> str:
    return name.strip().rstrip(".").lower()


def organisational_domain(name: str) -> str:
    """The registered domain of `name` (public suffix plus one label).

    A name that is itself a public suffix is its own organisational domain.
    """
    name = _normalise(name)
    private = _psl().privatesuffix(name)
    return str(private) if private else name


def dmarc_lookup_names(domain: str) -> list[str]:
    """`_dmarc.<domain>`, then `_dmarc.<organisational domain>` when different."""
    domain = _normalise(domain)
    names = [f"_dmarc.{domain}"]
    org = organisational_domain(domain)
    if org != domain:
        names.append(f"_dmarc.{org}")
    return names
