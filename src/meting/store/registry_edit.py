"""Editing the registry one piece at a time: deleting a domain, and domain sets (create,
rename, delete, add and remove domains). The dashboard and ``meting domain`` / ``meting set``
call these; each call is one transaction, all or nothing.

The choice (docs/dashboard.md, "Editing the registry"): a domain that any round has a test
of is not deleted, neither softly nor outright. The rounds are a record of what was measured,
and their figures, evidence and history refer to it; a coordinator stops measuring it by
taking it out of the sets that are measured.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from meting import limits
from meting.registry import vocabulary
from meting.registry.names import BadDomainName, normalise
from meting.registry.rows import set_name as stored_set_name
from meting.store.models import Domain, DomainSet, DomainSetMember, Organisation, Round, Test
from meting.store.records import StoreError
from meting.store.store import Store
from meting.store.web_models import KeptFigures
from meting.textfile import name_problem

UNFINISHED = ("planned", "running", "interrupted")


class RegistryEditError(StoreError):
    """A refused edit: ``reason`` names it (a text key of the dashboard), ``values`` fill it."""

    def __init__(self, reason: str, message: str, **values: Any) -> None:
        super().__init__(message)
        self.reason = reason
        self.values = values


@dataclass(frozen=True)
class DomainUse:
    domain: str
    organisation: str
    rounds: tuple[str, ...]  # labels of the rounds with a test of it
    sets: tuple[str, ...]

    @property
    def deletable(self) -> bool:
        return not self.rounds


@dataclass(frozen=True)
class SetInfo:
    id: int
    name: str
    size: int
    rounds: tuple[str, ...]  # labels of the rounds of this set


class RegistryEditor:
    def __init__(self, store: Store) -> None:
        self.sessions = sessionmaker(store.engine, expire_on_commit=False)

    # domains

    def domain_use(self, name: str) -> DomainUse:
        with self.sessions() as session:
            return _use(session, _domain(session, name))

    def delete_domain(self, name: str) -> DomainUse:
        """Delete a domain that no round measured (with its set memberships); what it was."""
        with self.sessions.begin() as session:
            domain = _domain(session, name)
            use = _use(session, domain)
            if not use.deletable:
                shown = ", ".join(use.rounds[:5]) + (" …" if len(use.rounds) > 5 else "")
                raise RegistryEditError(
                    "domain_measured", f"{use.domain} is not deleted: {len(use.rounds)} "
                    f"round(s) measured it ({shown}); their results stay as they are. Take "
                    "it out of the sets that are measured instead (meting set exclude)",
                    domain=use.domain, rounds=shown)
            session.execute(delete(DomainSetMember).where(
                DomainSetMember.domain_id == domain.id))
            session.delete(domain)
            return use

    # sets

    def sets(self) -> list[SetInfo]:
        with self.sessions() as session:
            return [_set_info(session, s) for s in
                    session.scalars(select(DomainSet).order_by(DomainSet.name))]

    def set_info(self, set_id: int) -> SetInfo:
        with self.sessions() as session:
            return _set_info(session, _set(session, set_id))

    def set_id(self, name: str) -> int:
        with self.sessions() as session:
            found = session.scalar(select(DomainSet.id).where(
                DomainSet.name == stored_set_name(name)))
        if found is None:
            raise RegistryEditError("unknown_set", f"no domain set {name!r}", name=name)
        return found

    def members(self, set_id: int) -> list[tuple[str, str]]:
        """The set's domains with their organisations, by organisation and name."""
        with self.sessions() as session:
            rows = session.execute(
                select(Domain.name, Organisation.name)
                .join(DomainSetMember, DomainSetMember.domain_id == Domain.id)
                .join(Organisation, Organisation.id == Domain.organisation_id)
                .where(DomainSetMember.set_id == _set(session, set_id).id)
                .order_by(Organisation.name, Domain.name))
            return [(d, o) for d, o in rows]

    def create_set(self, name: str) -> SetInfo:
        with self.sessions.begin() as session:
            wanted = _checked_name(session, name)
            new = DomainSet(name=wanted)
            session.add(new)
            session.flush()
            return SetInfo(new.id, new.name, 0, ())

    def rename_set(self, set_id: int, name: str) -> str:
        """The set's new name; its rounds name it so too (their trend stays one line)."""
        with self.sessions.begin() as session:
            found = _set(session, set_id)
            wanted = stored_set_name(name)
            if wanted == found.name:
                return wanted
            wanted = _checked_name(session, name)
            rounds = list(session.scalars(select(Round.id).where(Round.set_name == found.name)))
            session.execute(update(Round).where(Round.set_name == found.name)
                            .values(set_name=wanted))
            # a finished round's kept figures name its set: count them again when next asked
            session.execute(delete(KeptFigures).where(KeptFigures.round_id.in_(rounds)))
            found.name = wanted
            return wanted

    def delete_set(self, set_id: int) -> str:
        """Delete a set (its domains stay in the registry); refused while a round of it is
        unfinished (continuing it may still need the set to plan its tests)."""
        with self.sessions.begin() as session:
            found = _set(session, set_id)
            open_rounds = list(session.scalars(select(Round.label).where(
                Round.set_name == found.name, Round.state.in_(UNFINISHED))))
            if open_rounds:
                raise RegistryEditError(
                    "set_in_use", f"set {found.name} is not deleted: round(s) "
                    f"{', '.join(open_rounds)} of it are not finished", name=found.name,
                    rounds=", ".join(open_rounds))
            session.execute(delete(DomainSetMember).where(DomainSetMember.set_id == found.id))
            session.delete(found)
            return found.name

    def add_domains(self, set_id: int, names: Iterable[str]) -> int:
        """Add registered domains to the set; how many were new to it. One unknown or
        malformed name and nothing is added."""
        with self.sessions.begin() as session:
            found = _set(session, set_id)
            ids = _domain_ids(session, names)
            present = set(session.scalars(select(DomainSetMember.domain_id).where(
                DomainSetMember.set_id == found.id)))
            new = [i for i in dict.fromkeys(ids) if i not in present]
            session.add_all(DomainSetMember(set_id=found.id, domain_id=i) for i in new)
            return len(new)

    def remove_domains(self, set_id: int, names: Iterable[str]) -> int:
        """Take domains out of the set (they stay in the registry); how many were in it."""
        with self.sessions.begin() as session:
            found = _set(session, set_id)
            ids = _domain_ids(session, names)
            gone = session.execute(delete(DomainSetMember).where(
                DomainSetMember.set_id == found.id, DomainSetMember.domain_id.in_(ids)))
            return int(getattr(gone, "rowcount", 0) or 0)


def _domain(session: Session, name: str) -> Domain:
    try:
        wanted = normalise(name)
    except BadDomainName as exc:
        raise RegistryEditError("bad_domain", str(exc), domain=name) from exc
    found = session.scalar(select(Domain).where(Domain.name == wanted))
    if found is None:
        raise RegistryEditError("unknown_domain", f"{wanted} is not in the registry",
                                domain=wanted)
    return found


def _use(session: Session, domain: Domain) -> DomainUse:
    owner = session.get(Organisation, domain.organisation_id)
    rounds = session.scalars(select(Round.label).join(Test, Test.round_id == Round.id).where(
        Test.domain_id == domain.id).distinct().order_by(Round.label))
    sets = session.scalars(select(DomainSet.name).join(
        DomainSetMember, DomainSetMember.set_id == DomainSet.id).where(
        DomainSetMember.domain_id == domain.id).order_by(DomainSet.name))
    return DomainUse(domain.name, owner.name if owner else "", tuple(rounds), tuple(sets))


def _domain_ids(session: Session, names: Iterable[str]) -> list[int]:
    wanted: list[str] = []
    for name in names:
        try:
            wanted.append(normalise(name))
        except BadDomainName as exc:
            raise RegistryEditError("bad_domain", str(exc), domain=name) from exc
    found = {n: i for n, i in session.execute(
        select(Domain.name, Domain.id).where(Domain.name.in_(wanted)))}
    unknown = [n for n in wanted if n not in found]
    if unknown:
        shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
        raise RegistryEditError("unknown_domains", f"not in the registry: {shown}; nothing "
                                "was changed (add them with meting import first)",
                                domains=shown)
    return [found[n] for n in wanted]


def _set(session: Session, set_id: int) -> DomainSet:
    found = session.get(DomainSet, set_id)
    if found is None:
        raise RegistryEditError("unknown_set", f"no domain set {set_id}", name=str(set_id))
    return found


def _set_info(session: Session, found: DomainSet) -> SetInfo:
    size = session.scalar(select(func.count()).select_from(DomainSetMember).where(
        DomainSetMember.set_id == found.id)) or 0
    rounds = session.scalars(select(Round.label).where(Round.set_name == found.name)
                             .order_by(Round.id))
    return SetInfo(found.id, found.name, size, tuple(rounds))


def _checked_name(session: Session, name: str) -> str:
    wanted = stored_set_name(name)
    if not wanted:
        raise RegistryEditError("set_name_empty", "a set needs a name")
    problem = name_problem(wanted, limits.SET_NAME, "set name")
    if problem is not None:
        raise RegistryEditError("set_name_bad", problem, problem=problem)
    separator = next((s for s in vocabulary.set_separators() if s in wanted), None)
    if separator is not None:
        raise RegistryEditError("set_name_separator", f"a set name cannot hold {separator!r}: "
                                "a list separates set names with it", separator=separator)
    if session.scalar(select(DomainSet.id).where(DomainSet.name == wanted)) is not None:
        raise RegistryEditError("set_exists", f"there is a set {wanted} already", name=wanted)
    return wanted
