"""Domain names as users type them: checked, IDN converted to punycode (IDNA 2008, UTS #46)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import idna

from meting.registry.messages import said
from meting.words import Said

MAX_NAME = 253
# Letters, digits and inner hyphens, no "--" at the third and fourth place (so no punycode):
# IDNA would give such a name back as it is, in lower case; a list of 900,000 such names
# is read in half the time without it.
PLAIN_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
PLAIN_NAME = re.compile(rf"{PLAIN_LABEL}(?:\.{PLAIN_LABEL})+", re.IGNORECASE | re.ASCII)


class BadDomainName(Said, ValueError):
    """A name that cannot be a host or domain name; the message says why (in Dutch and
    English)."""


def normalise(text: str) -> str:
    """The ASCII (punycode) form of a domain name, lower case, without a trailing dot."""
    name = text.strip().rstrip(".")
    if not name:
        raise BadDomainName(said("name_empty"))
    if "." not in name:
        raise BadDomainName(said("no_dot", text=repr(text)))
    if len(name) > MAX_NAME:
        raise BadDomainName(said("domain_too_long", text=repr(text), limit=MAX_NAME))
    if PLAIN_NAME.fullmatch(name) and not any(label[2:4] == "--" for label in name.split(".")):
        return name.lower()
    try:
        ascii_name = idna.encode(name, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise BadDomainName(said("not_a_domain_name", text=repr(text), detail=str(exc))) \
            from exc
    if len(ascii_name) > MAX_NAME:
        raise BadDomainName(said("domain_too_long", text=repr(text), limit=MAX_NAME))
    return ascii_name.lower()


def display(ascii_name: str) -> str:
    """The Unicode form for people; the ASCII form when it does not decode."""
    try:
        return str(idna.decode(ascii_name))
    except idna.IDNAError:
        return ascii_name


@dataclass(frozen=True)
class TypedTarget:
    """A name as a person typed it, and the web host or mail domain taken from it."""

    typed: str
    name: str  # ASCII, lower case, no trailing dot
    taken_from: str  # "name", "url", "host_port_path" or "email"

    @property
    def changed(self) -> bool:
        return self.typed.strip() != self.name


def target_from(text: str, kind: str) -> TypedTarget:
    """The web host (``kind`` web) or mail domain (mail) in a URL, a host with a port or
    path, an e-mail address, or a plain name (any case, trailing dot, Unicode)."""
    raw = text.strip()
    if "://" in raw:
        try:
            host, how = urlsplit(raw).hostname or "", "url"
        except ValueError as exc:
            raise BadDomainName(said("not_a_url", text=repr(text), detail=str(exc))) from exc
    elif "@" in raw:
        host, how = raw.rsplit("@", 1)[1], "email"
    else:
        host = re.split(r"[/?#]", raw, maxsplit=1)[0]
        how = "name"
        if host.startswith("[") and "]" in host:  # [IPv6]:port
            host = host[1:host.index("]")]
        elif re.fullmatch(r"[^:]+:\d+", host):
            host = host.rsplit(":", 1)[0]
        if host != raw:
            how = "host_port_path"
    if is_address(host.strip("[]")):
        raise BadDomainName(said("address_not_name", text=repr(text),
                                 target=said("target_web" if kind == "web" else "target_mail")))
    return TypedTarget(raw, normalise(host), how)


def is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
