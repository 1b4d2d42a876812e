"""Tables of the annual Monitor Open Standaarden: imported tenders and facilities with, per
relevant standard, whether it was asked for (with the asking text) or applied.

Their migration is ``migrations/versions/18_monitor.py``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from meting.store.models import Base, UtcDateTime


class MonitorTender(Base):
    __tablename__ = "monitor_tenders"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    organisation: Mapped[str] = mapped_column(String(300))
    layer: Mapped[str] = mapped_column(String(20))
    date: Mapped[dt.date] = mapped_column(Date)
    subject: Mapped[str] = mapped_column(Text)
    cpv: Mapped[str | None] = mapped_column(String(12))
    imported_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class MonitorTenderStandard(Base):
    """A standard named for a tender: relevant, asked for, or both."""

    __tablename__ = "monitor_tender_standards"

    tender_id: Mapped[int] = mapped_column(
        ForeignKey("monitor_tenders.id", ondelete="CASCADE"), primary_key=True)
    standard: Mapped[str] = mapped_column(String(60), primary_key=True)
    relevant: Mapped[bool] = mapped_column(Boolean)
    asked: Mapped[bool] = mapped_column(Boolean)
    asking_text: Mapped[str | None] = mapped_column(Text)


class MonitorFacility(Base):
    __tablename__ = "monitor_facilities"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(300))
    steward: Mapped[str] = mapped_column(String(300))
    imported_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class MonitorFacilityStandard(Base):
    """A relevant standard of a facility and whether the facility applies it."""

    __tablename__ = "monitor_facility_standards"

    facility_id: Mapped[int] = mapped_column(
        ForeignKey("monitor_facilities.id", ondelete="CASCADE"), primary_key=True)
    standard: Mapped[str] = mapped_column(String(60), primary_key=True)
    applied: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text)
