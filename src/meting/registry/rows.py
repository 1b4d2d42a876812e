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
from meting.registry.messages import field as field_name
from meting.registry.messages import said
from meting.registry.names import BadDomainName, normalise
from meting.registry.problems import Problems
from meting.textfile import name_fault
from meting.words import Said

T = TypeVar("T")


class CellError(Said, ValueError):
    """A cell that cannot be read; the message is the reason shown to the user (in Dutch
    and English)."""


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
            problems.warn(line, name, said("unknown_column", name=repr(name), columns=[
                field_name(f) for f in words.FIELDS]))
        elif field in positions:
            problems.error(line, name, said("column_twice", first=repr(names[field]),
                                            second=repr(name), field=field_name(field)))
        else:
            positions[field], names[field] = index, name
    missing = [f for f in words.required_fields() if f not in positions]
    for field in missing:
        accepted = ", ".join(words.columns()["headers"][field])
        problems.error(line, None, said("column_missing", field=field_name(field),
                                        accepted=accepted))
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
        problems.error(line, None, said("too_many_cells", width=header.width))
        return ListEntry(line, "", "", "", True, None, True, None, None, ()), False
    before = problems.error_count

    def cell(field: str) -> str:
        index = header.positions.get(field)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    def parse(field: str, parser: Callable[[str], T], default: T) -> T:
        try:
            return parser(cell(field))
        except CellError as exc:
            problems.error(line, header.names.get(field), exc.message)
            return default

    organisation = parse("organisation", organisation_name, "")
    category = parse("category", category_id, "")
    domain = parse("domain", domain_name, "")
    no_host: tuple[bool, str | None] = (True, None)
    web, web_host = parse("web_host", web_role, no_host)
    mail = parse("mail", mail_role, True)
    umbrella = umbrella_name(parse("umbrella", lambda t: checked(t, limits.UMBRELLA,
                                                                 "what_umbrella"), ""),
                             line, header.names.get("umbrella"), problems)
    if web_host and domain:
        web_host = settle_web_host(web_host, domain, line, header.names["web_host"], problems)
    if not web and not mail:
        problems.error(line, header.names.get("web_host"), said("no_role"))
    entry = ListEntry(line=line, organisation=organisation, category=category, domain=domain,
                      web=web, web_host=web_host, mail=mail, umbrella=umbrella,
                      provider=parse("provider", provider_name, None),
                      sets=parse("sets", set_names, ()),
                      parent=parse("parent", parent_name, None))
    return entry, problems.error_count == before


def organisation_name(text: str) -> str:
    name = " ".join(text.split())
    if not name:
        raise CellError(said("organisation_empty"))
    return checked(name, limits.ORGANISATION, "what_organisation")


def checked(text: str, limit: int, what: str) -> str:
    """``text``, or CellError when it holds NUL or control characters or is too long
    (``what`` is the key of the name's words, e.g. what_organisation)."""
    fault = name_fault(text, limit)
    if fault is not None:
        reason, values = fault
        raise CellError(said(f"name_{reason}", what=said(what), **values))
    return text


def category_id(text: str) -> str:
    if not text:
        raise CellError(said("category_empty", choices=category_choices()))
    category = words.category_of(text)
    if category is None:
        raise CellError(said("category_unknown", text=repr(text), choices=category_choices()))
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
        raise CellError(said("domain_empty"))
    host = host_of_url(text)
    if host is not None:
        raise CellError(said("domain_is_url", text=repr(text), example=host.removeprefix("www.")))
    if "@" in text:
        raise CellError(said("domain_is_email", text=repr(text),
                             example=text.rpartition("@")[2]))
    if text.lower().startswith("www."):
        raise CellError(said("domain_is_web_host", text=repr(text), domain=text[4:],
                             host=f"www.{text[4:]}"))
    return host_name(text)


def host_name(text: str) -> str:
    """A host or domain name in punycode; CellError says why it is not one."""
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        pass
    else:
        raise CellError(said("ip_address", text=repr(text)))
    try:
        name = normalise(text)
    except BadDomainName as exc:
        raise CellError(exc.message) from exc
    if re.fullmatch(r"[0-9]+", name.rpartition(".")[2]):
        raise CellError(said("numeric_tld", text=repr(text)))
    return name


def web_role(text: str) -> tuple[bool, str | None]:
    """(web test or not, explicit web host or None)."""
    if not text:
        return True, None
    if words.means_no_web(text):
        return False, None
    host = host_of_url(text)
    if host is not None:
        raise CellError(said("host_is_url", text=repr(text), host=host))
    return True, host_name(text)


def settle_web_host(host: str, domain: str, line: int, column: str,
                    problems: Problems) -> str | None:
    """The explicit host, None when it is the default www.<domain>."""
    if host == f"www.{domain}":
        return None
    if host != domain and not host.endswith(f".{domain}"):
        problems.warn(line, column, said("host_elsewhere", host=host, domain=domain))
    return host


def provider_name(text: str) -> str | None:
    return checked(" ".join(text.split()), limits.PROVIDER, "what_provider") or None


def parent_name(text: str) -> str | None:
    return checked(" ".join(text.split()), limits.ORGANISATION, "what_parent") or None


def mail_role(text: str) -> bool:
    if not text:
        return True
    value = words.truth_of(text)
    if value is None:
        raise CellError(said("not_yes_or_no", text=repr(text)))
    return value


def umbrella_name(text: str, line: int, column: str | None, problems: Problems) -> str | None:
    if not text:
        return None
    known = words.umbrella_of(text)
    if known is not None:
        return known
    name = " ".join(text.split())
    problems.warn(line, column, said("unknown_umbrella", name=repr(name),
                                     known=list(words.categories()["umbrellas"])))
    return name


def set_names(text: str) -> tuple[str, ...]:
    first, *others = words.set_separators()
    for separator in others:
        text = text.replace(separator, first)
    names = (checked(set_name(part), limits.SET_NAME, "what_set")
             for part in text.split(first))
    return tuple(dict.fromkeys(name for name in names if name))


def set_name(text: str) -> str:
    """A domain set's name as stored: lower case, single spaces."""
    return " ".join(text.split()).casefold()
