"""The review cycle in the store: windows, reactions, explanations, re-tests, mails,
recipients and schedules. ``ReviewStore`` shares the engine of a ``Store``; every method
is its own transaction and hands out plain records (``review_records``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from meting.checks.verdict import Status
from meting.store import codec, imported
from meting.store.models import Domain, Organisation, Round, Test
from meting.store.records import PlannedTest, Refusal
from meting.store.review_models import (
    Explanation,
    Mail,
    ReactionDraft,
    Recipient,
    Retest,
    ReviewWindow,
    Schedule,
)
from meting.store.review_records import (
    ExplanationInfo,
    MailInfo,
    ReactionInfo,
    RecipientInfo,
    RetestResult,
    ScheduleInfo,
    WindowInfo,
)
from meting.store.store import Store
from meting.store.web_models import User, UserOrganisation
from meting.words import Message, message, texts

BOOK = "meting.review"  # the review cycle's words: review/data/messages.yaml


def said(key: str, **values: Any) -> Message:
    return message(BOOK, key, **values)


def refused(key: str, **values: Any) -> Refusal:
    """The store's refusal of a review request, in Dutch and English."""
    return Refusal(said(key, **values))


def _kind(kind: str) -> Message | str:
    return said(f"kind_{kind}") if kind in ("web", "mail") else repr(kind)


def _state(state: str) -> Message | str:
    key = f"state_{state}"
    return said(key) if key in texts(BOOK) else state


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ReviewStore:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._sessions = store._sessions

    # windows

    def open_window(self, round_id: int, closes_on: dt.date, today: dt.date) -> WindowInfo:
        with self._sessions.begin() as session:
            found = _round(session, round_id)
            if found.state != "finished":
                raise refused("round_not_finished", round=found.label,
                              state=_state(found.state), id=str(found.id))
            if closes_on < today:
                raise refused("closing_date_passed", date=closes_on)
            window = session.get(ReviewWindow, round_id)
            if window is not None:
                if window.closed_at:
                    raise refused("review_already_closed", round=found.label)
                raise refused("review_already_open", round=found.label, date=window.closes_on)
            window = ReviewWindow(round_id=round_id, opened_at=now(), closes_on=closes_on)
            session.add(window)
            session.flush()
            return _window_info(found, window, today)

    def close_window(self, round_id: int, today: dt.date) -> WindowInfo:
        with self._sessions.begin() as session:
            found = _round(session, round_id)
            window = _window(session, found)
            if window.closed_at is not None:
                raise refused("review_was_closed", round=found.label,
                              date=window.closed_at.date())
            window.closed_at = now()
            return _window_info(found, window, today)

    def window(self, round_id: int, today: dt.date) -> WindowInfo | None:
        with self._sessions() as session:
            found = _round(session, round_id)
            window = session.get(ReviewWindow, round_id)
            return None if window is None else _window_info(found, window, today)

    def windows(self, today: dt.date) -> list[WindowInfo]:
        with self._sessions() as session:
            query = select(Round, ReviewWindow).join(
                ReviewWindow, ReviewWindow.round_id == Round.id).order_by(Round.date)
            return [_window_info(r, w, today) for r, w in session.execute(query)]

    # formal reactions

    def submit_reaction(self, round_id: int, organisation: str, text: str,
                        today: dt.date) -> ReactionInfo:
        with self._sessions.begin() as session:
            found = _open_round(session, round_id, today)
            org = _organisation(session, organisation)
            _in_round(session, found, org)
            draft = session.get(ReactionDraft, (round_id, org.id))
            if draft is not None and draft.state == "approved":
                raise refused("reaction_approved", organisation=org.name, round=found.label)
            if draft is None:
                draft = ReactionDraft(round_id=round_id, organisation_id=org.id)
                session.add(draft)
            draft.text, draft.state, draft.note = text, "submitted", None
            draft.submitted_at, draft.decided_at = now(), None
            session.flush()
            return _reaction_info(found, org, draft)

    def decide_reaction(self, round_id: int, organisation: str, approve: bool,
                        note: str | None = None) -> ReactionInfo:
        with self._sessions.begin() as session:
            found = _round(session, round_id)
            org = _organisation(session, organisation)
            draft = session.get(ReactionDraft, (round_id, org.id))
            if draft is None:
                raise refused("no_reaction", organisation=org.name, round=found.label)
            if draft.state != "submitted":
                raise refused("reaction_decided", organisation=org.name,
                              state=_state(draft.state))
            draft.state = "approved" if approve else "returned"
            draft.note, draft.decided_at = note, now()
            if approve:  # printed in the appendix with the asterisk from now on
                imported.set_reaction(session, round_id, org.name, draft.text)
            return _reaction_info(found, org, draft)

    def reactions(self, round_id: int) -> list[ReactionInfo]:
        """Submitted ones, and approved reactions that came in through import-results."""
        with self._sessions() as session:
            found = _round(session, round_id)
            query = select(Organisation, ReactionDraft).join(
                ReactionDraft, ReactionDraft.organisation_id == Organisation.id).where(
                ReactionDraft.round_id == round_id)
            listed = [_reaction_info(found, o, d) for o, d in session.execute(query)]
            seen = {r.organisation for r in listed}
            listed += [ReactionInfo(found.label, name, text, "approved", None, None, None)
                       for name, text in imported.reactions(session, round_id).items()
                       if name not in seen]
            return sorted(listed, key=lambda r: r.organisation)

    # explanations

    def submit_explanation(self, round_id: int, domain: str, kind: str, column: str,
                           reason: str, expires_on: dt.date, today: dt.date) -> ExplanationInfo:
        with self._sessions.begin() as session:
            found = _open_round(session, round_id, today)
            dom = _domain(session, domain)
            if expires_on <= today:
                raise refused("expiry_not_after_today", date=expires_on)
            columns = session.scalar(select(Test.columns).where(
                Test.round_id == round_id, Test.domain_id == dom.id, Test.kind == kind,
                Test.state == "done"))
            if columns is None:
                raise refused("no_result", round=found.label, kind=_kind(kind),
                              domain=dom.name)
            if column not in columns:
                raise refused("no_column", kind=_kind(kind), domain=dom.name,
                              column=repr(column), columns=list(columns))
            row = session.scalar(select(Explanation).where(
                Explanation.round_id == round_id, Explanation.domain_id == dom.id,
                Explanation.kind == kind, Explanation.column_name == column))
            if row is not None and row.state == "accepted":
                raise refused("explanation_accepted", domain=dom.name, column=column)
            if row is None:
                row = Explanation(round_id=round_id, domain_id=dom.id, kind=kind,
                                  column_name=column)
                session.add(row)
            row.reason, row.expires_on, row.state, row.note = reason, expires_on, \
                "submitted", None
            row.submitted_at, row.decided_at = now(), None
            session.flush()
            return _explanation_info(session, row)

    def decide_explanation(self, explanation_id: int, accept: bool,
                           note: str | None = None) -> ExplanationInfo:
        with self._sessions.begin() as session:
            row = session.get(Explanation, explanation_id)
            if row is None:
                raise refused("no_explanation", id=str(explanation_id))
            if row.state != "submitted":
                raise refused("explanation_decided", id=str(explanation_id),
                              state=_state(row.state))
            row.state = "accepted" if accept else "rejected"
            row.note, row.decided_at = note, now()
            return _explanation_info(session, row)

    def explanations(self, round_id: int | None = None) -> list[ExplanationInfo]:
        """Explanations given in a round (or all)."""
        with self._sessions() as session:
            query = select(Explanation).order_by(Explanation.id)
            if round_id is not None:
                query = query.where(Explanation.round_id == round_id)
            return [_explanation_info(session, row) for row in session.scalars(query)]

    def explanations_valid_for(self, round_id: int) -> list[ExplanationInfo]:
        """Accepted explanations that hold for a round: given in it or in an earlier round
        of any set, not expired on the round's date."""
        with self._sessions() as session:
            found = _round(session, round_id)
            query = select(Explanation).join(Round, Round.id == Explanation.round_id).where(
                Explanation.state == "accepted", Round.date <= found.date,
                Explanation.expires_on >= found.date).order_by(Explanation.id)
            return [_explanation_info(session, row) for row in session.scalars(query)]

    # re-tests

    def plan_retests(self, round_id: int, domain: str, requested_by: str, today: dt.date,
                     limit: tuple[int, dt.timedelta] | None,
                     kinds: Sequence[str] = ("web", "mail"),
                     in_review: bool = True) -> list[PlannedTest]:
        """Re-test rows for the domain's tests in the round (of `kinds`). Refused outside
        the round, when its review is not open (unless not `in_review`: scheduled laggard
        re-tests), or past the organisation's limit (count, period)."""
        with self._sessions.begin() as session:
            found = _open_round(session, round_id, today) if in_review else \
                _round(session, round_id)
            dom = _domain(session, domain)
            tests = session.execute(select(Test.kind, Test.target).where(
                Test.round_id == round_id, Test.domain_id == dom.id,
                Test.kind.in_(kinds))).all()
            if not tests:
                raise refused("not_in_round", domain=dom.name, round=found.label)
            if limit is not None:
                _check_limit(session, dom.organisation_id, len(tests), *limit)
            rows = [Retest(round_id=round_id, domain_id=dom.id,
                           organisation_id=dom.organisation_id, kind=kind, target=target,
                           requested_by=requested_by, requested_at=now(), state="planned",
                           attempts=0) for kind, target in tests]
            session.add_all(rows)
            session.flush()
            return [PlannedTest(r.id, dom.name, r.kind, r.target) for r in rows]

    def save_retest(self, retest_id: int, evidence: dict[str, Any], judged: dict[str, Any],
                    attempts: int) -> bool:
        columns = {n: str(Status(v["status"])) for n, v in judged["columns"].items()}
        explanations = {n: v.get("explanation") for n, v in judged["columns"].items()}
        subtests = {n: {**v, "status": str(Status(v["status"]))}
                    for n, v in judged.get("subtests", {}).items()}
        data, _size = codec.encode(evidence)
        with self._sessions.begin() as session:
            marked = session.connection().execute(update(Retest).where(
                Retest.id == retest_id, Retest.state == "planned").values(
                state="done", columns=columns, explanations=explanations, subtests=subtests,
                finished_at=now(), attempts=attempts, encoding=codec.ENCODING, evidence=data))
            return marked.rowcount == 1

    def pending_retests(self, requested_before: dt.datetime) -> list[PlannedTest]:
        """Re-tests asked for (before the given time) but not run: their process stopped."""
        query = select(Retest.id, Domain.name, Retest.kind, Retest.target).join(
            Domain, Domain.id == Retest.domain_id).where(
            Retest.state == "planned", Retest.requested_at < requested_before)
        with self._sessions() as session:
            return [PlannedTest(*row) for row in session.execute(query.order_by(Retest.id))]

    def finished_retests(self, ids: Sequence[int]) -> set[int]:
        """Which of these re-tests are done (stored by whichever process ran them)."""
        query = select(Retest.id).where(Retest.id.in_(list(ids)), Retest.state == "done")
        with self._sessions() as session:
            return set(session.scalars(query))

    def retests(self, round_id: int, done_before: dt.datetime | None = None,
                ids: Sequence[int] | None = None) -> list[RetestResult]:
        """The round's done re-tests, oldest first (finished before `done_before`)."""
        query = select(Retest, Domain.name, Organisation.name).join(
            Domain, Domain.id == Retest.domain_id).join(
            Organisation, Organisation.id == Retest.organisation_id).where(
            Retest.round_id == round_id, Retest.state == "done").order_by(
            Retest.finished_at, Retest.id)
        if done_before is not None:
            query = query.where(Retest.finished_at < done_before)
        if ids is not None:
            query = query.where(Retest.id.in_(list(ids)))
        with self._sessions() as session:
            return [RetestResult(
                id=r.id, round_id=r.round_id, domain=name, organisation=org, kind=r.kind,
                target=r.target, requested_by=r.requested_by, requested_at=r.requested_at,
                finished_at=r.finished_at, columns=dict(r.columns or {}),
                explanations=dict(r.explanations or {}),
                subtests={k: v["status"] for k, v in (r.subtests or {}).items()},
                attempts=r.attempts)
                for r, name, org in session.execute(query)]

    def original_statuses(self, round_id: int, domain: str) -> list[tuple[str, str, str]]:
        """(kind, column, status) of the domain's results in the round as measured."""
        query = select(Test.kind, Test.columns).join(Domain, Domain.id == Test.domain_id).where(
            Test.round_id == round_id, Domain.name == domain, Test.state == "done")
        with self._sessions() as session:
            return [(kind, column, status) for kind, columns in session.execute(query)
                    for column, status in (columns or {}).items()]

    def retest_evidence(self, retest_id: int) -> dict[str, Any]:
        with self._sessions() as session:
            row = session.get(Retest, retest_id)
            if row is None or row.evidence is None or row.encoding is None:
                raise refused("no_retest_evidence", id=str(retest_id))
            return codec.decode(row.evidence, row.encoding)

    # recipients

    def add_recipient(self, scope: str, name: str, address: str, lang: str) -> None:
        with self._sessions.begin() as session:
            if scope == "organisation":
                _organisation(session, name)
            existing = session.scalar(select(Recipient).where(
                Recipient.scope == scope, Recipient.name == name, Recipient.address == address))
            if existing is None:
                session.add(Recipient(scope=scope, name=name, address=address, lang=lang))
            else:
                existing.lang = lang

    def remove_recipient(self, scope: str, name: str, address: str) -> bool:
        with self._sessions.begin() as session:
            row = session.scalar(select(Recipient).where(
                Recipient.scope == scope, Recipient.name == name, Recipient.address == address))
            if row is None:
                return False
            session.delete(row)
            return True

    def recipients(self, scope: str | None = None, name: str | None = None
                   ) -> list[RecipientInfo]:
        query = select(Recipient).order_by(Recipient.scope, Recipient.name, Recipient.address)
        if scope is not None:
            query = query.where(Recipient.scope == scope)
        if name is not None:
            query = query.where(Recipient.name == name)
        with self._sessions() as session:
            return [RecipientInfo(r.scope, r.name, r.address, r.lang)
                    for r in session.scalars(query)]

    def account_addresses(self, scope: str, name: str) -> list[tuple[str, str]]:
        """The e-mail addresses of the dashboard accounts of an organisation (accounts that
        see it) or of an umbrella, each with the account's language."""
        if scope == "organisation":
            query = select(User.email, User.lang).join(
                UserOrganisation, UserOrganisation.user_id == User.id).join(
                Organisation, Organisation.id == UserOrganisation.organisation_id).where(
                User.role == "organisation", Organisation.name == name)
        elif scope == "umbrella":
            query = select(User.email, User.lang).where(User.role == "umbrella",
                                                        User.umbrella == name)
        else:
            return []
        with self._sessions() as session:
            return sorted({(email, lang) for email, lang in session.execute(query)})

    def organisation_contact(self, organisation: str) -> str | None:
        with self._sessions() as session:
            return session.scalar(select(Organisation.contact).where(
                Organisation.name == organisation))

    def organisations_of_round(self, round_id: int) -> list[tuple[str, str | None]]:
        """(organisation, umbrella) of every organisation with a done test in the round."""
        query = select(Organisation.name, Organisation.umbrella).distinct().join(
            Domain, Domain.organisation_id == Organisation.id).join(
            Test, Test.domain_id == Domain.id).where(
            Test.round_id == round_id, Test.state == "done").order_by(Organisation.name)
        with self._sessions() as session:
            return [(name, umbrella) for name, umbrella in session.execute(query)]

    # mails

    def queue_mail(self, key: str, event: str, recipient: str, lang: str, subject: str,
                   text: str, html: str, message_id: str) -> bool:
        """Queue a mail once: False when a mail with this key was queued before."""
        with self._sessions.begin() as session:
            if session.scalar(select(Mail.id).where(Mail.key == key)) is not None:
                return False
            moment = now()
            session.add(Mail(key=key, event=event, recipient=recipient, lang=lang,
                             subject=subject, text=text, html=html, message_id=message_id,
                             state="queued", attempts=0, created_at=moment,
                             next_attempt_at=moment))
            return True

    def claim_mail(self, moment: dt.datetime, max_attempts: int) -> MailInfo | None:
        """The next due mail, marked ``sending`` (committed before any SMTP is spoken)."""
        with self._sessions.begin() as session:
            row = session.scalar(select(Mail).where(
                Mail.state.in_(("queued", "failed")), Mail.next_attempt_at <= moment,
                Mail.attempts < max_attempts).order_by(Mail.id).limit(1))
            if row is None:
                return None
            claimed = session.connection().execute(update(Mail).where(
                Mail.id == row.id, Mail.state == row.state).values(
                state="sending", attempts=Mail.attempts + 1, next_attempt_at=moment))
            if claimed.rowcount != 1:  # another sender took it
                return None
            session.refresh(row)
            return _mail_info(row)

    def mail_sent(self, mail_id: int) -> None:
        with self._sessions.begin() as session:
            session.connection().execute(update(Mail).where(Mail.id == mail_id).values(
                state="sent", sent_at=now(), last_error=None))

    def mail_failed(self, mail_id: int, error: str, retry_at: dt.datetime) -> None:
        with self._sessions.begin() as session:
            session.connection().execute(update(Mail).where(Mail.id == mail_id).values(
                state="failed", last_error=error[:2000], next_attempt_at=retry_at))

    def mark_interrupted_mails(self, claimed_before: dt.datetime) -> int:
        """Mails left ``sending`` by a process that stopped (claimed before the given time,
        longer ago than any delivery takes): maybe delivered, so never sent again by
        themselves (``uncertain``; a coordinator may resend them)."""
        with self._sessions.begin() as session:
            return session.connection().execute(update(Mail).where(
                Mail.state == "sending", Mail.next_attempt_at < claimed_before).values(
                state="uncertain", last_error="the sending process stopped during delivery")
            ).rowcount

    def resend_mail(self, mail_id: int) -> None:
        with self._sessions.begin() as session:
            row = session.get(Mail, mail_id)
            if row is None:
                raise refused("no_mail", id=str(mail_id))
            if row.state == "sent":
                raise refused("mail_delivered", id=str(mail_id), moment=row.sent_at)
            row.state, row.attempts, row.next_attempt_at = "queued", 0, now()

    def mails(self, state: str | None = None) -> list[MailInfo]:
        query = select(Mail).order_by(Mail.id)
        if state is not None:
            query = query.where(Mail.state == state)
        with self._sessions() as session:
            return [_mail_info(row) for row in session.scalars(query)]

    # schedules

    def add_schedule(self, set_name: str, cron: str, label_pattern: str | None,
                     retest_laggards: bool) -> ScheduleInfo:
        if set_name not in self.store.domain_sets():
            known = self.store.domain_sets()
            raise refused("no_set", set=repr(set_name),
                          known=list(known) if known else said("no_sets_yet"))
        with self._sessions.begin() as session:
            row = Schedule(set_name=set_name, cron=cron, label_pattern=label_pattern,
                           retest_laggards=retest_laggards, created_at=now())
            session.add(row)
            session.flush()
            return _schedule_info(row)

    def remove_schedule(self, schedule_id: int) -> None:
        with self._sessions.begin() as session:
            row = session.get(Schedule, schedule_id)
            if row is None:
                raise refused("no_schedule", id=str(schedule_id))
            session.delete(row)

    def schedules(self) -> list[ScheduleInfo]:
        with self._sessions() as session:
            return [_schedule_info(r) for r in session.scalars(select(Schedule).order_by(
                Schedule.id))]

    def schedule_acted(self, schedule_id: int, due: dt.datetime | None = None,
                       round_id: int | None = None,
                       retests: dt.datetime | None = None) -> None:
        with self._sessions.begin() as session:
            row = session.get(Schedule, schedule_id)
            if row is None:
                raise refused("no_schedule", id=str(schedule_id))
            if due is not None:
                row.last_due, row.last_round_id = due, round_id
            if retests is not None:
                row.last_retests = retests


def _round(session: Session, round_id: int) -> Round:
    found = session.get(Round, round_id)
    if found is None:
        raise refused("no_round", id=str(round_id))
    return found


def _window(session: Session, found: Round) -> ReviewWindow:
    window = session.get(ReviewWindow, found.id)
    if window is None:
        raise refused("review_not_opened", round=found.label)
    return window


def _open_round(session: Session, round_id: int, today: dt.date) -> Round:
    found = _round(session, round_id)
    window = _window(session, found)
    if window.closed_at is not None or today > window.closes_on:
        closed = window.closed_at.date() if window.closed_at else window.closes_on
        raise refused("review_closed", round=found.label, date=closed)
    return found


def _organisation(session: Session, name: str) -> Organisation:
    found = session.scalar(select(Organisation).where(Organisation.name == name))
    if found is None:
        raise refused("no_organisation", name=repr(name))
    return found


def _domain(session: Session, name: str) -> Domain:
    found = session.scalar(select(Domain).where(Domain.name == name))
    if found is None:
        raise refused("no_domain", name=repr(name))
    return found


def _in_round(session: Session, found: Round, org: Organisation) -> None:
    has = session.scalar(select(Test.id).join(Domain, Domain.id == Test.domain_id).where(
        Test.round_id == found.id, Domain.organisation_id == org.id).limit(1))
    if has is None:
        raise refused("no_domains_in_round", organisation=org.name, round=found.label)


def _check_limit(session: Session, organisation_id: int, wanted: int, count: int,
                 period: dt.timedelta) -> None:
    since = now() - period
    used = session.scalar(select(func.count()).select_from(Retest).where(
        Retest.organisation_id == organisation_id, Retest.requested_at >= since,
        Retest.requested_by != "schedule")) or 0
    if used + wanted > count:
        raise refused("retest_limit", used=used, hours=period.total_seconds() / 3600,
                      count=count)


def _window_info(found: Round, window: ReviewWindow, today: dt.date) -> WindowInfo:
    return WindowInfo(round_id=found.id, label=found.label, opened_at=window.opened_at,
                      closes_on=window.closes_on, closed_at=window.closed_at,
                      is_open=window.closed_at is None and today <= window.closes_on)


def _reaction_info(found: Round, org: Organisation, draft: ReactionDraft) -> ReactionInfo:
    return ReactionInfo(found.label, org.name, draft.text, draft.state, draft.note,
                        draft.submitted_at, draft.decided_at)


def _explanation_info(session: Session, row: Explanation) -> ExplanationInfo:
    domain, organisation = session.execute(select(Domain.name, Organisation.name).join(
        Organisation, Organisation.id == Domain.organisation_id).where(
        Domain.id == row.domain_id)).one()
    label = session.scalar(select(Round.label).where(Round.id == row.round_id)) or ""
    return ExplanationInfo(id=row.id, round_label=label, domain=domain,
                           organisation=organisation, kind=row.kind, column=row.column_name,
                           reason=row.reason, expires_on=row.expires_on, state=row.state,
                           note=row.note, submitted_at=row.submitted_at,
                           decided_at=row.decided_at)


def _mail_info(row: Mail) -> MailInfo:
    return MailInfo(id=row.id, key=row.key, event=row.event, recipient=row.recipient,
                    lang=row.lang, subject=row.subject, text=row.text, html=row.html,
                    message_id=row.message_id, state=row.state, attempts=row.attempts,
                    last_error=row.last_error, created_at=row.created_at,
                    sent_at=row.sent_at)


def _schedule_info(row: Schedule) -> ScheduleInfo:
    return ScheduleInfo(id=row.id, set_name=row.set_name, cron=row.cron,
                        label_pattern=row.label_pattern, retest_laggards=row.retest_laggards,
                        created_at=row.created_at, last_due=row.last_due,
                        last_round_id=row.last_round_id, last_retests=row.last_retests)
