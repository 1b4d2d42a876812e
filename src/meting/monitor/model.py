"""Tenders and facilities as imported: plain records, one year each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Tender:
    organisation: str
    layer: str  # a registry category: rijk, uitvoering, provincie, gemeente, waterschap, overig
    date: dt.date
    subject: str
    cpv: str | None
    relevant: tuple[str, ...]  # standard ids of the register
    asked: dict[str, str] = field(default_factory=dict)  # standard id -> the asking text

    @property
    def year(self) -> int:
        return self.date.year


@dataclass(frozen=True)
class FacilityStandard:
    standard: str
    applied: bool
    note: str = ""


@dataclass(frozen=True)
class Facility:
    year: int
    name: str
    steward: str
    standards: tuple[FacilityStandard, ...]  # the relevant standards
