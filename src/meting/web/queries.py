"""What the pages read from the store beyond the Store's own methods: one organisation's or
one domain's tests over rounds, organisations by id, and the rounds to compare with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, null, select
from sqlalchemy.orm import Session, sessionmaker

from meting.store import RoundInfo, Store
from meting.store.models import Domain, Organisation, Round, Test
from meting.web.accounts import Viewer


@dataclass(frozen=True)
class OrganisationInfo:
    id: int
    name: str
    category: str
    umbrella: str | None
    provider: str | None
    parent: str | None


ORGANISATION_FIELDS = (Organisation.id, Organisation.name, Organisation.category,
                       Organisation.umbrella, Organisation.provider, Organisation.parent)


@dataclass(frozen=True)
class TestRow:
    __test__ = False
    test_id: int
    round_id: int
    domain: str
    organisation_id: int
    kind: str
    target: str
    columns: dict[str, str]
    explanations: dict[str, Any]
    subtests: dict[str, Any]


def all_rounds(store: Store) -> list[RoundInfo]:
    """Every round, oldest first, with its numbers of planned and done tests but without
    the per-column counts of ``Store.rounds`` (which read every test: too slow per page)."""
    sessions = sessionmaker(store.engine)
    with sessions() as session:
        tallies: dict[int, dict[str, int]] = {}
        for round_id, state, n in session.execute(select(
                Test.round_id, Test.state, func.count()).group_by(Test.round_id, Test.state)):
            tallies.setdefault(round_id, {})[state] = n
        found = session.scalars(select(Round).order_by(Round.date, Round.id)).all()
        return [RoundInfo(id=r.id, label=r.label, set_name=r.set_name, date=r.date,
                          norm=r.norm, state=r.state, executor=r.executor,
                          planned=sum(tallies.get(r.id, {}).values()),
                          done=tallies.get(r.id, {}).get("done", 0), started_at=r.started_at,
                          finished_at=r.finished_at) for r in found]


def round_or_404(store: Store, round_id: int,
                 rounds: Sequence[RoundInfo] | None = None) -> RoundInfo:
    """The round; ``rounds``: ``all_rounds`` when the page read them already (each reading
    counts every test of every round)."""
    from fastapi import HTTPException

    found = next((r for r in (all_rounds(store) if rounds is None else rounds)
                  if r.id == round_id), None)
    if found is None:
        raise HTTPException(404)
    return found


def with_results(store: Store, rounds: Sequence[RoundInfo] | None = None) -> list[RoundInfo]:
    """Rounds that have results, newest first."""
    return [r for r in reversed(all_rounds(store) if rounds is None else rounds)
            if r.done > 0]


def previous(rounds: Sequence[RoundInfo], info: RoundInfo) -> RoundInfo | None:
    """The latest earlier round of the same set with results."""
    earlier = [r for r in rounds if r.set_name == info.set_name and r.id != info.id
               and (r.date, r.id) < (info.date, info.id) and r.done > 0]
    return max(earlier, key=lambda r: (r.date, r.id), default=None)


def organisations(sessions: sessionmaker[Session], who: Viewer) -> list[OrganisationInfo]:
    return [o for o in all_organisations(sessions) if who.sees(o.id, o.umbrella)]


def all_organisations(sessions: sessionmaker[Session]) -> list[OrganisationInfo]:
    """Every organisation, whoever asks (callers filter for their viewer)."""
    with sessions() as session:
        query = select(*ORGANISATION_FIELDS).order_by(Organisation.name)
        return [OrganisationInfo(*row) for row in session.execute(query)]


def organisation(sessions: sessionmaker[Session], organisation_id: int) -> OrganisationInfo:
    with sessions() as session:
        row = session.execute(select(*ORGANISATION_FIELDS).where(
            Organisation.id == organisation_id)).first()
    if row is None:
        from fastapi import HTTPException
        raise HTTPException(404)
    return OrganisationInfo(*row)


def tests(sessions: sessionmaker[Session], round_ids: Sequence[int], *,
          organisation_id: int | None = None, domain: str | None = None,
          details: bool = True) -> list[TestRow]:
    """Done tests; without ``details`` their explanations and subtests are left empty (the
    largest part of a test, not needed for statuses over many rounds)."""
    explanations = Test.explanations if details else null()
    subtests = Test.subtests if details else null()
    query = select(Test.id, Test.round_id, Domain.name, Domain.organisation_id, Test.kind,
                   Test.target, Test.columns, explanations, subtests).join(
        Domain, Domain.id == Test.domain_id).where(Test.state == "done").order_by(
        Domain.name, Test.kind)
    if round_ids:
        query = query.where(Test.round_id.in_(list(round_ids)))
    if organisation_id is not None:
        query = query.where(Domain.organisation_id == organisation_id)
    if domain is not None:
        query = query.where(Domain.name == domain)
    with sessions() as session:
        return [TestRow(test_id, round_id, name, owner, kind, target, dict(columns or {}),
                        dict(explanations or {}), dict(subtests or {}))
                for test_id, round_id, name, owner, kind, target, columns, explanations,
                subtests in session.execute(query)]


def domain_owner(sessions: sessionmaker[Session], domain: str) -> OrganisationInfo | None:
    with sessions() as session:
        row = session.execute(select(*ORGANISATION_FIELDS).join(
            Domain, Domain.organisation_id == Organisation.id).where(
            Domain.name == domain)).first()
    return None if row is None else OrganisationInfo(*row)


def test_round(sessions: sessionmaker[Session], test_id: int) -> tuple[int, str, str] | None:
    """(round, domain, kind) of a test."""
    with sessions() as session:
        row = session.execute(select(Test.round_id, Domain.name, Test.kind).join(
            Domain, Domain.id == Test.domain_id).where(Test.id == test_id)).first()
    return None if row is None else (row[0], row[1], row[2])


def progress(sessions: sessionmaker[Session], round_id: int, minutes: int = 5
             ) -> tuple[int, dict[str, list[tuple[dict[str, str], int]]]]:
    """Tests finished in the last minutes, and per no-result status (not_testable, error)
    its most frequent explanations (in Dutch and English) with their numbers."""
    import datetime as dt
    from collections import Counter

    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)
    reasons: dict[str, Counter[str]] = {"not_testable": Counter(), "error": Counter()}
    words: dict[str, dict[str, str]] = {}  # counted by the English text, shown in either
    recent = 0
    query = select(Test.finished_at, Test.columns, Test.explanations).where(
        Test.round_id == round_id, Test.state == "done")
    with sessions() as session:
        for finished, columns, explanations in session.execute(
                query.execution_options(yield_per=500)):
            if finished is not None and finished >= since:
                recent += 1
            for column, status in (columns or {}).items():
                if status in reasons:
                    text = (explanations or {}).get(column) or {}
                    key = str(text.get("en") or text.get("nl") or "")
                    words.setdefault(key, {"nl": str(text.get("nl") or key), "en": key})
                    reasons[status][key] += 1
    return recent, {s: [(words[k], n) for k, n in c.most_common(5)]
                    for s, c in reasons.items()}
