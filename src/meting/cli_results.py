"""`meting import-results`: statuses measured elsewhere (the per-domain status CSV of SPEC §8
or Internet.nl batch API results) stored as a round, with formal reactions."""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Sequence
from pathlib import Path

from meting.analysis.imports import (
    ImportedResult,
    ImportProblems,
    read_batch_json,
    read_status_csv,
    registry_entries,
)
from meting.registry.entry import ListEntry
from meting.store import ImportedStatuses, RoundInfo, Store, StoreError
from meting.store.records import RoundStateError

IMPORTED_NORM = ""  # statuses judged elsewhere: no norm version of ours judged them


class ImportResultsError(Exception):
    pass


def import_results(database: str, path: Path, kind: str, label: str,
                   date: datetime.date | None, set_name: str | None,
                   reactions: Path | None = None,
                   register: bool = True) -> tuple[RoundInfo, int, int]:
    """Store the file's statuses in the round labelled ``label`` (made, finished, when new);
    the round, the number of tests stored and of domains added to the registry. Domains
    the registry lacks are registered from the file (``register``), else refused. Nothing
    is stored when anything is wrong."""
    if kind not in ("web", "mail"):
        raise ImportResultsError(f"unknown test kind {kind!r}; web or mail")
    items = _read(path, kind)
    texts = _read_reactions(reactions) if reactions else {}
    with Store.open(database) as store:
        try:
            rows, new = _in_registry(store, items, kind, register)
            organisations = {e.organisation for e in store.export_entries()}
            organisations |= {e.organisation for e in new}
            unknown = sorted(set(texts) - organisations)
            if unknown:
                raise ImportResultsError("nothing imported: reactions of organisations not in "
                                         f"the registry: {', '.join(unknown)}")
            info = _round(store, label, date, set_name)
            stored = store.import_statuses(info.id, kind, rows, register=new)
            for organisation, text in texts.items():
                store.set_reaction(info.id, organisation, text)
            return store.round(info.id), stored, len(new)
        except StoreError as exc:
            raise ImportResultsError(str(exc)) from exc


def _read(path: Path, kind: str) -> list[ImportedResult]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ImportResultsError(f"cannot read {path}: {exc}") from exc
    try:
        if path.suffix.lower() == ".json":
            return read_batch_json(json.loads(text), kind)
        return read_status_csv(text, kind)
    except json.JSONDecodeError as exc:
        raise ImportResultsError(f"{path} is not JSON: {exc}") from exc
    except ImportProblems as exc:
        raise ImportResultsError(f"nothing imported; {path}:\n" + "\n".join(
            f"  {p}" for p in exc.problems)) from exc


def _read_reactions(path: Path) -> dict[str, str]:
    """A CSV of formal reactions: organisation,text (a header line first)."""
    try:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    except OSError as exc:
        raise ImportResultsError(f"cannot read {path}: {exc}") from exc
    found = {}
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != 2 or not row[0].strip():
            raise ImportResultsError(f"{path} line {number}: expected organisation,text")
        found[row[0].strip()] = row[1].strip()
    return found


def _in_registry(store: Store, items: Sequence[ImportedResult], kind: str,
                 register: bool) -> tuple[list[ImportedStatuses], list[ListEntry]]:
    """Registry domains for the file's names (for web, a web host names its domain too:
    Internet.nl batch results name the host tested, e.g. www.example.nl), and the entries
    that register the domains the registry lacks (none unless ``register``)."""
    entries = store.export_entries()
    known = {e.domain for e in entries}
    hosts = {e.web_target: e.domain for e in entries if e.web_target} if kind == "web" else {}
    unknown = [i for i in items if hosts.get(i.domain, i.domain) not in known]
    new = registry_entries(unknown, kind) if register else []
    uncategorised = [e.domain for e in new if not e.category]
    if uncategorised:
        raise ImportResultsError(
            f"nothing imported: {len(uncategorised)} domains are not in the registry and the "
            f"file gives no category for them ({', '.join(uncategorised[:20])}); import a "
            "registry list with them first (meting import), or a status CSV with categories")
    if new:
        hosts |= {i.domain: e.domain for i, e in zip(unknown, new, strict=True)}
    known |= {e.domain for e in new}
    rows = [ImportedStatuses(hosts.get(i.domain, i.domain), dict(i.columns), i.reaction)
            for i in items]
    missing = sorted(r.domain for r in rows if r.domain not in known)
    if missing:  # checked before a round is made: nothing is stored
        shown = ", ".join(missing[:20]) + (f" and {len(missing) - 20} more"
                                           if len(missing) > 20 else "")
        raise ImportResultsError(f"nothing imported: {len(missing)} domains are not in the "
                                 f"registry: {shown}; import a registry list with them first "
                                 "(meting import), or leave out --no-register")
    return rows, new


def _round(store: Store, label: str, date: datetime.date | None,
           set_name: str | None) -> RoundInfo:
    try:
        return store.round_by_label(label)
    except StoreError:
        pass
    round_id = store.create_round(set_name, IMPORTED_NORM, label, date)
    try:
        store.set_round_state(round_id, "running")
        store.set_round_state(round_id, "finished")
    except RoundStateError as exc:
        raise ImportResultsError(str(exc)) from exc
    return store.round(round_id)
