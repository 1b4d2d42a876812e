"""A round's figures for the dashboard: computed once when the round is finished and kept in
the store (``kept_figures``), so pages read them instead of counting every request. A round
that still runs is counted on each request (its figures change)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import sessionmaker

from meting import standards
from meting.analysis.analysis import analysis_json
from meting.analysis.breakdown import by_organisation, by_parent, by_umbrella
from meting.analysis.comparison import ColumnChange, counts
from meting.analysis.figures import ALL, RoundFigures
from meting.analysis.load import load_analysis
from meting.analysis.rules import counting_rules
from meting.store import RoundInfo, Store
from meting.store.web_models import KeptFigures

FORMAT = "3"  # raise when what is kept changes shape
DECODED_ROUNDS = 4  # rounds whose kept figures stay decoded in memory
KEPT_COMPARISONS = 4  # comparisons of two finished rounds kept in memory


class Figures:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.sessions = sessionmaker(store.engine, expire_on_commit=False)
        self._lock = threading.Lock()  # one computation of a round at a time
        self._lock_decoded = threading.Lock()
        # round -> ((version, computed_at), figures): the last rounds read, oldest first
        self._decoded: dict[int, tuple[tuple[str, Any], dict[str, Any]]] = {}

    def of(self, info: RoundInfo) -> dict[str, Any]:
        """The round's analysis (figures JSON and more) with per-umbrella and
        per-organisation figures."""
        if info.state != "finished":
            return self.compute(info)
        version = self.version(info)
        kept = self._read(info.id, version)
        if kept is not None:
            return kept
        with self._lock:
            kept = self._read(info.id, version)
            if kept is None:
                kept = self.compute(info)
                self._keep(info.id, version, kept)
        return kept

    def kept(self, info: RoundInfo) -> dict[str, Any] | None:
        """A finished round's figures if they are kept already (never computed here)."""
        if info.state != "finished":
            return None
        return self._read(info.id, self.version(info))

    def version(self, info: RoundInfo) -> str:
        reactions = self.store.reactions(info.id)
        return (f"{FORMAT}|{info.norm}|{counting_rules().label}|"
                f"{standards.register().version}|{info.finished_at}|"
                f"{len(reactions)}:{sum(len(t) for t in reactions.values())}")

    def compute(self, info: RoundInfo) -> dict[str, Any]:
        analysis = load_analysis(self.store, info.id)
        results = analysis.current.round
        return {"figures": analysis_json(analysis), "umbrellas": by_umbrella(results),
                "parents": by_parent(results), "organisations": by_organisation(results),
                "exact": exact_figures(analysis.current, analysis.previous)}

    def forget(self, round_id: int) -> None:
        """Drop what is kept of a round (e.g. after reactions changed its report)."""
        with self.sessions.begin() as session:
            session.execute(delete(KeptFigures).where(KeptFigures.round_id == round_id))
        with self._lock_decoded:
            self._decoded.pop(round_id, None)

    def _read(self, round_id: int, version: str) -> dict[str, Any] | None:
        """The kept figures; decoded once per process and reused while the same row (same
        version, same moment it was kept) is in the store: at national scale decoding them
        took longer than the rest of the overview. Callers do not change what they get."""
        kept = (KeptFigures.round_id == round_id, KeptFigures.version == version)
        with self.sessions() as session:
            moment = session.execute(select(KeptFigures.computed_at).where(*kept)).first()
            if moment is None:
                return None
            key = (version, moment[0])
            decoded = self._decoded.get(round_id)
            if decoded is not None and decoded[0] == key:
                return decoded[1]
            row = session.execute(select(KeptFigures.data).where(*kept)).first()
        if row is None:
            return None
        data: dict[str, Any] = json.loads(zlib.decompress(row[0]))
        with self._lock_decoded:
            self._decoded.pop(round_id, None)
            self._decoded[round_id] = (key, data)
            while len(self._decoded) > DECODED_ROUNDS:
                self._decoded.pop(next(iter(self._decoded)))
        return data

    def _keep(self, round_id: int, version: str, data: dict[str, Any]) -> None:
        text = json.dumps(data, ensure_ascii=False).encode()
        packed = zlib.compress(text, 6)
        with self.sessions.begin() as session:
            session.execute(delete(KeptFigures).where(KeptFigures.round_id == round_id))
            session.add(KeptFigures(round_id=round_id, version=version, data=packed,
                                    computed_at=dt.datetime.now(dt.UTC), size=len(text)))


def exact_figures(now: RoundFigures, before: RoundFigures | None) -> dict[str, Any]:
    """The exact rates behind the figures JSON's rounded ones, as [numerator, denominator]:
    the pages print them as the report does (the counting rules' rounding, a target never
    shown before it is reached), and the headline's change from the exact difference."""
    found: dict[str, Any] = {"layer_average": {}, "headline": {}}
    for kind, f in now.kinds.items():
        found["layer_average"][kind] = {g: _pair(v) for g, v in f.layer_average.items()}
        found["headline"][kind] = {key: {"now": _pair(_headline(now, kind, key)),
                                         "previous": _pair(_headline(before, kind, key))}
                                   for key in HEADLINE_FIGURES}
    return found


HEADLINE_FIGURES = ("layer_average", "fully_compliant", "ipv6_headline")


def _headline(figures: RoundFigures | None, kind: str, key: str) -> Fraction | None:
    f = figures.kinds.get(kind) if figures else None
    if figures is None or f is None:
        return None
    if key == "layer_average":
        return f.layer_average.get(ALL)
    tally = f.fully_compliant.get(ALL) if key == "fully_compliant" else figures.headline(kind)
    return tally.fraction if tally else None


def _pair(value: Fraction | None) -> list[int] | None:
    return None if value is None else [value.numerator, value.denominator]


def exact(pair: list[int] | None) -> Fraction | None:
    """A rate kept by ``exact_figures``."""
    return None if pair is None else Fraction(pair[0], pair[1])


@dataclass(frozen=True)
class KeptComparison:
    """Every organisation's changes between two rounds, in the comparison's order, with
    what each request would otherwise count again over all of them."""

    changes: list[ColumnChange]
    by_organisation: dict[str, list[ColumnChange]]
    choices: dict[str, list[str]]  # filter -> values present
    counts: dict[str, int]

    @classmethod
    def of(cls, changes: list[ColumnChange]) -> KeptComparison:
        by_organisation: dict[str, list[ColumnChange]] = {}
        for change in changes:
            by_organisation.setdefault(change.organisation, []).append(change)
        return cls(changes, by_organisation, choices(changes), counts(changes))


def choices(changes: list[ColumnChange]) -> dict[str, list[str]]:
    return {"layer": sorted({c.category for c in changes}),
            "umbrella": sorted({c.umbrella for c in changes}),
            "organisation": sorted({c.organisation for c in changes}),
            "column": sorted({c.column for c in changes}),
            "change": ["improved", "regressed", "unchanged", "new", "gone"]}


class Comparisons:
    """Two finished rounds compared per domain and column, for every organisation: made once
    per server process and kept (the last KEPT_COMPARISONS pairs), as a finished round's
    figures are; each request only picks from them for its viewer. A comparison with a
    round that still runs is made afresh (it changes)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[tuple[Any, ...], KeptComparison] = {}

    def of(self, before: RoundInfo, after: RoundInfo,
           compute: Callable[[], list[ColumnChange]]) -> KeptComparison:
        if before.state != "finished" or after.state != "finished":
            return KeptComparison.of(compute())
        key = tuple((r.id, r.norm, r.finished_at, r.done) for r in (before, after))
        with self._lock:
            found = self._kept.get(key)
            if found is None:
                found = KeptComparison.of(compute())
                self._kept[key] = found
                while len(self._kept) > KEPT_COMPARISONS:
                    self._kept.pop(next(iter(self._kept)))
            return found
