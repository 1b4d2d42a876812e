"""A registry list imported through the database, so that memory stays flat in its rows.

The rows are staged in temporary tables in chunks as the file is read; the checks across
rows run one organisation, then one domain, at a time over the staged rows in sorted
order (the same functions as for a list read whole); the result is merged into the
registry with a few statements of SQL. All of it is one transaction: a list with an error
anywhere (unless the good rows are wanted) changes nothing, and the temporary tables go.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    Table,
    Text,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session

from meting.registry.entry import ListEntry
from meting.registry.merge import merge_rows, organisation_key, settle_group
from meting.registry.problems import Problems
from meting.store.models import Organisation
from meting.store.records import DomainConflict, ImportSummary

CHUNK = 2_000  # rows per statement and per fetch
SEPARATOR = "\x1f"  # between set names in one column; names never hold control characters
CONFLICTS_SHOWN = 200

_meta = MetaData()


def _rows_table(name: str) -> Table:
    return Table(
        name, _meta,
        Column("line", Integer, primary_key=True),
        Column("ok", Boolean),
        Column("organisation", Text), Column("org_key", Text), Column("category", Text),
        Column("domain", Text), Column("web", Boolean), Column("web_host", Text),
        Column("mail", Boolean), Column("umbrella", Text), Column("provider", Text),
        Column("parent", Text), Column("sets", Text),
        Column("org_id", Integer), Column("domain_id", Integer),
        Column("added", Integer, default=0), Column("changed", Integer, default=0),
        prefixes=["TEMPORARY"])


DRAFTS = _rows_table("import_drafts")  # every row of the file
SETTLED = _rows_table("import_settled")  # the good rows, their organisation settled
ENTRIES = _rows_table("import_entries")  # one per domain: what is merged into the store
SETS = Table("import_sets", _meta, Column("domain", Text), Column("name", Text),
             Column("domain_id", Integer), Column("set_id", Integer), prefixes=["TEMPORARY"])
ORGS = Table("import_orgs", _meta, Column("org_key", Text, primary_key=True),
             Column("name", Text), Column("category", Text), Column("umbrella", Text),
             Column("provider", Text), Column("parent", Text), Column("id", Integer),
             prefixes=["TEMPORARY"])
KNOWN = Table("import_known", _meta, Column("org_key", Text), Column("id", Integer),
              prefixes=["TEMPORARY"])
TABLES = (DRAFTS, SETTLED, ENTRIES, SETS, ORGS, KNOWN)
INDEXES = ("CREATE INDEX import_drafts_org ON import_drafts (org_key, line)",
           "CREATE INDEX import_settled_domain ON import_settled (domain, line)",
           "CREATE INDEX import_entries_domain ON import_entries (domain)",
           "CREATE INDEX import_entries_domain_id ON import_entries (domain_id)",
           "CREATE INDEX import_sets_domain ON import_sets (domain)",
           "CREATE INDEX import_sets_ids ON import_sets (domain_id, set_id)",
           "CREATE INDEX import_orgs_id ON import_orgs (id)",
           "CREATE INDEX import_known_key ON import_known (org_key)")


@dataclass(frozen=True)
class ListImport:
    """What an import did: ``summary`` is None when nothing was stored (the list had
    errors and not only its good rows were wanted, or it had no rows to store)."""

    domains: int
    summary: ImportSummary | None


def import_list(session: Session, drafts: Iterable[tuple[ListEntry, bool]],
                problems: Problems, good_rows: bool) -> ListImport:
    """Stage, check and (when the list may be stored) merge; the caller commits."""
    _drop(session)
    for table in TABLES:
        table.create(session.connection())
    _stage(session, drafts)
    session.execute(text(INDEXES[0]))
    _settle(session, problems)
    session.execute(text(INDEXES[1]))
    _merge_domains(session, problems)
    for statement in INDEXES[2:]:
        session.execute(text(statement))
    domains = session.scalar(select(text("count(*)")).select_from(ENTRIES)) or 0
    stored = None
    if domains and not (problems.error_count and not good_rows):
        stored = _store(session)
    _drop(session)  # after a failure, the rollback takes them (or the next import does)
    return ListImport(domains, stored)


def _drop(session: Session) -> None:
    for table in TABLES:
        session.execute(text(f"DROP TABLE IF EXISTS {table.name}"))


def _values(entry: ListEntry, ok: bool = True) -> dict[str, Any]:
    return {"line": entry.line, "ok": ok, "organisation": entry.organisation,
            "org_key": organisation_key(entry.organisation), "category": entry.category,
            "domain": entry.domain, "web": entry.web, "web_host": entry.web_host,
            "mail": entry.mail, "umbrella": entry.umbrella, "provider": entry.provider,
            "parent": entry.parent, "sets": SEPARATOR.join(entry.sets)}


def _entry(row: Any) -> ListEntry:
    return ListEntry(line=row.line, organisation=row.organisation, category=row.category,
                     domain=row.domain, web=bool(row.web), web_host=row.web_host,
                     mail=bool(row.mail), umbrella=row.umbrella, provider=row.provider,
                     sets=tuple(row.sets.split(SEPARATOR)) if row.sets else (),
                     parent=row.parent)


def _insert(session: Session, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    rows = iter(rows)
    while chunk := list(itertools.islice(rows, CHUNK)):
        session.execute(insert(table), chunk)


def _stage(session: Session, drafts: Iterable[tuple[ListEntry, bool]]) -> None:
    _insert(session, DRAFTS, (_values(draft, ok) for draft, ok in drafts))


def _sorted(session: Session, table: Table, *order: str) -> Iterator[Any]:
    """The staged rows in order, fetched in chunks (never all at once)."""
    query = select(table).order_by(*(table.c[name] for name in order))
    if table is DRAFTS:
        query = query.where(table.c.organisation != "")
    result = session.execute(query, execution_options={"stream_results": True,
                                                       "yield_per": CHUNK})
    for chunk in result.partitions():
        yield from chunk


def _settle(session: Session, problems: Problems) -> None:
    """One organisation at a time: its rows agree, or none of them is kept."""
    def settled() -> Iterator[dict[str, Any]]:
        for _, rows in itertools.groupby(_sorted(session, DRAFTS, "org_key", "line"),
                                         key=lambda row: row.org_key):
            group = [(_entry(row), bool(row.ok)) for row in rows]
            yield from (_values(entry) for entry in settle_group(group, problems))
    _insert(session, SETTLED, settled())


def _merge_domains(session: Session, problems: Problems) -> None:
    """One domain at a time: a domain given twice is merged, or dropped when it conflicts."""
    def merged() -> Iterator[dict[str, Any]]:
        for _, rows in itertools.groupby(_sorted(session, SETTLED, "domain", "line"),
                                         key=lambda row: row.domain):
            entry = merge_rows([_entry(row) for row in rows], problems)
            if entry is not None:
                yield _values(entry)
    _insert(session, ENTRIES, merged())
    _insert(session, SETS, ({"domain": row.domain, "name": name}
                            for row in _sorted(session, ENTRIES, "line")
                            for name in (row.sets.split(SEPARATOR) if row.sets else ())))


def _store(session: Session) -> ImportSummary:
    """Merge the checked entries into the registry (the statements of ``MERGE``)."""
    _know_organisations(session)
    for statement in RESOLVE:
        session.execute(text(statement))
    _refuse_conflicts(session)
    counts = {name: session.scalar(text(query)) or 0 for name, query in COUNTS.items()}
    for statement in MERGE:
        session.execute(text(statement))
    counts["domains_updated"] = session.scalar(text(
        "SELECT count(*) FROM import_entries WHERE changed = 1 AND added = 0")) or 0
    return ImportSummary(**counts)


def _know_organisations(session: Session) -> None:
    """The stored organisations by the key of their name (the rule is Python's casefold,
    which SQL has no equal of), so that a list's spelling finds the stored one."""
    stored = session.execute(select(Organisation.id, Organisation.name),
                             execution_options={"stream_results": True, "yield_per": CHUNK})
    _insert(session, KNOWN, ({"org_key": organisation_key(name), "id": ident}
                             for chunk in stored.partitions() for ident, name in chunk))


def _refuse_conflicts(session: Session) -> None:
    conflicts = session.execute(text(CONFLICTS + f" ORDER BY e.domain LIMIT {CONFLICTS_SHOWN}"))
    shown = [(domain, stored, listed) for domain, stored, listed in conflicts]
    if shown:
        total = session.scalar(text(f"SELECT count(*) FROM ({CONFLICTS}) AS c")) or 0
        raise DomainConflict(shown, more=total - len(shown))


# Each organisation of the list once, by its stored spelling when it is stored.
RESOLVE: Sequence[str] = (
    """INSERT INTO import_orgs (org_key, name, category, umbrella, provider, parent)
       SELECT org_key, min(organisation), min(category), min(umbrella), min(provider),
              min(parent)
       FROM import_entries GROUP BY org_key""",
    """UPDATE import_orgs SET id = (SELECT min(k.id) FROM import_known k
                                    WHERE k.org_key = import_orgs.org_key)""",
    """UPDATE import_orgs SET name = (SELECT o.name FROM organisations o
                                      WHERE o.id = import_orgs.id)
       WHERE id IS NOT NULL""",
    """UPDATE import_entries SET domain_id = (SELECT d.id FROM domains d
                                              WHERE d.name = import_entries.domain)""",
    """UPDATE import_entries SET added = 1 WHERE domain_id IS NULL""",
)

# A listed domain stored for another organisation.
CONFLICTS = """SELECT e.domain AS domain, o.name AS stored, io.name AS listed
    FROM import_entries e JOIN domains d ON d.id = e.domain_id
    JOIN organisations o ON o.id = d.organisation_id
    JOIN import_orgs io ON io.org_key = e.org_key
    WHERE io.id IS NULL OR io.id <> d.organisation_id"""

ORG_CHANGED = """io.id IS NOT NULL AND EXISTS (SELECT 1 FROM organisations o
    WHERE o.id = io.id AND (o.category <> io.category
        OR coalesce(o.umbrella, '') <> coalesce(io.umbrella, '')
        OR coalesce(o.provider, '') <> coalesce(io.provider, '')
        OR coalesce(o.parent, '') <> coalesce(io.parent, '')))"""

COUNTS = {
    "organisations_added": "SELECT count(*) FROM import_orgs WHERE id IS NULL",
    "organisations_updated": f"SELECT count(*) FROM import_orgs io WHERE {ORG_CHANGED}",
    "domains_added": "SELECT count(*) FROM import_entries WHERE added = 1",
    "sets_added": """SELECT count(DISTINCT name) FROM import_sets
                     WHERE name NOT IN (SELECT name FROM domain_sets)""",
}

MERGE: Sequence[str] = (
    # organisations: the changed ones take the list's values, the new ones are added
    f"""UPDATE organisations SET
        category = (SELECT io.category FROM import_orgs io WHERE io.id = organisations.id),
        umbrella = (SELECT io.umbrella FROM import_orgs io WHERE io.id = organisations.id),
        provider = (SELECT io.provider FROM import_orgs io WHERE io.id = organisations.id),
        parent = (SELECT io.parent FROM import_orgs io WHERE io.id = organisations.id)
    WHERE id IN (SELECT io.id FROM import_orgs io WHERE {ORG_CHANGED})""",
    """INSERT INTO organisations (name, category, umbrella, provider, parent)
       SELECT name, category, umbrella, provider, parent FROM import_orgs
       WHERE id IS NULL ORDER BY name""",
    """UPDATE import_orgs SET id = (SELECT o.id FROM organisations o
                                    WHERE o.name = import_orgs.name) WHERE id IS NULL""",
    """UPDATE import_entries SET org_id = (SELECT io.id FROM import_orgs io
                                           WHERE io.org_key = import_entries.org_key)""",
    # domains: a stored one whose roles differ takes the list's, the new ones are added
    """UPDATE import_entries SET changed = 1 WHERE added = 0 AND EXISTS (
        SELECT 1 FROM domains d WHERE d.id = import_entries.domain_id
        AND (d.web <> import_entries.web OR d.mail <> import_entries.mail
             OR coalesce(d.web_host, '') <> coalesce(import_entries.web_host, '')))""",
    """UPDATE domains SET
        web = (SELECT e.web FROM import_entries e WHERE e.domain_id = domains.id),
        web_host = (SELECT e.web_host FROM import_entries e WHERE e.domain_id = domains.id),
        mail = (SELECT e.mail FROM import_entries e WHERE e.domain_id = domains.id)
    WHERE id IN (SELECT domain_id FROM import_entries WHERE changed = 1)""",
    """INSERT INTO domains (name, organisation_id, web, web_host, mail)
       SELECT domain, org_id, web, web_host, mail FROM import_entries WHERE added = 1
       ORDER BY line""",
    """UPDATE import_entries SET domain_id = (SELECT d.id FROM domains d
                                              WHERE d.name = import_entries.domain)
       WHERE added = 1""",
    # set memberships: each listed domain's sets become those of the list
    """INSERT INTO domain_sets (name)
       SELECT DISTINCT name FROM import_sets WHERE name NOT IN (SELECT name FROM domain_sets)
       ORDER BY name""",
    """UPDATE import_sets SET
        domain_id = (SELECT e.domain_id FROM import_entries e WHERE e.domain = import_sets.domain),
        set_id = (SELECT s.id FROM domain_sets s WHERE s.name = import_sets.name)""",
    """UPDATE import_entries SET changed = 1 WHERE added = 0 AND (
        EXISTS (SELECT 1 FROM import_sets x WHERE x.domain_id = import_entries.domain_id
                AND NOT EXISTS (SELECT 1 FROM domain_set_members m
                                WHERE m.domain_id = x.domain_id AND m.set_id = x.set_id))
        OR EXISTS (SELECT 1 FROM domain_set_members m
                   WHERE m.domain_id = import_entries.domain_id
                   AND NOT EXISTS (SELECT 1 FROM import_sets x
                                   WHERE x.domain_id = m.domain_id AND x.set_id = m.set_id)))""",
    """DELETE FROM domain_set_members WHERE domain_id IN (SELECT domain_id FROM import_entries)
       AND NOT EXISTS (SELECT 1 FROM import_sets x
                       WHERE x.domain_id = domain_set_members.domain_id
                       AND x.set_id = domain_set_members.set_id)""",
    """INSERT INTO domain_set_members (set_id, domain_id)
       SELECT DISTINCT x.set_id, x.domain_id FROM import_sets x
       WHERE NOT EXISTS (SELECT 1 FROM domain_set_members m
                         WHERE m.domain_id = x.domain_id AND m.set_id = x.set_id)""",
)
