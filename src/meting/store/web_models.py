"""Tables of the dashboard (``meting serve``): accounts, their sessions and API tokens,
failed logins (for rate limiting), shared report links and the kept figures of rounds.

Their migration is ``migrations/versions/19_dashboard.py``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from meting.store.models import Base, UtcDateTime

ROLES = ("coordinator", "umbrella", "organisation")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    umbrella: Mapped[str | None] = mapped_column(String(100))  # role umbrella
    password_hash: Mapped[str | None] = mapped_column(String(200))  # argon2; None: not set
    # the password was made by `meting user add` (one-time): choose one at the next login
    must_change_password: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # nl or en: the dashboard's language switch sets it; the account's mails are in it
    lang: Mapped[str] = mapped_column(String(5), default="nl", server_default="nl")


class UserOrganisation(Base):
    """The organisations an organisation account sees (several when they share a provider)."""

    __tablename__ = "user_organisations"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True, index=True)


class WebSession(Base):
    __tablename__ = "web_sessions"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class LoginFailure(Base):
    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(400))  # "account:<email>" or "address:<ip>"
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class Share(Base):
    """A read-only link to a round's report (figures and appendix)."""

    __tablename__ = "shares"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    password_hash: Mapped[str | None] = mapped_column(String(200))


class KeptFigures(Base):
    """A finished round's analysis, computed once (zlib-compressed JSON)."""

    __tablename__ = "kept_figures"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[str] = mapped_column(String(200))  # what it was computed from
    data: Mapped[bytes] = mapped_column(LargeBinary)
    computed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    size: Mapped[int] = mapped_column(Integer)
