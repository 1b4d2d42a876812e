"""A coordinator's decision on candidates: accept them as registry domains of an
organisation (through the same import service as ``meting import``), or ignore them.

An accepted host under a registered domain (``mijn.gemeente.nl``) becomes a domain whose
web test runs on the host itself and that has no mail role unless asked; an accepted
registrable domain (its own organisational domain) gets the usual targets: the web test
on ``www.<domain>``, the mail test on the domain.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from meting.discovery.service import DiscoveryError
from meting.records.psl import organisational_domain
from meting.registry.entry import ListEntry
from meting.registry.rows import set_name as normal_set_name
from meting.settings import Settings
from meting.store import Store, StoreError, registry
from meting.store import candidates as stored
from meting.store.discovery_models import Candidate
from meting.store.models import Domain, Organisation


@dataclass(frozen=True)
class Accepted:
    organisation: str
    domains: tuple[str, ...]
    sets: tuple[str, ...]


def entry_for(name: str, organisation: Organisation, mail: bool | None,
              sets: tuple[str, ...]) -> ListEntry:
    own_domain = organisational_domain(name) == name
    return ListEntry(line=0, organisation=organisation.name, category=organisation.category,
                     domain=name, web=True, web_host=None if own_domain else name,
                     mail=own_domain if mail is None else mail,
                     umbrella=organisation.umbrella, provider=organisation.provider,
                     sets=sets, parent=organisation.parent)


def accept(settings: Settings, names: Sequence[str], organisation: str | None = None,
           mail: bool | None = None, sets: Sequence[str] = ()) -> list[Accepted]:
    """Accept the candidates in one transaction: all of them, or none."""
    chosen_sets = tuple(normal_set_name(s) for s in sets)
    with (Store.open(settings.database, verify=True) as store,
          sessionmaker(store.engine).begin() as session):
        by_org = _entries(session, names, organisation, mail, chosen_sets)
        try:
            registry.import_entries(session, [e for group in by_org.values() for e in group])
        except (StoreError, ValueError) as exc:
            raise DiscoveryError("nothing_accepted", detail=exc) from None
        stored.decide(session, list(names), "accepted", dt.datetime.now(dt.UTC))
    return [Accepted(org, tuple(e.domain for e in group), chosen_sets)
            for org, group in sorted(by_org.items())]


def _entries(session: Session, names: Sequence[str], organisation: str | None,
             mail: bool | None, sets: tuple[str, ...]) -> dict[str, list[ListEntry]]:
    """The list entries of the candidates, per organisation; DiscoveryError when one cannot
    be accepted (not a candidate, already registered, no organisation known)."""
    found = _candidates(session, names)
    forced = None
    if organisation:
        forced = session.scalar(select(Organisation).where(Organisation.name == organisation))
        if forced is None:
            raise DiscoveryError("no_organisation", names=repr(organisation))
    taken = set(session.scalars(select(Domain.name).where(Domain.name.in_(names))))
    if taken:
        raise DiscoveryError("already_registered", names=", ".join(sorted(taken)))
    by_org: dict[str, list[ListEntry]] = {}
    for candidate in found:
        owner = forced or stored.organisation_of(session, candidate)
        if owner is None:
            raise DiscoveryError("no_owner", name=candidate.name)
        candidate.organisation_id = owner.id
        by_org.setdefault(owner.name, []).append(entry_for(candidate.name, owner, mail, sets))
    return by_org


def ignore(settings: Settings, names: Sequence[str]) -> None:
    with (Store.open(settings.database, verify=True) as store,
          sessionmaker(store.engine).begin() as session):
        _candidates(session, names)
        stored.decide(session, list(names), "ignored", dt.datetime.now(dt.UTC))


def _candidates(session: Session, names: Sequence[str]) -> list[Candidate]:
    """The candidates of these names; DiscoveryError naming those that are none."""
    known = set(session.scalars(select(Candidate.name).where(Candidate.name.in_(names))))
    missing = [n for n in names if n not in known]
    if missing:
        raise DiscoveryError("not_candidate", names=", ".join(missing))
    return stored.find(session, list(names))


def listed(settings: Settings, organisation: str | None,
           state: str | None) -> list[stored.CandidateInfo]:
    with (Store.open(settings.database, create=False) as store,
          sessionmaker(store.engine)() as session):
        return stored.candidates(session, organisation, state)


