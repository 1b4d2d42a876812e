"""`meting import-results`: statuses measured elsewhere (the per-domain status CSV of SPEC §8
or Internet.nl batch API results) stored as a round, with formal reactions."""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Sequence
from pathlib import Path

from meting import limits
from meting.analysis.imports import (
    ImportedResult,
    ImportProblems,
    read_batch_json,
    read_status_csv,
    registry_entries,
)
from meting.errors import InputError
from meting.limits import file_limits
from meting.registry.entry import ListEntry
from meting.registry.merge import organisation_key
from meting.store import ImportedStatuses, RoundInfo, Store, StoreError
from meting.store.store import IMPORTED_NORM
from meting.textfile import TextError, name_problem, read_text, text_problem

__all__ = ["IMPORTED_NORM", "ImportResultsError", "import_results"]


class ImportResultsError(InputError):
    pass


def import_results(database: str, path: Path, kind: str, label: str,
                   date: datetime.date | None, set_name: str | None,
                   reactions: Path | None = None,
                   encoding: str | None = None,
                   register: bool = True) -> tuple[RoundInfo, int, int]:
    """Store the file's statuses in the round labelled ``label`` (made, finished, when new);
    the round, the number of tests stored and of domains added to the registry. Domains
    the registry lacks are registered from the file (``register``), else refused. Nothing
    is stored when anything is wrong: the files are checked first, and the registry
    additions, the round, statuses and reactions are one transaction."""
    if kind not in ("web", "mail"):
        raise ImportResultsError(f"unknown test kind {kind!r}; web or mail")
    label = _label(label)
    try:
        items = _read(path, kind, encoding)
        texts = _read_reactions(reactions, encoding) if reactions else {}
    except TextError as exc:
        raise ImportResultsError(f"nothing imported: {exc}") from None
    with Store.open(database, verify=True) as store:
        try:
            rows, new = _in_registry(store, items, kind, register)
            texts = _registered_organisations(store, texts, new)
            info, stored = store.import_round(label, date, set_name, kind, rows, texts, new)
            return info, stored, len(new)
        except StoreError as exc:
            raise ImportResultsError(f"nothing imported: {exc}") from exc


def _label(label: str) -> str:
    text = " ".join(label.split())
    problem = name_problem(text, limits.ROUND_LABEL, "round label") if text else \
        "the round label is empty"
    if problem is not None:
        raise ImportResultsError(f"--round: {problem}")
    return text


def _read(path: Path, kind: str, encoding: str | None) -> list[ImportedResult]:
    text = read_text(path, encoding=encoding, max_bytes=file_limits().max_file_bytes,
                     what="result file")
    try:
        if path.suffix.lower() == ".json":
            return read_batch_json(json.loads(text), kind)
        return read_status_csv(text, kind)
    except json.JSONDecodeError as exc:
        raise ImportResultsError(f"nothing imported: {path} line {exc.lineno}, column "
                                 f"{exc.colno}: not JSON ({exc.msg})") from None
    except RecursionError:
        raise ImportResultsError(f"nothing imported: {path} is nested too deeply to be "
                                 "Internet.nl batch results") from None
    except ImportProblems as exc:
        lines = [f"{path}: {p}" for p in exc.problems]
        summary = f"nothing imported: {len(lines)} problem(s) in {path}"
        raise ImportResultsError(f"nothing imported: {lines[0]}" if len(lines) == 1 else
                                 "\n".join([*lines, summary])) from exc


def _read_reactions(path: Path, encoding: str | None) -> dict[str, str]:
    """A CSV of formal reactions: organisation,text (a header line first)."""
    text = read_text(path, encoding=encoding, max_bytes=file_limits().max_file_bytes,
                     what="reactions file")
    reader = csv.reader(io.StringIO(text, newline=""))
    found: dict[str, str] = {}
    try:
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise ImportResultsError(f"nothing imported: {path} line {reader.line_num}: "
                                 f"not readable as CSV ({exc})") from None
    for number, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 2 or not row[0].strip():
            raise ImportResultsError(f"nothing imported: {path} line {number}: expected "
                                     "organisation,text")
        name, reaction = " ".join(row[0].split()), row[1].strip()
        problem = name_problem(name, limits.ORGANISATION, "organisation") or text_problem(
            reaction, limits.REACTION_TEXT, "reaction")
        if problem is not None:
            raise ImportResultsError(f"nothing imported: {path} line {number}: {problem}")
        found[name] = reaction
    return found


def _registered_organisations(store: Store, texts: dict[str, str],
                              new: Sequence[ListEntry]) -> dict[str, str]:
    """The reactions under the organisations' stored names (case and spacing as in the
    registry, the one rule of ``organisation_key``); refused when one is not registered
    (nor about to be, from the file)."""
    stored = {organisation_key(e.organisation): e.organisation
              for e in [*store.export_entries(), *new]}
    unknown = sorted(name for name in texts if organisation_key(name) not in stored)
    if unknown:
        raise ImportResultsError("nothing imported: reactions of organisations not in "
                                 f"the registry: {', '.join(unknown)}")
    return {stored[organisation_key(name)]: text for name, text in texts.items()}


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
