"""One row of a list file: its cells checked and turned into a (draft) ListEntry.

A draft's umbrella is None when the row leaves it empty; the organisation's
umbrella is settled over all its rows afterwards (see ``merge``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

from meting import limits
from meting.registry import vocabulary as words
from meting.registry.entry import ListEntry
from meting.registry.names import BadDomainName, normalise
from meting.registry.problems import Problems
from meting.textfile import name_problem

T = TypeVar("T")


class CellError(ValueError):
    """A cell that cannot be read; the message is the reason shown to the user."""


@dataclass(frozen=True)
class Header:
    line: int
    positions: dict[str, int]  # field → column index
    names: dict[str, str]  # field → the header name as written
    width: int


def read_header(line: int, cells: list[str], problems: Problems) -> Header | None:
    """The columns of the list; None (with errors) when a required one is missing."""
    positions: dict[str, int] = {}
    names: dict[str, str] = {}
    for index, cell in enumerate(cells):
        name = cell.strip()
        if not name:
            continue
        field = words.header_fields().get(words.header_key(name))
        if field is None:
            problems.warn(line, name, f"{name!r} is not a column of a registry list; "
                          f"it is ignored (columns: {', '.join(words.FIELDS)})")
        elif field in positions:
            problems.error(line, name, f"columns {names[field]!r} and {name!r} both give "
                           f"the {field}; keep one")
        else:
            positions[field], names[field] = index, name
    missing = [f for f in words.required_fields() if f not in positions]
    for field in missing:
        accepted = ", ".join(words.columns()["headers"][field])
        problems.error(line, None, f"the header has no {field} column (names accepted: "
                       f"{accepted}); the header must be the first line")
    if missing:
        return None
    return Header(line, positions, names, len(cells))


def read_row(header: Header, line: int, cells: list[str],
             problems: Problems) -> tuple[ListEntry, bool]:
    """The row as a draft entry and whether it is good; a bad row's problems are reported.

    A bad row's cells that could be read are kept: its organisation's category
    still counts when the organisation's rows are compared.
    """
    if any(c.strip() for c in cells[header.width:]):
        # the cells are shifted: what they say in each column means nothing
        problems.error(line, None, f"the row has more cells than the header has columns "
                       f"({header.width}); is a comma in a name not quoted?")
        return ListEntry(line, "", "", "", True, None, True, None, None, ()), False
    before = problems.error_count

    def cell(field: str) -> str:
        index = header.positions.get(field)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    def parse(field: str, parser: Callable[[str], T], default: T) -> T:
        try:
            return parser(cell(field))
        except CellError as exc:
            problems.error(line, header.names.get(field), str(exc))
            return default

    organisation = parse("organisation", organisation_name, "")
    category = parse("category", category_id, "")
    domain = parse("domain", domain_name, "")
    no_host: tuple[bool, str | None] = (True, None)
    web, web_host = parse("web_host", web_role, no_host)
    mail = parse("mail", mail_role, True)
    umbrella = umbrella_name(parse("umbrella", lambda t: checked(t, limits.UMBRELLA, "umbrella"),
                                   ""), line, header.names.get("umbrella"), problems)
    if web_host and domain:
        web_host = settle_web_host(web_host, domain, line, header.names["web_host"], problems)
    if not web and not mail:
        problems.error(line, header.names.get("web_host"), "the domain has neither a web "
                       "nor a mail role, so nothing would be tested; leave the web host "
                       "empty or set mail to yes")
    entry = ListEntry(line=line, organisation=organisation, category=category, domain=domain,
                      web=web, web_host=web_host, mail=mail, umbrella=umbrella,
                      provider=parse("provider", provider_name, None),
                      sets=parse("sets", set_names, ()),
                      parent=parse("parent", parent_name, None))
    return entry, problems.error_count == before


def organisation_name(text: str) -> str:
    name = " ".join(text.split())
    if not name:
        raise CellError("the organisation is empty")
    return checked(name, limits.ORGANISATION, "organisation")


def checked(text: str, limit: int, what: str) -> str:
    """``text``, or CellError when it holds NUL or control characters or is too long."""
    problem = name_problem(text, limit, what)
    if problem is not None:
        raise CellError(problem)
    return text


def category_id(text: str) -> str:
    if not text:
        raise CellError(f"the category is empty; use one of {category_choices()}")
    category = words.category_of(text)
    if category is None:
        raise CellError(f"unknown category {text!r}; use one of {category_choices()}")
    return category


def category_choices() -> str:
    return ", ".join(f"{ident} ({about['label']})"
                     for ident, about in words.categories()["categories"].items())


def host_of_url(text: str) -> str | None:
    """The host named in a pasted URL (https://www.x.nl/path), None if it is no URL."""
    if "://" not in text and "/" not in text:
        return None
    split = urlsplit(text if "://" in text else f"//{text}")
    return split.hostname or text


def domain_name(text: str) -> str:
    if not text:
        raise CellError("the domain is empty")
    host = host_of_url(text)
    if host is not None:
        raise CellError(f"{text!r} is a web address; give the domain name only, "
                        f"e.g. {host.removeprefix('www.')}")
    if "@" in text:
        raise CellError(f"{text!r} is an e-mail address; give the domain name only, "
                        f"e.g. {text.rpartition('@')[2]}")
    if text.lower().startswith("www."):
        raise CellError(f"{text!r} is a web host; give the registered domain "
                        f"{text[4:]} (the web test runs on www.{text[4:]} by itself)")
    return host_name(text)


def host_name(text: str) -> str:
    """A host or domain name in punycode; CellError says why it is not one."""
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        pass
    else:
        raise CellError(f"{text!r} is an IP address, not a domain name")
    try:
        name = normalise(text)
    except BadDomainName as exc:
        raise CellError(str(exc)) from exc
    if re.fullmatch(r"[0-9]+", name.rpartition(".")[2]):
        raise CellError(f"{text!r} is not a domain name: its top-level domain is a number")
    return name


def web_role(text: str) -> tuple[bool, str | None]:
    """(web test or not, explicit web host or None)."""
    if not text:
        return True, None
    if words.means_no_web(text):
        return False, None
    host = host_of_url(text)
    if host is not None:
        raise CellError(f"{text!r} is a web address; give the host name only, e.g. {host}")
    return True, host_name(text)


def settle_web_host(host: str, domain: str, line: int, column: str,
                    problems: Problems) -> str | None:
    """The explicit host, None when it is the default www.<domain>."""
    if host == f"www.{domain}":
        return None
    if host != domain and not host.endswith(f".{domain}"):
        problems.warn(line, column, f"web host {host} is not under the domain {domain}; "
                      "it is tested as given")
    return host


def provider_name(text: str) -> str | None:
    return checked(" ".join(text.split()), limits.PROVIDER, "provider") or None


def parent_name(text: str) -> str | None:
    return checked(" ".join(text.split()), limits.ORGANISATION, "parent organisation") or None


def mail_role(text: str) -> bool:
    if not text:
        return True
    value = words.truth_of(text)
    if value is None:
        raise CellError(f"{text!r} is not yes or no (yes/no, ja/nee, 1/0, true/false; "
                        "empty means yes)")
    return value


def umbrella_name(text: str, line: int, column: str | None, problems: Problems) -> str | None:
    if not text:
        return None
    known = words.umbrella_of(text)
    if known is not None:
        return known
    name = " ".join(text.split())
    problems.warn(line, column, f"{name!r} is not a known umbrella organisation "
                  f"({', '.join(words.categories()['umbrellas'])}); it is kept as written")
    return name


def set_names(text: str) -> tuple[str, ...]:
    first, *others = words.set_separators()
    for separator in others:
        text = text.replace(separator, first)
    names = (checked(set_name(part), limits.SET_NAME, "set name")
             for part in text.split(first))
    return tuple(dict.fromkeys(name for name in names if name))


def set_name(text: str) -> str:
    """A domain set's name as stored: lower case, single spaces."""
    return " ".join(text.split()).casefold()
