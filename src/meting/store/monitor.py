"""The monitor's records in the store. An import replaces every tender (or facility) of the
years its list holds, in one transaction: all or nothing, and importing a list again gives
the same store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, select

from meting.monitor.model import Facility, FacilityStandard, Tender
from meting.store.monitor_models import (
    MonitorFacility,
    MonitorFacilityStandard,
    MonitorTender,
    MonitorTenderStandard,
)
from meting.store.store import Store


class MonitorStore:
    def __init__(self, store: Store) -> None:
        self._sessions = store._sessions

    def replace_tenders(self, tenders: Sequence[Tender]) -> list[int]:
        """The years replaced."""
        years = sorted({t.year for t in tenders})
        now = dt.datetime.now(dt.UTC)
        with self._sessions.begin() as session:
            session.execute(delete(MonitorTender).where(MonitorTender.year.in_(years)))
            for t in tenders:
                row = MonitorTender(year=t.year, organisation=t.organisation, layer=t.layer,
                                    date=t.date, subject=t.subject, cpv=t.cpv, imported_at=now)
                session.add(row)
                session.flush()
                for standard in dict.fromkeys((*t.relevant, *t.asked)):
                    session.add(MonitorTenderStandard(
                        tender_id=row.id, standard=standard, relevant=standard in t.relevant,
                        asked=standard in t.asked, asking_text=t.asked.get(standard)))
        return years

    def replace_facilities(self, facilities: Sequence[Facility]) -> list[int]:
        years = sorted({f.year for f in facilities})
        now = dt.datetime.now(dt.UTC)
        with self._sessions.begin() as session:
            session.execute(delete(MonitorFacility).where(MonitorFacility.year.in_(years)))
            for f in facilities:
                row = MonitorFacility(year=f.year, name=f.name, steward=f.steward,
                                      imported_at=now)
                session.add(row)
                session.flush()
                for s in f.standards:
                    session.add(MonitorFacilityStandard(facility_id=row.id, standard=s.standard,
                                                        applied=s.applied, note=s.note))
        return years

    def tenders(self) -> list[Tender]:
        with self._sessions() as session:
            named: dict[int, list[MonitorTenderStandard]] = {}
            for s in session.scalars(select(MonitorTenderStandard)):
                named.setdefault(s.tender_id, []).append(s)
            return [Tender(t.organisation, t.layer, t.date, t.subject, t.cpv,
                           tuple(sorted(s.standard for s in named.get(t.id, []) if s.relevant)),
                           {s.standard: s.asking_text or "" for s in named.get(t.id, [])
                            if s.asked})
                    for t in session.scalars(select(MonitorTender).order_by(
                        MonitorTender.date, MonitorTender.id))]

    def facilities(self) -> list[Facility]:
        with self._sessions() as session:
            named: dict[int, list[MonitorFacilityStandard]] = {}
            for s in session.scalars(select(MonitorFacilityStandard)):
                named.setdefault(s.facility_id, []).append(s)
            return [Facility(f.year, f.name, f.steward,
                             tuple(FacilityStandard(s.standard, s.applied, s.note)
                                   for s in sorted(named.get(f.id, []),
                                                   key=lambda s: s.standard)))
                    for f in session.scalars(select(MonitorFacility).order_by(
                        MonitorFacility.year, MonitorFacility.name))]
