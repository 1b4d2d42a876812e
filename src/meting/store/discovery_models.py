"""The table of discovery (issue 16): candidate names found by certificate transparency,
NSEC walking, DNS probing and stored evidence, until a coordinator accepts or ignores them.

It shares ``Base`` with ``models.py`` (``meting.store`` imports this module); its
migration is ``16_discovery.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from meting.store.models import DOMAIN_NAME, Base, UtcDateTime

CANDIDATE_STATES = ("new", "accepted", "ignored")


class Candidate(Base):
    """A name some source found, with the organisation it appears to belong to."""

    __tablename__ = "candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(DOMAIN_NAME), unique=True)  # punycode
    # the organisation under whose registered domain it was found; None when no source
    # could tell (a coordinator names one when accepting)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True)
    sources: Mapped[dict[str, str]] = mapped_column(JSON)  # source -> what it saw there
    first_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(String(20), index=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class RegisterMark(Base):
    """What a register said last time about one organisation or domain, so that a later
    import can tell its own values (which it may change) from a coordinator's edits
    (which it leaves alone, saying so)."""

    __tablename__ = "register_marks"
    __table_args__ = (UniqueConstraint("register", "kind", "key",
                                       name="uq_register_marks_register_kind_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    register: Mapped[str] = mapped_column(String(30))  # roo, websiteregister, rio
    kind: Mapped[str] = mapped_column(String(20))  # organisation or domain
    key: Mapped[str] = mapped_column(String(300))  # the organisation's or domain's name
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    imported_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
