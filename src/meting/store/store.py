"""The store: the registry, rounds and their tests, statuses and raw evidence in one database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, bindparam, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from meting import settings as meting_settings
from meting.checks.verdict import Status
from meting.registry.entry import ListEntry
from meting.registry.problems import Problems
from meting.registry.targets import mail_target, web_target
from meting.store import codec, doctor, imported, migrate, registry, staging
from meting.store.engine import make_engine, sqlite_file
from meting.store.models import (
    ROUND_STATES,
    Domain,
    DomainSet,
    DomainSetMember,
    Evidence,
    Organisation,
    Reaction,
    Round,
    Test,
)
from meting.store.records import (
    ImportedStatuses,
    ImportSummary,
    PlannedTest,
    RoundInfo,
    RoundStateError,
    StoredResult,
    StoreError,
    StoreUnusable,
)

# The order _stored_result takes them in.
RESULT_FIELDS = (Test.id, Domain.name, Organisation.name, Organisation.category,
                 Organisation.umbrella, Test.kind, Test.target, Test.columns, Test.explanations,
                 Test.subtests, Test.finished_at, Organisation.parent)
Judge = Callable[[str, dict[str, Any], str], dict[str, Any]]

STREAM_BATCH = 500
IMPORTED_NORM = ""  # statuses judged elsewhere: no norm version of ours judged them
# Which state a round may move to from each state; staying in a state is always allowed
# (a runner resuming after a crash finds its round still "running").
TRANSITIONS = {
    "planned": {"running"},
    "running": {"interrupted", "finished"},
    "interrupted": {"running", "finished"},
    "finished": set(),
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Store:
    """One database. Every method is its own transaction; results are streamed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def one_connection(self) -> bool:
        """Every session shares one connection (SQLite in memory): no writes from two
        threads at once."""
        return isinstance(self.engine.pool, StaticPool)

    @classmethod
    def open(cls, url: str | None = None, *, create: bool = True,
             verify: bool = False) -> Store:
        """Open the database at `url`, migrated to the newest schema; a SQLite file is made
        when it does not exist, unless `create` is False (commands that only read).
        `verify` first checks a SQLite file's pages (before a command writes to it)."""
        url = url or meting_settings.load().database
        path = sqlite_file(url)
        if not create and path is not None and not path.exists():
            raise StoreError(f"there is no database {path}: nothing is stored there yet; "
                             "set the database (METING_DATABASE) or import a list first "
                             "(meting import)")
        engine = make_engine(url)
        try:
            if verify and path is not None and path.exists():
                _verify(engine, path)
            migrate.upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def close_connections(self) -> None:
        """Close the pooled connections; the next use opens new ones. Before a fork, so
        that no database connection (nor SQLite's record of its locks) is shared with
        the child."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    # registry

    def import_entries(self, entries: Sequence[ListEntry]) -> ImportSummary:
        """Upsert organisations, domains and sets in one transaction; nothing on a conflict."""
        with self._sessions.begin() as session:
            return registry.import_entries(session, entries)

    def import_list(self, drafts: Iterable[tuple[ListEntry, bool]], problems: Problems,
                    good_rows: bool = False) -> staging.ListImport:
        """A list read row by row: staged, checked and merged in one transaction, so memory
        stays flat in its rows; nothing is stored when it has errors, unless ``good_rows``."""
        with self._sessions.begin() as session:
            return staging.import_list(session, drafts, problems, good_rows)

    def export_entries(self) -> list[ListEntry]:
        with self._sessions() as session:
            return registry.export_entries(session)

    def domain_sets(self) -> dict[str, int]:
        with self._sessions() as session:
            return registry.domain_sets(session)

    # rounds

    def create_round(self, set_name: str | None, norm: str, label: str | None = None,
                     date: dt.date | None = None, executor: str = "local") -> int:
        """A new round in state planned on `set_name` (None: every domain); its id.

        The label defaults to the round's month (``2026-11``), with ``-2``, ``-3`` … when
        that month already has a round.
        """
        with self._sessions.begin() as session:
            return _new_round(session, set_name, norm, label, date, executor).id

    def plan_round(self, round_id: int) -> int:
        """Create the round's missing test rows; the number of tests the round has."""
        with self._sessions.begin() as session:
            found = _get_round(session, round_id)
            if found.state == "finished":
                raise RoundStateError(f"round {found.label} is finished; plan a new round")
            have = {(domain_id, kind) for domain_id, kind in session.execute(
                select(Test.domain_id, Test.kind).where(Test.round_id == round_id))}
            rows = [row for domain in _round_domains(session, found)
                    for row in _test_rows(round_id, domain) if
                    (row["domain_id"], row["kind"]) not in have]
            for start in range(0, len(rows), STREAM_BATCH):
                session.execute(insert(Test), rows[start:start + STREAM_BATCH])
            return len(have) + len(rows)

    def round(self, round_id: int) -> RoundInfo:
        with self._sessions() as session:
            return _round_info(session, _get_round(session, round_id))

    def done_since(self, round_id: int, since: dt.datetime | None,
                   known: Container[int] = ()
                   ) -> tuple[int, list[tuple[int, dt.datetime, dict[str, str]]]]:
        """How many of the round's tests are done, and those finished at or after ``since``
        (every one without it) that are not ``known``: id, finish time, column statuses.
        A progress bar follows a round with it without reading every result again."""
        window = select(Test.id).where(Test.round_id == round_id, Test.state == "done")
        if since is not None:
            window = window.where(Test.finished_at >= since)
        with self._sessions() as session:
            done = session.scalar(select(func.count()).select_from(Test).where(
                Test.round_id == round_id, Test.state == "done")) or 0
            new = [test_id for test_id in session.scalars(window) if test_id not in known]
            rows = [(test_id, _aware(finished), dict(columns or {}))
                    for start in range(0, len(new), STREAM_BATCH)
                    for test_id, finished, columns in session.execute(
                        select(Test.id, Test.finished_at, Test.columns).where(
                            Test.id.in_(new[start:start + STREAM_BATCH])))
                    if finished is not None]
        return done, rows

    def find_round(self, ref: str | int) -> RoundInfo:
        """A round by its label (``2021-03``) or its id; a label wins over an id."""
        if isinstance(ref, int):
            return self.round(ref)
        try:
            return self.round_by_label(ref)
        except StoreError:
            if ref.strip().isdigit():
                return self.round(int(ref))
            raise StoreError(f"no round {ref!r}; `meting rounds` lists the rounds by id "
                             "and label") from None

    def round_by_label(self, label: str) -> RoundInfo:
        with self._sessions() as session:
            found = session.scalar(select(Round).where(Round.label == label))
            if found is None:
                raise StoreError(f"no round labelled {label!r}")
            return _round_info(session, found)

    def rounds(self) -> list[RoundInfo]:
        """Every round, oldest first."""
        with self._sessions() as session:
            return [_round_info(session, r) for r in
                    session.scalars(select(Round).order_by(Round.date, Round.id))]

    def last_results(self) -> dict[int, dt.datetime]:
        """Round id -> when its last test result was stored (rounds with results only)."""
        query = select(Test.round_id, func.max(Test.finished_at)).where(
            Test.state == "done").group_by(Test.round_id)
        with self._sessions() as session:
            return {round_id: _aware(last) for round_id, last in session.execute(query)
                    if last is not None}

    def set_round_state(self, round_id: int, state: str) -> None:
        if state not in ROUND_STATES:
            raise RoundStateError(f"unknown round state {state!r}; one of {ROUND_STATES}")
        with self._sessions.begin() as session:
            found = _get_round(session, round_id)
            if state == found.state:
                return
            if state not in TRANSITIONS[found.state]:
                raise RoundStateError(f"round {found.label} cannot go from {found.state} "
                                      f"to {state}")
            found.state = state
            if state == "running" and found.started_at is None:
                found.started_at = _now()
            if state == "finished":
                found.finished_at = _now()

    # tests

    def pending_tests(self, round_id: int) -> list[PlannedTest]:
        """The round's tests still to run, in the order they were planned."""
        query = select(Test.id, Domain.name, Test.kind, Test.target).join(
            Domain, Domain.id == Test.domain_id).where(
            Test.round_id == round_id, Test.state == "planned").order_by(Test.id)
        with self._sessions() as session:
            return [PlannedTest(*row) for row in session.execute(query)]

    def record_attempt(self, test_id: int) -> int:
        """Count one more attempt at a test that is still planned; the attempts so far."""
        with self._sessions.begin() as session:
            session.connection().execute(update(Test).where(
                Test.id == test_id, Test.state == "planned").values(
                attempts=Test.attempts + 1))
            attempts = session.scalar(select(Test.attempts).where(Test.id == test_id))
            if attempts is None:
                raise StoreError(f"no test {test_id}")
            return attempts

    def save_result(self, test_id: int, evidence: dict[str, Any], judged: dict[str, Any],
                    *, attempts: int | None = None, raw: bytes | None = None,
                    raw_checked: bool = False) -> bool:
        """Store a test's statuses and evidence in one transaction.

        False, and nothing stored, when the test is already done: a result is saved once.
        `attempts` is how many attempts it took; without it, the attempts counted with
        `record_attempt` and this one. `raw`: the evidence's JSON (``codec.as_json``) when
        the caller wrote it already.
        """
        columns, explanations, subtests = _judged_fields(judged)
        data, size = codec.encode(evidence, raw, raw_checked)
        values: dict[str, Any] = {
            "done_id": test_id, "new_columns": columns, "new_explanations": explanations,
            "new_subtests": subtests, "new_finished_at": _now(), "new_data": data,
            "new_size": size}
        mark = MARKED_DONE_COUNTING
        if attempts is not None:
            mark, values["new_attempts"] = MARKED_DONE, attempts
        with self._sessions.begin() as session:
            connection = session.connection()
            marked = connection.execute(mark, values)
            if marked.rowcount == 0:
                if session.scalar(select(Test.id).where(Test.id == test_id)) is None:
                    raise StoreError(f"no test {test_id}")
                return False
            connection.execute(EVIDENCE_ADDED, values)
            return True

    def results(self, round_id: int, kind: str | None = None, *,
                with_evidence: bool = False) -> Iterator[StoredResult]:
        """The round's done tests, by domain, streamed in batches (memory stays bounded).

        With `with_evidence` each result carries its decoded evidence too (None for
        imported statuses, which have none).
        """
        query = select(*RESULT_FIELDS).join(Domain, Domain.id == Test.domain_id).join(
            Organisation, Organisation.id == Domain.organisation_id).where(
            Test.round_id == round_id, Test.state == "done").order_by(Domain.name, Test.kind)
        query = query.outerjoin(Reaction, (Reaction.round_id == Test.round_id) & (
            Reaction.organisation_id == Organisation.id)).add_columns(
            Reaction.round_id.is_not(None))
        if kind is not None:
            query = query.where(Test.kind == kind)
        if with_evidence:
            query = query.outerjoin(Evidence, Evidence.test_id == Test.id).add_columns(
                Evidence.data, Evidence.encoding)
        with self._sessions() as session:
            for row in session.execute(query.execution_options(yield_per=STREAM_BATCH)):
                yield _stored_result(*row)

    def import_statuses(self, round_id: int, kind: str, rows: Sequence[ImportedStatuses],
                        register: Sequence[ListEntry] = ()) -> int:
        """Statuses measured elsewhere as done tests without evidence, in one transaction.

        ``register``: registry entries for the file's domains that the registry lacks,
        added in the same transaction. Every domain must then be in the registry and not
        yet have a result of this kind in the round; otherwise nothing is stored (nor
        registered). Returns the number of tests stored.
        """
        with self._sessions.begin() as session:
            _get_round(session, round_id)
            if register:
                registry.import_entries(session, register)
            return imported.import_statuses(session, round_id, kind, rows)

    def import_round(self, label: str, date: dt.date | None, set_name: str | None,
                     kind: str, rows: Sequence[ImportedStatuses],
                     reactions: dict[str, str],
                     register: Sequence[ListEntry] = ()) -> tuple[RoundInfo, int]:
        """Statuses measured elsewhere, with formal reactions, into the round labelled
        `label` or with that id (made, finished, when new), after registering the domains
        in ``register``: all in one transaction, so a refusal leaves no round, no statuses
        and no new registry entries behind. The round and the tests stored."""
        with self._sessions.begin() as session:
            if register:
                registry.import_entries(session, register)
            found = session.scalar(select(Round).where(Round.label == label))
            if found is None and label.isdigit():  # --round takes an id too
                found = session.get(Round, int(label))
            if found is None:
                found = _new_round(session, set_name, IMPORTED_NORM, label, date, "local")
                found.state, found.started_at = "finished", _now()
                found.finished_at = found.started_at
            stored = imported.import_statuses(session, found.id, kind, rows)
            for organisation, text in reactions.items():
                imported.set_reaction(session, found.id, organisation, text)
            session.flush()
            return _round_info(session, found), stored

    def set_reaction(self, round_id: int, organisation: str, text: str) -> None:
        """Record (or replace the text of) an organisation's formal reaction to a round."""
        with self._sessions.begin() as session:
            _get_round(session, round_id)
            imported.set_reaction(session, round_id, organisation, text)

    def reactions(self, round_id: int) -> dict[str, str]:
        """Organisation -> text of its formal reaction to the round ("" when no text)."""
        with self._sessions() as session:
            return imported.reactions(session, round_id)

    def evidence(self, test_id: int) -> dict[str, Any]:
        with self._sessions() as session:
            row = session.execute(select(Evidence.data, Evidence.encoding).where(
                Evidence.test_id == test_id)).first()
        if row is None:
            raise KeyError(f"no evidence stored for test {test_id}")
        return codec.decode(*row)

    def rejudge(self, round_id: int, norm: str, judge: Judge) -> int:
        """Judge every done test of the round again from its evidence under `norm`.

        All or nothing: one transaction; the round then records `norm`. Tests without
        evidence (imported statuses) keep theirs. Returns the number of tests judged again.
        """
        judged_count = 0
        with self._sessions.begin() as session:
            found = _get_round(session, round_id)
            last = 0
            while batch := _evidence_batch(session, round_id, last):
                changes = [_rejudged(test_id, judge(kind, codec.decode(data, encoding), norm))
                           for test_id, kind, data, encoding in batch]
                session.connection().execute(REJUDGED, changes)
                judged_count += len(changes)
                last = batch[-1][0]
            found.norm = norm
        return judged_count


def _verify(engine: Engine, path: Path) -> None:
    with engine.connect() as connection:
        problems = doctor.quick_check(connection)
    if problems:
        raise StoreUnusable(f"the database file {path} is damaged ({problems[0]}); nothing "
                            "was changed; run `meting doctor` for what to do")


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes; the store writes UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _get_round(session: Session, round_id: int) -> Round:
    found = session.get(Round, round_id)
    if found is None:
        raise StoreError(f"no round {round_id}")
    return found


def _new_round(session: Session, set_name: str | None, norm: str, label: str | None,
               date: dt.date | None, executor: str) -> Round:
    day = date or dt.date.today()
    if set_name is not None and session.scalar(
            select(DomainSet.id).where(DomainSet.name == set_name)) is None:
        known = ", ".join(registry.domain_sets(session)) or "none yet"
        raise StoreError(f"no domain set {set_name!r} (known sets: {known})")
    if label is None:
        label = _free_label(session, day.strftime("%Y-%m"))
    elif _label_taken(session, label):
        raise StoreError(f"there is already a round labelled {label!r}")
    new = Round(label=label, set_name=set_name, date=day, norm=norm, state="planned",
                executor=executor, created_at=_now())
    session.add(new)
    session.flush()
    return new


def _label_taken(session: Session, label: str) -> bool:
    return session.scalar(select(Round.id).where(Round.label == label)) is not None


def _free_label(session: Session, base: str) -> str:
    label, n = base, 1
    while _label_taken(session, label):
        n += 1
        label = f"{base}-{n}"
    return label


def _round_domains(session: Session, found: Round) -> Sequence[Domain]:
    query = select(Domain).order_by(Domain.name)
    if found.set_name is not None:
        query = query.join(DomainSetMember, DomainSetMember.domain_id == Domain.id).join(
            DomainSet, DomainSet.id == DomainSetMember.set_id).where(
            DomainSet.name == found.set_name)
    return session.scalars(query).all()


def _test_rows(round_id: int, domain: Domain) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    common = {"round_id": round_id, "domain_id": domain.id, "state": "planned", "attempts": 0}
    if domain.web:
        rows.append({**common, "kind": "web", "target": web_target(domain.name, domain.web_host)})
    if domain.mail:
        rows.append({**common, "kind": "mail", "target": mail_target(domain.name)})
    return rows


def _round_info(session: Session, found: Round) -> RoundInfo:
    per_state = {state: count for state, count in session.execute(
        select(Test.state, func.count()).where(Test.round_id == found.id).group_by(Test.state))}
    counts: dict[str, dict[str, dict[str, int]]] = {}
    query = select(Test.kind, Test.columns).where(Test.round_id == found.id,
                                                  Test.state == "done")
    for kind, columns in session.execute(query.execution_options(yield_per=STREAM_BATCH)):
        for column, status in (columns or {}).items():
            per_status = counts.setdefault(kind, {}).setdefault(column, {})
            per_status[status] = per_status.get(status, 0) + 1
    return RoundInfo(id=found.id, label=found.label, set_name=found.set_name, date=found.date,
                     norm=found.norm, state=found.state, executor=found.executor,
                     planned=sum(per_state.values()), done=per_state.get("done", 0),
                     started_at=found.started_at, finished_at=found.finished_at,
                     counts=counts)


def _stored_result(test_id: int, domain: str, organisation: str, category: str,
                   umbrella: str | None, kind: str, target: str, columns: dict[str, str] | None,
                   explanations: dict[str, Any] | None, subtests: dict[str, Any] | None,
                   finished_at: dt.datetime | None, parent: str | None, reaction: bool,
                   data: bytes | None = None, encoding: str | None = None) -> StoredResult:
    subtests = subtests or {}
    return StoredResult(
        test_id=test_id, domain=domain, organisation=organisation, category=category,
        umbrella=umbrella, kind=kind, target=target, columns=dict(columns or {}),
        subtests={name: value["status"] for name, value in subtests.items()},
        explanations=dict(explanations or {}),
        subtest_explanations={name: value["explanation"] for name, value in subtests.items()
                              if value.get("explanation") is not None},
        finished_at=finished_at, reaction=bool(reaction), parent=parent or "",
        evidence=codec.decode(data, encoding) if data is not None and encoding else None)


def _evidence_batch(session: Session, round_id: int,
                    after: int) -> list[tuple[int, str, bytes, str]]:
    query = select(Test.id, Test.kind, Evidence.data, Evidence.encoding).join(
        Evidence, Evidence.test_id == Test.id).where(
        Test.round_id == round_id, Test.state == "done", Test.id > after).order_by(
        Test.id).limit(STREAM_BATCH)
    return [(test_id, kind, data, encoding)
            for test_id, kind, data, encoding in session.execute(query)]


REJUDGED = update(Test).where(Test.id == bindparam("test_id")).values(
    columns=bindparam("new_columns", type_=Test.columns.type),
    explanations=bindparam("new_explanations", type_=Test.explanations.type),
    subtests=bindparam("new_subtests", type_=Test.subtests.type))


# A result, stored: built once, as REJUDGED (building these statements for every result
# took a third of the time storing a round's results took).
MARKED_DONE_COUNTING = update(Test).where(
    Test.id == bindparam("done_id"), Test.state == "planned").values(
    state="done", attempts=Test.attempts + 1,
    columns=bindparam("new_columns", type_=Test.columns.type),
    explanations=bindparam("new_explanations", type_=Test.explanations.type),
    subtests=bindparam("new_subtests", type_=Test.subtests.type),
    finished_at=bindparam("new_finished_at", type_=Test.finished_at.type))
MARKED_DONE = MARKED_DONE_COUNTING.values(
    attempts=bindparam("new_attempts", type_=Test.attempts.type))
EVIDENCE_ADDED = insert(Evidence).values(
    test_id=bindparam("done_id"), encoding=codec.ENCODING,
    data=bindparam("new_data", type_=Evidence.data.type),
    size=bindparam("new_size", type_=Evidence.size.type))


def _rejudged(test_id: int, judged: dict[str, Any]) -> dict[str, Any]:
    columns, explanations, subtests = _judged_fields(judged)
    return {"test_id": test_id, "new_columns": columns, "new_explanations": explanations,
            "new_subtests": subtests}


def _judged_fields(judged: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any],
                                                     dict[str, Any]]:
    """Statuses, column explanations and subtests of a judged test, statuses checked."""
    columns = {name: str(Status(value["status"])) for name, value in judged["columns"].items()}
    explanations = {name: value.get("explanation") for name, value in judged["columns"].items()}
    subtests = {name: {**value, "status": str(Status(value["status"]))}
                for name, value in judged.get("subtests", {}).items()}
    return columns, explanations, subtests
