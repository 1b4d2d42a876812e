"""A round's figures for the dashboard: computed once when the round is finished and kept in
the store (``kept_figures``), so pages read them instead of counting every request. A round
that still runs is counted on each request (its figures change)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import zlib
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import sessionmaker

from meting import standards
from meting.analysis.analysis import analysis_json
from meting.analysis.breakdown import by_organisation, by_parent, by_umbrella
from meting.analysis.load import load_analysis
from meting.analysis.rules import counting_rules
from meting.store import RoundInfo, Store
from meting.store.web_models import KeptFigures

FORMAT = "2"  # raise when what is kept changes shape
DECODED_ROUNDS = 4  # rounds whose kept figures stay decoded in memory


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

    def version(self, info: RoundInfo) -> str:
        reactions = self.store.reactions(info.id)
        return (f"{FORMAT}|{info.norm}|{counting_rules().label}|"
                f"{standards.register().version}|{info.finished_at}|"
                f"{len(reactions)}:{sum(len(t) for t in reactions.values())}")

    def compute(self, info: RoundInfo) -> dict[str, Any]:
        analysis = load_analysis(self.store, info.id)
        results = analysis.current.round
        return {"figures": analysis_json(analysis), "umbrellas": by_umbrella(results),
                "parents": by_parent(results), "organisations": by_organisation(results)}

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
