"""Organisational domains via the Public Suffix List (RFC 7489 §3.2)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from publicsuffixlist import PublicSuffixList

PSL_URL = "https://publicsuffix.org/list/public_suffix_list.dat"


class PslError(ValueError):
    """A file that is not a usable Public Suffix List."""


def local_list() -> Path:
    """Where `meting psl update` keeps a newer list than the one the package ships."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    default = Path(base) / "meting" / "public_suffix_list.dat"
    return Path(os.environ.get("METING_PSL_FILE", default))


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    # The package ships a list; a newer one saved by `meting psl update` takes its place.
    path = local_list()
    if path.is_file():
        with path.open("rb") as source:
            return PublicSuffixList(source)
    return PublicSuffixList()


def install(text: str) -> Path:
    """Check a downloaded or given list and make it the one used; returns where it went."""
    if "// ===BEGIN ICANN DOMAINS===" not in text:
        raise PslError("not a Public Suffix List: the ICANN section marker is missing")
    candidate = PublicSuffixList(text.splitlines())
    checks = (("www.example.nl", "example.nl"), ("a.b.example.co.uk", "example.co.uk"))
    for probe, expected in checks:
        if candidate.privatesuffix(probe) != expected:
            raise PslError(f"the list gives {candidate.privatesuffix(probe)!r} for {probe}, "
                           f"not {expected!r}")
    path = local_list()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    _psl.cache_clear()
    return path


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
