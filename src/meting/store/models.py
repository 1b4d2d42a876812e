"""Tables of the store: the registry, rounds, tests with their statuses, and raw evidence.

A change here needs a new migration in ``migrations/versions`` (the tests compare the two).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

DOMAIN_NAME = 253
ROUND_STATES = ("planned", "running", "interrupted", "finished")
TEST_STATES = ("planned", "done")
KINDS = ("web", "mail")


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC timestamps on every backend (SQLite keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None,
                           dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must carry a time zone")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None,
                             dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    category: Mapped[str] = mapped_column(String(32))
    umbrella: Mapped[str | None] = mapped_column(String(100))
    # shared service provider or regional IT partnership
    provider: Mapped[str | None] = mapped_column(String(300))
    contact: Mapped[str | None] = mapped_column(Text)
    # parent organisation (e.g. the ministry of an agency), by name; not a foreign key: a
    # ministry need not have domains of its own in the registry
    parent: Mapped[str | None] = mapped_column(String(300))


class Domain(Base):
    __tablename__ = "domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(DOMAIN_NAME), unique=True)  # punycode
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    web: Mapped[bool] = mapped_column(Boolean)
    web_host: Mapped[str | None] = mapped_column(String(DOMAIN_NAME))  # None: www.<name>
    mail: Mapped[bool] = mapped_column(Boolean)


class DomainSet(Base):
    __tablename__ = "domain_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class DomainSetMember(Base):
    __tablename__ = "domain_set_members"

    set_id: Mapped[int] = mapped_column(
        ForeignKey("domain_sets.id", ondelete="CASCADE"), primary_key=True)
    domain_id: Mapped[int] = mapped_column(
        ForeignKey("domains.id", ondelete="CASCADE"), primary_key=True, index=True)


class Round(Base):
    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(100), unique=True)
    set_name: Mapped[str | None] = mapped_column(String(100))  # None: every domain
    date: Mapped[dt.date] = mapped_column(Date)
    norm: Mapped[str] = mapped_column(String(50))
    state: Mapped[str] = mapped_column(String(20))
    executor: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class Test(Base):
    __test__ = False  # not a pytest test class
    __tablename__ = "tests"
    __table_args__ = (
        UniqueConstraint("round_id", "domain_id", "kind", name="uq_tests_round_domain_kind"),
        Index("ix_tests_round_state", "round_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    domain_id: Mapped[int] = mapped_column(
        ForeignKey("domains.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    target: Mapped[str] = mapped_column(String(DOMAIN_NAME))
    state: Mapped[str] = mapped_column(String(20))
    columns: Mapped[dict[str, str] | None] = mapped_column(JSON)  # {column: status}
    explanations: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {column: {nl, en}}
    subtests: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {subtest: {status, …}}
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class Evidence(Base):
    __tablename__ = "evidence"

    test_id: Mapped[int] = mapped_column(
        ForeignKey("tests.id", ondelete="CASCADE"), primary_key=True)
    encoding: Mapped[str] = mapped_column(String(10))  # zlib or gzip
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)  # bytes of the JSON before compression


class Reaction(Base):
    """An organisation's formal reaction to a round's results (an asterisk in the appendix)."""

    __tablename__ = "reactions"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True, index=True)
    text: Mapped[str] = mapped_column(Text)  # empty when only the fact is known


# The review cycle's tables share this Base (imported last: they refer to the ones above).
from meting.store import review_models as _review_models  # noqa: E402, F401
