"""Statuses measured elsewhere, and organisations' formal reactions to a round."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from meting.checks.verdict import Status
from meting.registry.targets import mail_target, web_target
from meting.store.models import KINDS, Domain, Organisation, Reaction, Test
from meting.store.records import ImportedStatuses, StoreError

SHOWN = 20  # unknown domains named in an error; the rest are counted


def import_statuses(session: Session, round_id: int, kind: str,
                    rows: Sequence[ImportedStatuses]) -> int:
    """Store each row as a done test without evidence (caller commits); the number stored."""
    if kind not in KINDS:
        raise StoreError(f"unknown test kind {kind!r}; one of {', '.join(KINDS)}")
    for row in rows:
        for status in row.columns.values():
            Status(status)
    twice = sorted(name for name, n in Counter(r.domain for r in rows).items() if n > 1)
    if twice:
        raise StoreError(f"domains given twice: {', '.join(twice[:SHOWN])}")
    domains = _registered(session, [row.domain for row in rows])
    tests = {domain_id: (test_id, state) for test_id, domain_id, state in session.execute(
        select(Test.id, Test.domain_id, Test.state).where(Test.round_id == round_id,
                                                          Test.kind == kind))}
    done = sorted(row.domain for row in rows
                  if tests.get(domains[row.domain].id, (0, ""))[1] == "done")
    if done:
        raise StoreError(f"the round already has {kind} results for {len(done)} of these "
                         f"domains ({', '.join(done[:SHOWN])}); import into a new round")
    now = dt.datetime.now(dt.UTC)
    new = []  # inserted in one statement: a national round is 10,000 rows
    for row in rows:
        domain = domains[row.domain]
        values: dict[str, Any] = {"state": "done", "columns": dict(row.columns),
                                  "explanations": dict(row.explanations), "subtests": {},
                                  "finished_at": now}
        if domain.id in tests:
            session.execute(update(Test).where(Test.id == tests[domain.id][0]).values(**values))
        else:
            target = web_target(domain.name, domain.web_host) if kind == "web" else \
                mail_target(domain.name)
            new.append({"round_id": round_id, "domain_id": domain.id, "kind": kind,
                        "target": target, "attempts": 0, **values})
    if new:
        session.execute(insert(Test), new)
    for organisation_id in sorted({domains[r.domain].organisation_id for r in rows
                                   if r.reaction}):
        _react(session, round_id, organisation_id, None)
    return len(rows)


def set_reaction(session: Session, round_id: int, organisation: str, text: str) -> None:
    organisation_id = session.scalar(select(Organisation.id).where(
        Organisation.name == organisation))
    if organisation_id is None:
        raise StoreError(f"no organisation {organisation!r} in the registry")
    _react(session, round_id, organisation_id, text)


def reactions(session: Session, round_id: int) -> dict[str, str]:
    query = select(Organisation.name, Reaction.text).join(
        Organisation, Organisation.id == Reaction.organisation_id).where(
        Reaction.round_id == round_id).order_by(Organisation.name)
    return {name: text for name, text in session.execute(query)}


def _react(session: Session, round_id: int, organisation_id: int, text: str | None) -> None:
    """Record a reaction; `text` None keeps a text already stored (the fact alone is new)."""
    found = session.get(Reaction, (round_id, organisation_id))
    if found is None:
        session.add(Reaction(round_id=round_id, organisation_id=organisation_id,
                             text=text or ""))
    elif text is not None:
        found.text = text
    session.flush()


def _registered(session: Session, names: list[str]) -> dict[str, Domain]:
    wanted = set(names)
    found = {d.name: d for d in session.scalars(select(Domain)) if d.name in wanted}
    missing = sorted(wanted - set(found))
    if missing:
        more = f" and {len(missing) - SHOWN} more" if len(missing) > SHOWN else ""
        raise StoreError(f"{len(missing)} domains are not in the registry: "
                         f"{', '.join(missing[:SHOWN])}{more}; import a registry list "
                         "with them first (meting import)")
    return found
