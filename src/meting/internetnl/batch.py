"""A batch: a domain set's targets sent to Internet.nl's batch API in requests within the
terms, each recorded in the store before it is sent, polled with growing waits until done,
and the results (with the technical results as explanations) stored as one round through
the batch import mapping (analysis/imports.py).

Never twice: a request is recorded as ``submitting`` before its POST. When the answer (with
the request id) is lost — a crash, a kill, a broken connection — the request may or may not
exist at Internet.nl. Before anything is sent again, the user's list of requests
(GET /requests?limit=0) is searched for the request's handle, a name unique to it: found,
its id is recorded; not found, Internet.nl never registered it and it is sent again. When
the list cannot be read, nothing is sent.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeVar

from meting.analysis.imports import ImportProblems, read_batch_json
from meting.errors import InputError, OperationError
from meting.internetnl import details
from meting.internetnl.api import BadCredentials, BatchClient, Refused, Secret, Unavailable
from meting.internetnl.terms import Terms
from meting.registry.names import BadDomainName, normalise
from meting.settings import Settings
from meting.store import ImportedStatuses, RoundInfo, Store
from meting.store.internetnl import ENDED, WORKING, InternetnlStore, PlannedPart, RequestInfo

T = TypeVar("T")
WEEK = dt.timedelta(days=7)
Report = Callable[[Sequence[RequestInfo], str], None]


class BatchError(OperationError):
    pass


def client(settings: Settings) -> BatchClient:
    return BatchClient(settings.internetnl_url, settings.internetnl_user,
                       Secret(settings.internetnl_password))


def set_targets(store: Store, set_name: str, kind: str) -> dict[str, str]:
    """Target tested -> registry domain, for the set's domains with this test role."""
    if set_name not in store.domain_sets():
        known = ", ".join(store.domain_sets()) or "none yet"
        raise InputError(f"no domain set {set_name!r} (known sets: {known})")
    found = {}
    for entry in store.export_entries():
        target = entry.web_target if kind == "web" else entry.mail_target
        if set_name in entry.sets and target:
            found[target] = entry.domain
    if not found:
        raise InputError(f"the set {set_name!r} has no domains with a {kind} test")
    return dict(sorted(found.items()))


def plan(store: Store, kind: str, set_name: str, label: str, terms: Terms,
         per_request: int | None = None, over_limit: bool = False) -> list[RequestInfo]:
    """Record a new batch's requests (sent by ``Batch.advance``); refused beyond the terms
    unless ``over_limit``."""
    if kind not in ("web", "mail"):
        raise InputError(f"unknown test kind {kind!r}; web or mail")
    size = per_request or terms.max_domains
    if size < 1:
        raise InputError("--per-request must be at least 1")
    if size > terms.max_domains and not over_limit:
        raise InputError(f"--per-request {size} is more than the {terms.max_domains} domains "
                         "a request may hold under Internet.nl's terms; add --over-limit "
                         "if your agreement with Internet.nl allows it")
    targets = list(set_targets(store, set_name, kind).items())
    parts = [targets[i:i + size] for i in range(0, len(targets), size)]
    books = InternetnlStore(store)
    recent = books.sent_since(dt.datetime.now(dt.UTC) - WEEK) + _waiting(books)
    if recent + len(parts) > terms.requests_per_week and not over_limit:
        raise InputError(
            f"sending {len(targets)} domains needs {len(parts)} requests; with the "
            f"{recent} sent or waiting to be sent in the last 7 days that exceeds the "
            f"{terms.requests_per_week} requests a week of Internet.nl's terms; wait, or "
            "add --over-limit if your agreement with Internet.nl allows it")
    nonce = uuid.uuid4().hex[:12]
    return books.plan_batch(label, kind, set_name, [
        PlannedPart(f"meting {label} {n}/{len(parts)} {nonce}", dict(part))
        for n, part in enumerate(parts, start=1)])


def _waiting(books: InternetnlStore) -> int:
    return sum(1 for r in books.requests() if r.state == "planned")


class Batch:
    """Carries one batch on from wherever it stopped: reconcile, send, poll, import."""

    def __init__(self, store: Store, api: BatchClient, settings: Settings,
                 report: Report | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.books = InternetnlStore(store)
        self.api = api
        self.settings = settings
        self.report = report or (lambda rows, note: None)
        self.sleep = sleep

    def advance(self, batch: str) -> RoundInfo:
        rows = self.books.requests(batch)
        if rows and all(r.state == "imported" for r in rows):
            raise InputError(f"the batch {batch!r} is already stored as round {batch!r}")
        self._retrying(lambda: self._send_all(batch))
        self._poll(batch)
        return self._retrying(lambda: self._import(batch))

    def cancel(self, batch: str) -> list[RequestInfo]:
        self._retrying(lambda: self._reconcile(batch))
        for row in self.books.requests(batch):
            if row.request_id and row.state in WORKING:
                answer = self._retrying(partial(self.api.cancel, row.request_id))
                self.books.set_state(row.id, answer.status)
            if row.state in ("planned", "done") or (row.state in WORKING and not row.request_id):
                self.books.set_state(row.id, "cancelled", "cancelled before it was sent"
                                     if row.state == "planned" else "cancelled by the user")
        return self.books.requests(batch)

    def refresh(self, batch: str) -> list[RequestInfo]:
        """The batch's requests with the states Internet.nl gives them now."""
        for row in self.books.requests(batch):
            if row.request_id and row.state in WORKING:
                answer = self.api.status(row.request_id)
                if answer.status != row.state:
                    self.books.set_state(row.id, answer.status)
        return self.books.requests(batch)

    # -- sending ------------------------------------------------------------------------

    def _send_all(self, batch: str) -> None:
        self._reconcile(batch)
        for row in self.books.requests(batch):
            if row.state == "planned":
                self._send(row)

    def _reconcile(self, batch: str) -> None:
        """Requests recorded as submitting without an id: found at Internet.nl by their
        handle, or known never to have been registered."""
        lost = [r for r in self.books.requests(batch) if r.state == "submitting"]
        if not lost:
            return
        known = {r.name: r for r in self.api.list_requests()}
        for row in lost:
            found = known.get(row.handle)
            if found is None:
                self.books.back_to_planned(row.id)
            else:
                self.books.record_sent(row.id, found.request_id, found.status)

    def _send(self, row: RequestInfo) -> None:
        self.report(self.books.requests(row.batch), f"sending {row.part}/{row.parts}")
        self.books.mark_submitting(row.id)
        try:
            answer = self.api.register(row.kind, row.handle, list(row.targets))
        except (BadCredentials, Refused) as exc:  # answered: nothing was registered
            self.books.back_to_planned(row.id)
            self.books.note(row.id, str(exc))
            raise
        self.books.record_sent(row.id, answer.request_id, answer.status)

    # -- waiting ------------------------------------------------------------------------

    def _poll(self, batch: str) -> None:
        wait = self.settings.internetnl_poll
        while True:
            rows = self._retrying(lambda: self.refresh(batch))
            ended = [r for r in rows if r.state in ("error", "cancelled")]
            if ended:
                raise BatchError(
                    f"request {ended[0].part}/{ended[0].parts} of {batch} "
                    f"({ended[0].request_id or 'not sent'}) is {ended[0].state} at Internet.nl;"
                    f" nothing imported. Cancel the batch (meting internetnl cancel --label "
                    f"{batch}) and submit again")
            if all(r.state in ("done", "imported") for r in rows):
                return
            self.report(rows, f"next look in {wait:.0f} s")
            self.sleep(wait)
            wait = min(wait * 1.5, self.settings.internetnl_poll_max)

    def _retrying(self, call: Callable[[], T]) -> T:
        """``call`` again after 5xx answers or no answer, waiting longer each time."""
        wait = self.settings.internetnl_poll
        for attempt in range(1, self.settings.internetnl_retries + 1):
            try:
                return call()
            except Unavailable as exc:
                if attempt == self.settings.internetnl_retries:
                    raise BatchError(f"{exc}; gave up after {attempt} tries, nothing is lost: "
                                     "continue later with meting internetnl resume") from None
                self.report([], f"{exc}; trying again in {wait:.0f} s")
                self.sleep(wait)
                wait = min(wait * 2, self.settings.internetnl_poll_max)
        raise AssertionError("unreachable")

    # -- importing ----------------------------------------------------------------------

    def _import(self, batch: str) -> RoundInfo:
        rows = self.books.requests(batch)
        self.report(rows, "downloading the results")
        statuses: list[ImportedStatuses] = []
        for row in rows:
            statuses += self._part(row)
        first = rows[0]
        return self.books.import_batch(batch, first.kind, first.set_name, statuses,
                                       dt.date.today())

    def _part(self, row: RequestInfo) -> list[ImportedStatuses]:
        request_id = row.request_id or ""
        results = self.api.results(request_id)
        technical = self.api.results_technical(request_id)
        by_name = {_name(n): n for n in results}
        try:
            items = read_batch_json({"domains": results}, row.kind)
        except ImportProblems as exc:
            raise BatchError(f"the results of request {request_id} are not as Internet.nl "
                             f"documents them: {exc.problems[0]}") from None
        strangers = [i.domain for i in items if i.domain not in row.targets]
        if strangers:
            raise BatchError(f"the results of request {request_id} name domains that were "
                             f"not sent: {', '.join(strangers[:10])}")
        found = []
        for item in items:
            name = by_name.get(item.domain, item.domain)
            said = details.explanations(row.kind, results[name], _mapping(technical.get(name)))
            found.append(ImportedStatuses(row.targets[item.domain], dict(item.columns),
                                          explanations={c: said[c] for c in item.columns
                                                        if c in said}))
        return found


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _name(text: str) -> str:
    if text.isascii() and text == text.lower() and not text.endswith("."):
        return text  # as normalise would give it, without its cost per name
    try:
        return normalise(text)
    except BadDomainName:
        return text


def unfinished(store: Store) -> list[str]:
    return InternetnlStore(store).batches(unfinished=True)


__all__ = ["ENDED", "Batch", "BatchError", "client", "plan", "unfinished"]
