"""Tables of the review cycle (issue 15): review windows, formal reactions as submitted,
explanations, re-tests with their evidence, the mail outbox, recipients and schedules.

They share ``Base`` with ``models.py`` (which imports this module), so migrations and
the model comparison see them; their migration is ``15_review.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from meting.store.models import DOMAIN_NAME, Base, UtcDateTime

REACTION_STATES = ("submitted", "approved", "returned")
EXPLANATION_STATES = ("submitted", "accepted", "rejected")
RETEST_STATES = ("planned", "done")
MAIL_STATES = ("queued", "sending", "sent", "failed", "uncertain")
RECIPIENT_SCOPES = ("organisation", "umbrella", "coordinator")


class ReviewWindow(Base):
    """The review of a finished round: open until ``closes_on`` or until closed."""

    __tablename__ = "review_windows"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    opened_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    closes_on: Mapped[dt.date] = mapped_column(Date)  # the last day it is open
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class ReactionDraft(Base):
    """A formal reaction as an organisation submitted it; approved ones go to ``reactions``."""

    __tablename__ = "reaction_drafts"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True, index=True)
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)  # the coordinator's word on a return
    submitted_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class Explanation(Base):
    """Comply-or-explain on one domain and column, given in a round, valid until expiry."""

    __tablename__ = "explanations"
    __table_args__ = (UniqueConstraint("round_id", "domain_id", "kind", "column_name",
                                       name="uq_explanations_round_domain_column"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    domain_id: Mapped[int] = mapped_column(
        ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    column_name: Mapped[str] = mapped_column(String(50))
    reason: Mapped[str] = mapped_column(Text)
    expires_on: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class Retest(Base):
    """A test of one domain run again on request during a round's review, with evidence."""

    __tablename__ = "retests"
    __table_args__ = (Index("ix_retests_round_domain", "round_id", "domain_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    domain_id: Mapped[int] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    target: Mapped[str] = mapped_column(String(DOMAIN_NAME))
    requested_by: Mapped[str] = mapped_column(String(300))
    requested_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(String(20))
    columns: Mapped[dict[str, str] | None] = mapped_column(JSON)
    explanations: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    subtests: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    encoding: Mapped[str | None] = mapped_column(String(10))
    evidence: Mapped[bytes | None] = mapped_column(LargeBinary)


class Mail(Base):
    """One mail to one recipient; ``key`` makes queueing the same notice twice a no-op."""

    __tablename__ = "mails"
    __table_args__ = (Index("ix_mails_state", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(500), unique=True)
    event: Mapped[str] = mapped_column(String(50))
    recipient: Mapped[str] = mapped_column(String(320))
    lang: Mapped[str] = mapped_column(String(5))
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class Recipient(Base):
    """Where notices go: an organisation's, an umbrella's or the coordinators' addresses."""

    __tablename__ = "recipients"
    __table_args__ = (UniqueConstraint("scope", "name", "address",
                                       name="uq_recipients_scope_name_address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(300))  # organisation or umbrella; "" for coordinator
    address: Mapped[str] = mapped_column(String(320))
    lang: Mapped[str] = mapped_column(String(5))


class Schedule(Base):
    """Rounds on a set at fixed times; optionally monthly re-tests of laggards in between."""

    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    set_name: Mapped[str] = mapped_column(String(100))
    cron: Mapped[str] = mapped_column(String(100))  # five fields; half-yearly is stored as cron
    label_pattern: Mapped[str | None] = mapped_column(String(100))
    retest_laggards: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_due: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)  # last time acted on
    last_round_id: Mapped[int | None] = mapped_column(
        ForeignKey("rounds.id", ondelete="SET NULL"))
    last_retests: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
