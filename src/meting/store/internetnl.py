"""Internet.nl batch requests in the store. ``InternetnlStore`` shares the engine of a
``Store``; every method is its own transaction and hands out plain records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from meting.store import imported
from meting.store.internetnl_models import InternetnlRequest
from meting.store.records import ImportedStatuses, RoundInfo, StoreError
from meting.store.store import IMPORTED_NORM, Store, _label_taken, _new_round, _round_info

# states in which Internet.nl still works on a request
WORKING = ("registering", "running", "generating")
# states after which nothing more happens to a request
ENDED = ("error", "cancelled", "imported")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class RequestInfo:
    id: int
    batch: str
    kind: str
    set_name: str | None
    part: int
    parts: int
    handle: str
    targets: dict[str, str]  # target tested -> registry domain
    request_id: str | None
    state: str
    message: str | None
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    updated_at: dt.datetime


@dataclass(frozen=True)
class PlannedPart:
    handle: str
    targets: dict[str, str]


class InternetnlStore:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._sessions = store._sessions

    def plan_batch(self, batch: str, kind: str, set_name: str | None,
                   parts: Sequence[PlannedPart]) -> list[RequestInfo]:
        """Record every request of a new batch as planned (nothing is sent yet)."""
        with self._sessions.begin() as session:
            if _label_taken(session, batch) or session.scalar(select(InternetnlRequest.id).where(
                    InternetnlRequest.batch == batch)) is not None:
                raise StoreError(f"the label {batch!r} is taken (a round or an earlier "
                                 "Internet.nl batch); choose another with --label")
            moment = now()
            rows = [InternetnlRequest(batch=batch, kind=kind, set_name=set_name, part=n,
                                      parts=len(parts), handle=p.handle, targets=p.targets,
                                      state="planned", created_at=moment, updated_at=moment)
                    for n, p in enumerate(parts, start=1)]
            session.add_all(rows)
            session.flush()
            return [_info(r) for r in rows]

    def requests(self, batch: str | None = None) -> list[RequestInfo]:
        query = select(InternetnlRequest).order_by(InternetnlRequest.created_at,
                                                   InternetnlRequest.batch, InternetnlRequest.part)
        if batch is not None:
            query = query.where(InternetnlRequest.batch == batch)
        with self._sessions() as session:
            return [_info(r) for r in session.scalars(query)]

    def batches(self, unfinished: bool = False) -> list[str]:
        """Batch labels, oldest first; ``unfinished``: those with a request not ended."""
        query = select(InternetnlRequest.batch, func.min(InternetnlRequest.created_at))
        if unfinished:
            query = query.where(InternetnlRequest.state.not_in(ENDED))
        query = query.group_by(InternetnlRequest.batch).order_by(
            func.min(InternetnlRequest.created_at))
        with self._sessions() as session:
            return [batch for batch, _ in session.execute(query)]

    def sent_since(self, moment: dt.datetime) -> int:
        """Requests sent (or being sent) to Internet.nl since ``moment``."""
        with self._sessions() as session:
            return session.scalar(select(func.count()).select_from(InternetnlRequest).where(
                InternetnlRequest.submitted_at >= moment)) or 0

    def mark_submitting(self, row_id: int) -> None:
        """Recorded before the POST: a crash after it leaves a trace to reconcile."""
        self._update(row_id, state="submitting", submitted_at=now(), message=None)

    def record_sent(self, row_id: int, request_id: str, state: str) -> None:
        self._update(row_id, request_id=request_id, state=state, message=None)

    def set_state(self, row_id: int, state: str, message: str | None = None) -> None:
        self._update(row_id, state=state, message=message)

    def note(self, row_id: int, message: str) -> None:
        self._update(row_id, message=message)

    def back_to_planned(self, row_id: int) -> None:
        """A request recorded as submitting that Internet.nl never registered."""
        self._update(row_id, state="planned", submitted_at=None)

    def import_batch(self, batch: str, kind: str, set_name: str | None,
                     rows: Sequence[ImportedStatuses], date: dt.date) -> RoundInfo:
        """The batch's results as a new finished round, and its requests marked imported,
        in one transaction."""
        with self._sessions.begin() as session:
            found = _new_round(session, set_name, IMPORTED_NORM, batch, date, "internetnl")
            found.state, found.started_at = "finished", now()
            found.finished_at = found.started_at
            imported.import_statuses(session, found.id, kind, rows)
            for request in session.scalars(select(InternetnlRequest).where(
                    InternetnlRequest.batch == batch)):
                request.state, request.updated_at = "imported", now()
            session.flush()
            return _round_info(session, found)

    def _update(self, row_id: int, **values: object) -> None:
        with self._sessions.begin() as session:
            found = _get(session, row_id)
            for name, value in values.items():
                setattr(found, name, value)
            found.updated_at = now()


def _get(session: Session, row_id: int) -> InternetnlRequest:
    found = session.get(InternetnlRequest, row_id)
    if found is None:
        raise StoreError(f"no Internet.nl request {row_id} in the store")
    return found


def _info(row: InternetnlRequest) -> RequestInfo:
    return RequestInfo(row.id, row.batch, row.kind, row.set_name, row.part, row.parts,
                       row.handle, dict(row.targets), row.request_id, row.state, row.message,
                       row.created_at, row.submitted_at, row.updated_at)
