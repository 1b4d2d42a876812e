"""Domain names as users type them: checked, IDN converted to punycode (IDNA 2008, UTS #46)."""

from __future__ import annotations

import idna

MAX_NAME = 253


class BadDomainName(ValueError):
    """A name that cannot be a host or domain name; the message says why."""


def normalise(text: str) -> str:
    """The ASCII (punycode) form of a domain name, lower case, without a trailing dot."""
    name = text.strip().rstrip(".")
    if not name:
        raise BadDomainName("empty domain name")
    if "." not in name:
        raise BadDomainName(f"{text!r} has no dot: give a full domain name such as example.nl")
    if len(name) > MAX_NAME:
        raise BadDomainName(f"{text!r} is longer than {MAX_NAME} characters")
    try:
        ascii_name = idna.encode(name, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise BadDomainName(f"{text!r} is not a valid domain name: {exc}") from exc
    if len(ascii_name) > MAX_NAME:
        raise BadDomainName(f"{text!r} is longer than {MAX_NAME} characters")
    return ascii_name.lower()


def display(ascii_name: str) -> str:
    """The Unicode form for people; the ASCII form when it does not decode."""
    try:
        return str(idna.decode(ascii_name))
    except idna.IDNAError:
        return ascii_name
