"""Rows that belong together: one organisation over many rows, one domain given twice.

An organisation has one category, umbrella and provider: rows may leave the
umbrella or provider empty (the value another row gives is used; an empty
umbrella then falls back to the category's default), but two different values
are an error. A domain given twice for the same organisation is merged with a
warning (its sets united) when the rows agree on its roles; a domain given for
two organisations, or with different roles, is an error naming both lines, and
none of its rows is kept.
"""

from __future__ import annotations

from dataclasses import replace

from meting.registry import vocabulary as words
from meting.registry.entry import ListEntry
from meting.registry.messages import field, said
from meting.registry.problems import Problems
from meting.words import Message


def organisation_key(name: str) -> str:
    """One rule for 'the same organisation', within a list and across imports: case and
    spacing do not count (the first spelling stored is kept)."""
    return " ".join(name.split()).casefold()


def settle_organisations(drafts: list[tuple[ListEntry, bool]],
                         problems: Problems) -> list[ListEntry]:
    """The good rows with their organisation's one spelling, category, umbrella and provider.

    Bad rows take part in the comparison with what they could give.
    """
    rows: dict[str, list[tuple[ListEntry, bool]]] = {}
    for draft, ok in drafts:
        if draft.organisation:
            rows.setdefault(organisation_key(draft.organisation), []).append((draft, ok))
    settled = [entry for group in rows.values() for entry in settle_group(group, problems)]
    return sorted(settled, key=lambda entry: entry.line)


def settle_group(group: list[tuple[ListEntry, bool]], problems: Problems) -> list[ListEntry]:
    """The good rows of one organisation's rows (in line order), settled; none when its
    rows disagree (reported) or every row's category was bad (reported before)."""
    drafts = [draft for draft, _ in group]
    try:
        category, umbrella, provider, parent = (
            agreed_value(drafts, attribute, problems)
            for attribute in ("category", "umbrella", "provider", "parent"))
    except Conflict:
        return []
    if category is None:
        return []
    return [replace(row, organisation=drafts[0].organisation, category=category,
                    umbrella=umbrella or words.default_umbrella(category),
                    provider=provider, parent=parent)
            for row, ok in group if ok]


class Conflict(Exception):
    """Rows of one organisation disagree (already reported)."""


def agreed_value(group: list[ListEntry], attribute: str, problems: Problems) -> str | None:
    """The one value the rows give, None when none gives one."""
    first: ListEntry | None = None
    for row in group:
        value = getattr(row, attribute)
        if not value:
            continue
        if first is None:
            first = row
        elif value != getattr(first, attribute):
            problems.error(row.line, None, said(
                "organisation_disagrees", organisation=repr(row.organisation),
                field=field(attribute), first=repr(getattr(first, attribute)),
                line=str(first.line), value=repr(value)))
            raise Conflict
    return None if first is None else str(getattr(first, attribute))


def merge_domains(entries: list[ListEntry], problems: Problems) -> list[ListEntry]:
    """One entry per domain, in the order of first appearance."""
    rows: dict[str, list[ListEntry]] = {}
    for entry in entries:
        rows.setdefault(entry.domain, []).append(entry)
    merged = [merge_rows(group, problems) for group in rows.values()]
    return [entry for entry in merged if entry is not None]


def merge_rows(group: list[ListEntry], problems: Problems) -> ListEntry | None:
    first, sets = group[0], list(group[0].sets)
    for row in group[1:]:
        if organisation_key(row.organisation) != organisation_key(first.organisation):
            problems.error(row.line, None, said(
                "domain_two_organisations", domain=row.domain, line=str(first.line),
                first=repr(first.organisation), other=repr(row.organisation)))
            return None
        if roles(row) != roles(first):
            problems.error(row.line, None, said(
                "domain_other_roles", domain=row.domain, line=str(first.line),
                there=describe(first), here=describe(row)))
            return None
        problems.warn(row.line, None, said("domain_twice", domain=row.domain,
                                           line=str(first.line)))
        sets += [name for name in row.sets if name not in sets]
    return replace(first, sets=tuple(sets))


def roles(entry: ListEntry) -> tuple[bool, str | None, bool]:
    return entry.web, entry.web_host, entry.mail


def describe(entry: ListEntry) -> Message:
    web = said("role_web_on", host=entry.web_target) if entry.web_target else \
        said("role_no_web")
    return said("roles", web=web, mail=said("role_mail" if entry.mail else "role_no_mail"))
