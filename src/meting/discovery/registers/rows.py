"""What a register says, row by row, and reading its data file."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import yaml

from meting.records.psl import organisational_domain
from meting.registry.names import BadDomainName, normalise
from meting.registry.problems import Problems

REGISTERS = ("roo", "websiteregister", "rio")


@dataclass(frozen=True)
class RegisterRow:
    """One organisation, and optionally one of its domains, as a register gives it."""

    line: int
    organisation: str
    category: str | None  # None: the register does not say (kept, or overig when new)
    parent: str | None
    domain: str | None = None  # punycode
    web_host: str | None = None  # None: www.<domain>
    web: bool = False
    mail: bool = False


@cache
def data(register: str) -> dict[str, Any]:
    text = resources.files("meting.discovery").joinpath("data/registers.yaml").read_text()
    loaded = yaml.safe_load(text)
    return dict(loaded[register])


def site_of(url: str, line: int, problems: Problems,
            column: str | None = None) -> tuple[str, str | None] | None:
    """(registered domain, explicit web host or None) of a website's URL or host name."""
    text = url.strip()
    if not text:
        return None
    host = urlsplit(text if "://" in text else f"https://{text}").hostname or ""
    try:
        host = normalise(host)
    except BadDomainName as exc:
        problems.error(line, column, f"{url!r} is not a website address ({exc})")
        return None
    domain = organisational_domain(host)
    return domain, None if host in (domain, f"www.{domain}") else host


def header_index(header: list[str], columns: dict[str, list[str]], line: int,
                 problems: Problems, required: tuple[str, ...]) -> dict[str, int]:
    """Field -> column number, from the header's names (any case)."""
    found: dict[str, int] = {}
    words = [cell.strip().casefold() for cell in header]
    for name, aliases in columns.items():
        for i, word in enumerate(words):
            if word in aliases:
                found.setdefault(name, i)
    missing = [name for name in required if name not in found]
    if missing:
        problems.error(line, None, "the header names no column for " + ", ".join(
            f"{m} ({' or '.join(columns[m])})" for m in missing))
    return found


def category_of_type(text: str) -> str:
    return str(data("roo")["types"].get(text.strip().casefold(), "overig"))
