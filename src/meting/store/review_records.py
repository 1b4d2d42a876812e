"""Plain records of the review cycle that ``ReviewStore`` hands out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class WindowInfo:
    round_id: int
    label: str
    opened_at: dt.datetime
    closes_on: dt.date
    closed_at: dt.datetime | None
    is_open: bool

    @property
    def closing_moment(self) -> dt.datetime:
        """When the figures became (or become) final: closed, or the end of the last day."""
        end = dt.datetime.combine(self.closes_on + dt.timedelta(days=1), dt.time(),
                                  tzinfo=dt.UTC)
        return min(self.closed_at, end) if self.closed_at else end


@dataclass(frozen=True)
class ReactionInfo:
    round_label: str
    organisation: str
    text: str
    state: str  # submitted, approved, returned
    note: str | None
    submitted_at: dt.datetime | None  # None: approved through import-results
    decided_at: dt.datetime | None


@dataclass(frozen=True)
class ExplanationInfo:
    id: int
    round_label: str
    domain: str
    organisation: str
    kind: str
    column: str
    reason: str
    expires_on: dt.date
    state: str  # submitted, accepted, rejected
    note: str | None
    submitted_at: dt.datetime
    decided_at: dt.datetime | None


@dataclass(frozen=True)
class RetestResult:
    id: int
    round_id: int
    domain: str
    organisation: str
    kind: str
    target: str
    requested_by: str
    requested_at: dt.datetime
    finished_at: dt.datetime | None
    columns: dict[str, str]
    explanations: dict[str, Any] = field(default_factory=dict)
    subtests: dict[str, str] = field(default_factory=dict)
    attempts: int = 0


@dataclass(frozen=True)
class RecipientInfo:
    scope: str  # organisation, umbrella, coordinator
    name: str
    address: str
    lang: str


@dataclass(frozen=True)
class MailInfo:
    id: int
    key: str
    event: str
    recipient: str
    lang: str
    subject: str
    text: str
    html: str
    message_id: str
    state: str
    attempts: int
    last_error: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None


@dataclass(frozen=True)
class ScheduleInfo:
    id: int
    set_name: str
    cron: str
    label_pattern: str | None
    retest_laggards: bool
    created_at: dt.datetime
    last_due: dt.datetime | None
    last_round_id: int | None
    last_retests: dt.datetime | None
