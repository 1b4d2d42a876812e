"""Candidates in the store: recording what discovery found, listing, deciding, accepting."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from meting.discovery.found import Found, Registered
from meting.registry.targets import mail_target, web_target
from meting.store.discovery_models import CANDIDATE_STATES, Candidate
from meting.store.models import Domain, DomainSet, DomainSetMember, Organisation
from meting.store.records import StoreError


@dataclass(frozen=True)
class CandidateInfo:
    name: str
    organisation: str | None
    sources: dict[str, str]
    first_seen: dt.datetime
    last_seen: dt.datetime
    state: str


@dataclass(frozen=True)
class Recorded:
    new: tuple[str, ...]  # names never seen before
    again: int  # names seen before (last seen and sources brought up to date)


def registered(session: Session, organisations: Sequence[str] | None = None,
               set_name: str | None = None) -> list[Registered]:
    """The registry as discovery needs it, for some organisations or the members of a set
    (every organisation when neither is given)."""
    query = select(Organisation.name, Domain.name, Domain.web, Domain.web_host,
                   Domain.mail).join(Domain, Domain.organisation_id == Organisation.id)
    if organisations is not None:
        query = query.where(Organisation.name.in_(organisations))
    if set_name is not None:
        query = query.join(DomainSetMember, DomainSetMember.domain_id == Domain.id).join(
            DomainSet, DomainSet.id == DomainSetMember.set_id).where(DomainSet.name == set_name)
    domains: dict[str, list[str]] = defaultdict(list)
    targets: dict[str, list[str]] = defaultdict(list)
    for org, name, web, web_host, mail in session.execute(query):
        domains[org].append(name)
        if web:
            targets[org].append(web_target(name, web_host))
        if mail:
            targets[org].append(mail_target(name))
    return [Registered(org, tuple(sorted(names)), tuple(sorted(set(targets[org]))))
            for org, names in sorted(domains.items())]


def organisation_names(session: Session) -> list[str]:
    return list(session.scalars(select(Organisation.name).order_by(Organisation.name)))


def record(session: Session, found: Iterable[Found], now: dt.datetime) -> Recorded:
    """Store what was found: a new name as a new candidate, a known one seen again."""
    org_ids = {name: id_ for id_, name in session.execute(
        select(Organisation.id, Organisation.name))}
    existing = {c.name: c for c in session.scalars(select(Candidate))}
    new: list[str] = []
    again: set[str] = set()
    for item in found:
        candidate = existing.get(item.name)
        if candidate is None:
            candidate = Candidate(name=item.name, organisation_id=org_ids.get(
                item.organisation or ""), sources={}, first_seen=now, last_seen=now,
                state="new")
            session.add(candidate)
            existing[item.name] = candidate
            new.append(item.name)
        elif item.name not in new:
            again.add(item.name)
        candidate.sources = {**candidate.sources, item.source: item.note}
        candidate.last_seen = now
        if candidate.organisation_id is None and item.organisation:
            candidate.organisation_id = org_ids.get(item.organisation)
    session.flush()
    return Recorded(tuple(sorted(new)), len(again))


def candidates(session: Session, organisation: str | None = None,
               state: str | None = None) -> list[CandidateInfo]:
    query = select(Candidate, Organisation.name).outerjoin(
        Organisation, Organisation.id == Candidate.organisation_id)
    if organisation is not None:
        query = query.where(Organisation.name == organisation)
    if state is not None:
        query = query.where(Candidate.state == state)
    rows = session.execute(query.order_by(Organisation.name, Candidate.name))
    return [CandidateInfo(c.name, org, dict(c.sources), c.first_seen, c.last_seen, c.state)
            for c, org in rows]


def find(session: Session, names: Sequence[str]) -> list[Candidate]:
    """The candidates with these names; StoreError naming those that are none."""
    found = {c.name: c for c in session.scalars(select(Candidate).where(
        Candidate.name.in_(names)))}
    missing = [n for n in names if n not in found]
    if missing:
        raise StoreError(f"no candidate {', '.join(missing)}; `meting candidates list` "
                         "shows them")
    return [found[n] for n in names]


def decide(session: Session, names: Sequence[str], state: str, now: dt.datetime) -> None:
    if state not in CANDIDATE_STATES:
        raise StoreError(f"a candidate is {', '.join(CANDIDATE_STATES)}, not {state!r}")
    for candidate in find(session, names):
        candidate.state = state
        candidate.decided_at = now


def organisation_of(session: Session, candidate: Candidate) -> Organisation | None:
    if candidate.organisation_id is None:
        return None
    return session.get(Organisation, candidate.organisation_id)


def organisation_named(session: Session, name: str) -> Organisation:
    found = session.scalar(select(Organisation).where(Organisation.name == name))
    if found is None:
        raise StoreError(f"no organisation {name!r} in the registry")
    return found


def coverage(session: Session, round_id: int) -> list[tuple[str, str, int, int, int, int]]:
    """Per organisation: (name, category, known, measured, found, found not measured)."""
    from meting.store.models import Test

    measured: dict[int, set[str]] = defaultdict(set)
    query = select(Domain.organisation_id, Domain.name).join(
        Test, Test.domain_id == Domain.id).where(Test.round_id == round_id,
                                                 Test.state == "done")
    for org_id, name in session.execute(query):
        measured[org_id].add(name)
    known: dict[int, int] = defaultdict(int)
    for owner in session.scalars(select(Domain.organisation_id)):
        known[owner] += 1
    found: dict[int, list[str]] = defaultdict(list)
    for candidate in session.scalars(select(Candidate).where(Candidate.state != "ignored")):
        if candidate.organisation_id is not None:
            found[candidate.organisation_id].append(candidate.name)
    return [(org.name, org.category, known[org.id], len(measured[org.id]), len(found[org.id]),
             len([n for n in found[org.id] if n not in measured[org.id]]))
            for org in session.scalars(select(Organisation).order_by(Organisation.name))
            if known[org.id] or found[org.id]]
