"""A domain set of every live web host of some organisations: their registry domains with
a web role (discovered hosts a coordinator accepted among them) whose web host resolves to
an address now. A round on it measures the broad population the reports compare with the
reference set (the IPv6 chapter's comparison between sets)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from meting.discovery.service import DiscoveryError
from meting.registry.rows import set_name as normal_set_name
from meting.registry.targets import web_target
from meting.settings import Settings
from meting.store import Store
from meting.store.models import Domain, DomainSet, DomainSetMember, Organisation


@dataclass(frozen=True)
class LiveSet:
    name: str
    organisations: int
    members: tuple[str, ...]  # domains whose web host answers with an address
    not_live: tuple[str, ...]  # web hosts without an address, left out


def web_domains(session: Session, organisations: Sequence[str],
                categories: Sequence[str]) -> dict[str, str]:
    """Domain -> web host, of the chosen organisations (or layers) with a web role."""
    query = select(Domain.name, Domain.web_host).join(
        Organisation, Organisation.id == Domain.organisation_id).where(Domain.web.is_(True))
    if organisations:
        query = query.where(Organisation.name.in_(organisations))
    if categories:
        query = query.where(Organisation.category.in_(categories))
    return {name: web_target(name, host) for name, host in session.execute(query)}


def live_web_set(settings: Settings, name: str, organisations: Sequence[str] = (),
                 categories: Sequence[str] = ()) -> LiveSet:
    from meting.probe import discovery as probe
    from meting.probe.dns import DnsClient

    set_name = normal_set_name(name)
    if not set_name:
        raise DiscoveryError("set_name_missing")
    with Store.open(settings.database, verify=True) as store:
        sessions = sessionmaker(store.engine)
        with sessions() as session:
            known = set(session.scalars(select(Organisation.name)))
            unknown = sorted(set(organisations) - known)
            if unknown:
                raise DiscoveryError("no_organisation", names=", ".join(map(repr, unknown)))
            hosts = web_domains(session, organisations, categories)
        if not hosts:
            raise DiscoveryError("no_web_domains")
        answers = asyncio.run(probe.live(sorted(set(hosts.values())), DnsClient(settings),
                                         probe.Pace(settings.discovery_rate)))
        members = sorted(d for d, host in hosts.items() if answers[host])
        with sessions.begin() as session:
            replace_members(session, set_name, members)
    owners = len(organisations) if organisations else len(known)
    return LiveSet(set_name, owners, tuple(members),
                   tuple(sorted(h for h in set(hosts.values()) if not answers[h])))


def replace_members(session: Session, set_name: str, domains: Sequence[str]) -> None:
    """The set holds exactly these domains from now on (made when new)."""
    found = session.scalar(select(DomainSet).where(DomainSet.name == set_name))
    if found is None:
        found = DomainSet(name=set_name)
        session.add(found)
        session.flush()
    session.execute(delete(DomainSetMember).where(DomainSetMember.set_id == found.id))
    ids = session.scalars(select(Domain.id).where(Domain.name.in_(domains))).all()
    if ids:
        session.execute(insert(DomainSetMember), [{"set_id": found.id, "domain_id": i}
                                                  for i in ids])
