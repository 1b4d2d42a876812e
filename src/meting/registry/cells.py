"""The cells of a list file, CSV or XLSX, as text, with the line numbers the user sees.

Text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
tab or carriage return) is written with a ``'`` in front, and that ``'`` is taken off
again on reading, so a list survives being opened in a spreadsheet and read back.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
DELIMITERS = (",", ";", "\t")
SUFFIXES = (".csv", ".xlsx")


class ListFileError(ValueError):
    """A file that cannot be read as a list at all (as opposed to a bad row)."""


@dataclass
class Table:
    """Non-empty rows as (line, cells); the first is the header."""

    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about the file as a whole


def neutralise(text: str) -> str:
    if text.startswith(FORMULA_START) or (
            text.startswith(QUOTE) and text[1:2] in (*FORMULA_START, QUOTE)):
        return QUOTE + text
    return text


def restore(text: str) -> str:
    if text.startswith(QUOTE) and text[1:2] in (*FORMULA_START, QUOTE):
        return text[1:]
    return text


def check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ListFileError(f"{path.name}: a list must be a .csv or .xlsx file")
    return suffix


def read_table(path: Path) -> Table:
    suffix = check_suffix(path)
    try:
        return read_csv(path.read_bytes()) if suffix == ".csv" else read_xlsx(path)
    except OSError as exc:
        raise ListFileError(f"{path}: {exc.strerror or exc}") from exc


def decode(data: bytes, table: Table) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        at = exc.start
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise ListFileError(f"the file is not UTF-8 text (byte {at}); "
                            "save it as 'CSV UTF-8'") from exc
    table.notes.append(f"the file is not UTF-8 (byte {at}); it was read as Windows-1252: "
                       "check names with accents, or save it as 'CSV UTF-8'")
    return text


def sniff_delimiter(text: str) -> str:
    """The delimiter that occurs most in the first non-empty line (the header)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(data: bytes) -> Table:
    table = Table()
    text = decode(data, table)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    previous = 0
    try:
        for cells in reader:
            line, previous = previous + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                table.rows.append((line, [restore(cell) for cell in cells]))
    except csv.Error as exc:
        raise ListFileError(f"line {previous + 1}: not readable as CSV: {exc}") from exc
    return table


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return restore(str(value))


def read_xlsx(path: Path) -> Table:
    import openpyxl

    table = Table()
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ListFileError(f"{path.name} is not a readable XLSX workbook: {exc}") from exc
    try:
        if len(book.worksheets) > 1:
            table.notes.append(f"only the first sheet ({book.worksheets[0].title!r}) is read")
        for row in book.worksheets[0].iter_rows():
            cells = [cell_text(cell.value) for cell in row]
            if any(cell.strip() for cell in cells):
                # empty cells carry no row number; a row with text has a real cell
                number = next(cell.row for cell in row if getattr(cell, "row", None))
                table.rows.append((number, cells))
    finally:
        book.close()
    return table


def write_table(path: Path, rows: Iterable[Sequence[str]]) -> None:
    safe = ([neutralise(cell) for cell in row] for row in rows)
    if check_suffix(path) == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            csv.writer(out).writerows(safe)
        return
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("registry")
    for row in safe:
        sheet.append(row)
    book.save(path)
