"""Tender and facility lists (CSV or XLSX): every row checked, every problem named with its
line (the header is line 1; in XLSX the row number) and column. A list with any problem
gives no records: an import is all or nothing.

Tenders: a row per tender — organisation, layer, date, subject, cpv (optional), relevant
(the standards of the list that are relevant, separated by ';'), asked (those the tender
asked for) and asking_text (the document or text that asked).
Facilities: a row per facility and relevant standard — year, facility, steward (optional),
standard, applied (yes/no), note (optional).
Standards are named by their register id or name (``meting standards list``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from meting import standards
from meting.monitor.model import Facility, FacilityStandard, Tender
from meting.registry.cells import ListFileError, read_table
from meting.registry.problems import Problem, Problems
from meting.registry.vocabulary import category_of, truth_of, word_key

T = TypeVar("T")
SEPARATORS = re.compile(r"[;\n]")
MAX_TEXT = 2000

TENDER_HEADERS = {
    "organisation": ("organisation", "organisatie"),
    "layer": ("layer", "laag", "category", "categorie", "bestuurslaag"),
    "date": ("date", "datum", "publicatiedatum"),
    "subject": ("subject", "onderwerp"),
    "cpv": ("cpv", "cpv code", "cpv-code"),
    "relevant": ("relevant", "relevante standaarden", "relevant standards"),
    "asked": ("asked", "gevraagd", "gevraagde standaarden", "asked standards"),
    "asking_text": ("asking text", "asking_text", "vraagtekst", "document"),
}
TENDER_REQUIRED = ("organisation", "layer", "date", "subject", "relevant")
FACILITY_HEADERS = {
    "year": ("year", "jaar"),
    "facility": ("facility", "voorziening"),
    "steward": ("steward", "beheerder"),
    "standard": ("standard", "standaard"),
    "applied": ("applied", "toegepast"),
    "note": ("note", "toelichting"),
}
FACILITY_REQUIRED = ("year", "facility", "standard", "applied")


@dataclass(frozen=True)
class MonitorList(Generic[T]):
    path: Path
    records: tuple[T, ...]  # empty when there is any error
    errors: tuple[Problem, ...]


def standard_words() -> dict[str, str]:
    """Register id and name (as word keys) → standard id."""
    return {word_key(word): s.id for s in standards.register().standards
            for word in (s.id, s.name)}


def _header(cells: list[str], names: Mapping[str, tuple[str, ...]], required: tuple[str, ...],
            line: int, problems: Problems) -> dict[str, int] | None:
    words = {word_key(w): field for field, ws in names.items() for w in ws}
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        if not cell.strip():
            continue
        field = words.get(word_key(cell))
        if field is None:
            problems.error(line, cell, "unknown column; the columns are: " + ", ".join(names))
        elif field in found:
            problems.error(line, cell, "this column occurs twice")
        else:
            found[field] = index
    missing = [f for f in required if f not in found]
    if missing:
        problems.error(line, None, "missing column(s): " + ", ".join(missing))
    return None if problems.errors else found


def _read(path: Path, names: Mapping[str, tuple[str, ...]], required: tuple[str, ...],
          row_of: Callable[[dict[str, str], int, Problems], T | None],
          encoding: str | None) -> MonitorList[T]:
    table = read_table(path, encoding)
    if not table.rows:
        raise ListFileError(f"{path.name} is empty: it needs a header line and rows")
    problems = Problems()
    (line, cells), *rows = table.rows
    header = _header(cells, names, required, line, problems)
    if header is None:
        return MonitorList(path, (), tuple(problems.errors))
    found = []
    for line, cells in rows:
        row = {f: (cells[i].strip() if i < len(cells) else "") for f, i in header.items()}
        record = row_of(row, line, problems)
        if record is not None:
            found.append(record)
    errors = tuple(sorted(problems.errors, key=lambda p: (p.line, p.column or "")))
    return MonitorList(path, () if errors else tuple(found), errors)


def _text(row: dict[str, str], field: str, line: int, problems: Problems,
          required: bool = True) -> str:
    value = row.get(field, "")
    if required and not value:
        problems.error(line, field, "empty; this column is required")
    elif len(value) > MAX_TEXT:
        problems.error(line, field, f"longer than {MAX_TEXT} characters")
    return value


def _standards(text: str, field: str, line: int, problems: Problems) -> tuple[str, ...]:
    words, found = standard_words(), []
    for part in (p.strip() for p in SEPARATORS.split(text)):
        if not part:
            continue
        ident = words.get(word_key(part))
        if ident is None:
            problems.error(line, field, f"{part!r} is no standard of the register "
                           "(meting standards list)")
        elif ident not in found:
            found.append(ident)
    return tuple(found)


def tender_row(row: dict[str, str], line: int, problems: Problems) -> Tender | None:
    before = len(problems.errors)
    organisation = _text(row, "organisation", line, problems)
    layer_text = _text(row, "layer", line, problems)
    layer = category_of(layer_text) if layer_text else None
    if layer_text and layer is None:
        problems.error(line, "layer", f"{row['layer']!r} is no government layer "
                       "(rijk, uitvoering, provincie, gemeente, waterschap, overig)")
    date = _date(_text(row, "date", line, problems), line, problems)
    subject = _text(row, "subject", line, problems)
    cpv = row.get("cpv") or None
    if cpv is not None and not re.fullmatch(r"\d{8}(-\d)?", cpv):
        problems.error(line, "cpv", f"{cpv!r} is no CPV code (8 digits, e.g. 72000000-5)")
    relevant = _standards(row.get("relevant", ""), "relevant", line, problems)
    asked = _standards(row.get("asked", ""), "asked", line, problems)
    text = _text(row, "asking_text", line, problems, required=False)
    if asked and not text:
        problems.error(line, "asking_text", "a tender that asked for a standard names the "
                       "document or text that asked")
    if len(problems.errors) > before or layer is None or date is None:
        return None
    return Tender(organisation, layer, date, subject, cpv, relevant,
                  {standard: text for standard in asked})


def _date(text: str, line: int, problems: Problems) -> dt.date | None:
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d-%m-%Y", "%Y-%m-%dT%H:%M:%S"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    problems.error(line, "date", f"{text!r} is no date (2025-03-31 or 31-03-2025)")
    return None


def read_tenders(path: Path, encoding: str | None = None) -> MonitorList[Tender]:
    return _read(path, TENDER_HEADERS, TENDER_REQUIRED, tender_row, encoding)


def read_facilities(path: Path, encoding: str | None = None) -> MonitorList[Facility]:
    """Rows of one facility (same year and name) are gathered; a standard twice for one
    facility is an error."""
    seen: dict[tuple[int, str, str], int] = {}
    listed = _read(path, FACILITY_HEADERS, FACILITY_REQUIRED,
                   lambda row, line, problems: facility_row(row, line, problems, seen), encoding)
    if listed.errors:
        return MonitorList(path, (), listed.errors)
    # one facility however its name is capitalised or spaced; the first spelling is kept
    gathered: dict[tuple[int, str], tuple[str, str, list[FacilityStandard]]] = {}
    for year, name, steward, standard in listed.records:
        entry = gathered.setdefault((year, word_key(name)), (name, steward, []))
        entry[2].append(standard)
    return MonitorList(path, tuple(Facility(year, name, steward, tuple(found))
                                   for (year, _), (name, steward, found) in gathered.items()),
                       ())


def facility_row(row: dict[str, str], line: int, problems: Problems,
                 seen: dict[tuple[int, str, str], int]
                 ) -> tuple[int, str, str, FacilityStandard] | None:
    before = len(problems.errors)
    year_text = _text(row, "year", line, problems)
    year = int(year_text) if re.fullmatch(r"(19|20)\d\d", year_text) else None
    if year_text and year is None:
        problems.error(line, "year", f"{year_text!r} is no year")
    name = _text(row, "facility", line, problems)
    steward = _text(row, "steward", line, problems, required=False)
    standard = _standards(_text(row, "standard", line, problems), "standard", line, problems)
    if len(standard) > 1:
        problems.error(line, "standard", "one standard per row")
    applied = truth_of(_text(row, "applied", line, problems))
    if row.get("applied") and applied is None:
        problems.error(line, "applied", f"{row['applied']!r}: expected yes or no (ja/nee)")
    note = _text(row, "note", line, problems, required=False)
    if len(problems.errors) > before or year is None or applied is None or not standard:
        return None
    key = (year, word_key(name), standard[0])
    if key in seen:
        problems.error(line, "standard", f"{standard[0]} for {name} ({year}) is already on "
                       f"line {seen[key]}")
        return None
    seen[key] = line
    return year, name, steward, FacilityStandard(standard[0], applied, note)
