"""Registry lists into and out of the store: organisations, domains, domain sets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from meting.registry.entry import ListEntry
from meting.registry.merge import organisation_key
from meting.store.models import Domain, DomainSet, DomainSetMember, Organisation
from meting.store.records import DomainConflict, ImportSummary

HEADER_LINES = 1  # exported entries are numbered as lines of a file with a header


def import_entries(session: Session, entries: Sequence[ListEntry]) -> ImportSummary:
    """Add or update every listed organisation, domain and set membership (caller commits).

    A listed domain's roles, web host and sets become what the list says; domains that
    the list does not name are left alone.
    """
    organisations = {o.name: o for o in session.scalars(select(Organisation))}
    entries = _stored_spelling(entries, organisations)
    domains = {d.name: d for d in session.scalars(select(Domain))}
    _check_owners(entries, domains, {o.id: o.name for o in organisations.values()})
    orgs_added, orgs_updated = _upsert_organisations(session, entries, organisations)
    set_ids, sets_added = _ensure_sets(session, {s for e in entries for s in e.sets})
    added, updated = _upsert_domains(session, entries, domains, organisations)
    moved = _set_memberships(session, entries, domains, set_ids)
    updated |= moved - added
    return ImportSummary(organisations_added=orgs_added, organisations_updated=orgs_updated,
                         domains_added=len(added), domains_updated=len(updated),
                         sets_added=sets_added)


def _stored_spelling(entries: Sequence[ListEntry],
                     organisations: dict[str, Organisation]) -> list[ListEntry]:
    """Entries naming a stored organisation in another case or spacing name it as stored."""
    by_key = {organisation_key(name): name for name in organisations}
    return [replace(e, organisation=by_key.get(organisation_key(e.organisation),
                                               e.organisation)) for e in entries]


def export_entries(session: Session) -> list[ListEntry]:
    sets_of: dict[int, list[str]] = defaultdict(list)
    memberships = select(DomainSetMember.domain_id, DomainSet.name).join(
        DomainSet, DomainSet.id == DomainSetMember.set_id).order_by(DomainSet.name)
    for domain_id, set_name in session.execute(memberships):
        sets_of[domain_id].append(set_name)
    rows = session.execute(select(Domain, Organisation).join(
        Organisation, Organisation.id == Domain.organisation_id).order_by(
        Organisation.name, Domain.name))
    return [ListEntry(line=i + 1 + HEADER_LINES, organisation=org.name, category=org.category,
                      domain=domain.name, web=domain.web, web_host=domain.web_host,
                      mail=domain.mail, umbrella=org.umbrella, provider=org.provider,
                      sets=tuple(sets_of.get(domain.id, ())), parent=org.parent)
            for i, (domain, org) in enumerate(rows)]


def domain_sets(session: Session) -> dict[str, int]:
    counts = select(DomainSet.name, func.count(DomainSetMember.domain_id)).outerjoin(
        DomainSetMember, DomainSetMember.set_id == DomainSet.id).group_by(
        DomainSet.name).order_by(DomainSet.name)
    return {name: count for name, count in session.execute(counts)}


def _check_owners(entries: Iterable[ListEntry], stored: dict[str, Domain],
                  org_names: dict[int, str]) -> None:
    owner: dict[str, str] = {name: org_names[d.organisation_id] for name, d in stored.items()}
    conflicts: list[tuple[str, str, str]] = []
    listed: dict[str, str] = {}
    for entry in entries:
        first = listed.setdefault(entry.domain, entry.organisation)
        if first != entry.organisation:
            conflicts.append((entry.domain, first, entry.organisation))
        elif entry.domain in owner and owner[entry.domain] != entry.organisation:
            conflicts.append((entry.domain, owner[entry.domain], entry.organisation))
    if conflicts:
        raise DomainConflict(sorted(set(conflicts)))


def _upsert_organisations(session: Session, entries: Iterable[ListEntry],
                          organisations: dict[str, Organisation]) -> tuple[int, int]:
    wanted: dict[str, dict[str, str | None]] = {}
    for entry in entries:
        values = wanted.setdefault(entry.organisation, {"category": entry.category,
                                                        "umbrella": None, "provider": None,
                                                        "parent": None})
        # an organisation's umbrella, provider or parent may be given on any one of its lines
        values["umbrella"] = values["umbrella"] or entry.umbrella
        values["provider"] = values["provider"] or entry.provider
        values["parent"] = values["parent"] or entry.parent
    added = updated = 0
    for name, values in wanted.items():
        org = organisations.get(name)
        if org is None:
            org = Organisation(name=name, category=values["category"],
                               umbrella=values["umbrella"], provider=values["provider"],
                               parent=values["parent"])
            session.add(org)
            organisations[name] = org
            added += 1
        elif (org.category, org.umbrella, org.provider, org.parent) != (
                values["category"], values["umbrella"], values["provider"], values["parent"]):
            org.category = str(values["category"])
            org.umbrella, org.provider = values["umbrella"], values["provider"]
            org.parent = values["parent"]
            updated += 1
    session.flush()
    return added, updated


def _ensure_sets(session: Session, names: set[str]) -> tuple[dict[str, int], int]:
    existing = {s.name: s.id for s in session.scalars(select(DomainSet))}
    new = sorted(names - set(existing))
    for name in new:
        session.add(DomainSet(name=name))
    session.flush()
    if new:
        existing = {s.name: s.id for s in session.scalars(select(DomainSet))}
    return existing, len(new)


def _upsert_domains(session: Session, entries: Iterable[ListEntry], domains: dict[str, Domain],
                    organisations: dict[str, Organisation]) -> tuple[set[str], set[str]]:
    added: set[str] = set()
    updated: set[str] = set()
    for entry in entries:
        org_id = organisations[entry.organisation].id
        domain = domains.get(entry.domain)
        if domain is None:
            domain = Domain(name=entry.domain, organisation_id=org_id, web=entry.web,
                            web_host=entry.web_host, mail=entry.mail)
            session.add(domain)
            domains[entry.domain] = domain
            added.add(entry.domain)
        elif (domain.web, domain.web_host, domain.mail) != (entry.web, entry.web_host,
                                                            entry.mail):
            domain.web, domain.web_host, domain.mail = entry.web, entry.web_host, entry.mail
            updated.add(entry.domain)
    session.flush()
    return added, updated - added


def _set_memberships(session: Session, entries: Iterable[ListEntry], domains: dict[str, Domain],
                     set_ids: dict[str, int]) -> set[str]:
    """Make each listed domain's sets those of the list; the names of domains changed."""
    wanted = {domains[e.domain].id: {set_ids[s] for s in e.sets} for e in entries}
    names = {domains[e.domain].id: e.domain for e in entries}
    have: dict[int, set[int]] = defaultdict(set)
    for set_id, domain_id in session.execute(
            select(DomainSetMember.set_id, DomainSetMember.domain_id)):
        if domain_id in wanted:
            have[domain_id].add(set_id)
    additions = [{"set_id": s, "domain_id": d} for d, sets in wanted.items()
                 for s in sorted(sets - have[d])]
    removals = [(s, d) for d, sets in have.items() for s in sets - wanted[d]]
    if additions:
        session.execute(insert(DomainSetMember), additions)
    for set_id, domain_id in removals:
        session.execute(delete(DomainSetMember).where(DomainSetMember.set_id == set_id,
                                                      DomainSetMember.domain_id == domain_id))
    return {names[d] for d in wanted if wanted[d] != have[d]}
