"""A register's rows into the registry: what is new is added; a value is changed only
where the stored one is empty or is what this register said last time; a value a
coordinator set (by hand, by a list import or another register) is kept and reported.

The caller commits (or, for a dry run, does not)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from meting.discovery.registers.rows import RegisterRow
from meting.registry import vocabulary as words
from meting.registry.merge import organisation_key
from meting.store.discovery_models import RegisterMark
from meting.store.models import Domain, Organisation

DOMAIN_FIELDS = ("organisation", "web", "web_host", "mail")
ORGANISATION_FIELDS = ("category", "parent")


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # a coordinator's value left as it is
    alone: int = 0  # organisations and domains the register agrees with


@dataclass
class _Import:
    session: Session
    register: str
    now: dt.datetime
    changes: Changes = field(default_factory=Changes)
    marks: dict[tuple[str, str], RegisterMark] = field(default_factory=dict)

    def mark(self, kind: str, key: str) -> dict[str, Any] | None:
        found = self.marks.get((kind, key))
        return dict(found.values) if found is not None else None

    def remember(self, kind: str, key: str, values: dict[str, Any]) -> None:
        found = self.marks.get((kind, key))
        if found is None:
            found = RegisterMark(register=self.register, kind=kind, key=key, values=values,
                                 imported_at=self.now)
            self.session.add(found)
            self.marks[(kind, key)] = found
        else:
            found.values, found.imported_at = values, self.now

    def settle(self, what: str, stored: Any, said: Any, before: dict[str, Any] | None,
               name: str) -> bool:
        """Whether to take the register's value for one field; notes what happens."""
        if said is None or stored == said:
            return False
        if stored in (None, "") or (before is not None and before.get(name) == stored):
            self.changes.changed.append(f"{what}: {name} {stored!r} → {said!r}")
            return True
        self.changes.kept.append(f"{what}: {name} stays {stored!r} (set by a coordinator; "
                                 f"the register says {said!r})")
        return False


def apply(session: Session, register: str, rows: Sequence[RegisterRow],
          now: dt.datetime) -> Changes:
    work = _Import(session, register, now)
    work.marks = {(m.kind, m.key): m for m in session.scalars(
        select(RegisterMark).where(RegisterMark.register == register))}
    organisations = {organisation_key(o.name): o for o in session.scalars(select(Organisation))}
    seen: set[str] = set()
    for row in rows:
        org = _organisation(work, organisations, row, seen)
        if row.domain is not None:
            _domain(work, row, org, {o.id: o for o in organisations.values()})
    session.flush()
    return work.changes


def _organisation(work: _Import, organisations: dict[str, Organisation], row: RegisterRow,
                  seen: set[str]) -> Organisation:
    key = organisation_key(row.organisation)
    org = organisations.get(key)
    said = {"category": row.category, "parent": row.parent}
    if org is None:
        category = row.category or "overig"
        org = Organisation(name=row.organisation, category=category, parent=row.parent,
                           umbrella=words.default_umbrella(category))
        work.session.add(org)
        work.session.flush()
        organisations[key] = org
        work.changes.added.append(f"organisation {row.organisation} ({category}"
                                  + (f", under {row.parent})" if row.parent else ")"))
    elif key not in seen:
        before = work.mark("organisation", org.name)
        what = f"organisation {org.name}"
        touched, kept = False, len(work.changes.kept)
        if work.settle(what, org.category, row.category, before, "category"):
            org.category, touched = str(row.category), True
        if work.settle(what, org.parent, row.parent, before, "parent"):
            org.parent, touched = row.parent, True
        work.changes.alone += 0 if touched or len(work.changes.kept) > kept else 1
    if key not in seen:
        work.remember("organisation", org.name, said)
        seen.add(key)
    return org


def _domain(work: _Import, row: RegisterRow, org: Organisation,
            by_id: dict[int, Organisation]) -> None:
    name = str(row.domain)
    said = {"organisation": org.name, "web": row.web, "web_host": row.web_host,
            "mail": row.mail}
    domain = work.session.scalar(select(Domain).where(Domain.name == name))
    if domain is None:
        work.session.add(Domain(name=name, organisation_id=org.id, web=row.web,
                                web_host=row.web_host, mail=row.mail))
        work.session.flush()
        work.changes.added.append(f"domain {name} of {org.name}")
    else:
        before = work.mark("domain", name)
        stored = {"organisation": by_id[domain.organisation_id].name, "web": domain.web,
                  "web_host": domain.web_host, "mail": domain.mail}
        kept = len(work.changes.kept)
        taken = [f for f in DOMAIN_FIELDS
                 if work.settle(f"domain {name}", stored[f], said[f], before, f)]
        if "organisation" in taken:
            domain.organisation_id = org.id
        for f in taken:
            if f != "organisation":
                setattr(domain, f, said[f])
        work.changes.alone += 0 if taken or len(work.changes.kept) > kept else 1
    work.remember("domain", name, said)
