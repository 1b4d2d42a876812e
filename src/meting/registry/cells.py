"""The cells of a list file, CSV or XLSX, as text, with the line numbers the user sees.

Text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
tab or carriage return) is written with a ``'`` in front, and that ``'`` is taken off
again on reading, so a list survives being opened in a spreadsheet and read back.
"""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from meting.errors import InputError
from meting.limits import FileLimits, file_limits
from meting.registry.messages import said
from meting.textfile import TextError, iter_lines
from meting.words import Message, Said

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
DELIMITERS = (",", ";", "\t")
SUFFIXES = (".csv", ".xlsx")


class ListFileError(Said, InputError, ValueError):
    """A file that cannot be read as a list at all (as opposed to a bad row); its words are
    a Message (Dutch and English) or, from other readers, an English string."""


@dataclass
class Table:
    """Non-empty rows as (line, cells); the first is the header."""

    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    notes: list[Message | str] = field(default_factory=list)  # about the file as a whole


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
        raise ListFileError(said("not_a_list_file", name=path.name))
    return suffix


def read_table(path: Path, encoding: str | None = None,
               limits: FileLimits | None = None) -> Table:
    table = Table()
    table.rows = list(iter_table(path, encoding, limits, table.notes))
    return table


def iter_table(path: Path, encoding: str | None = None, limits: FileLimits | None = None,
               notes: list[Message | str] | None = None) -> Iterator[tuple[int, list[str]]]:
    """The non-empty rows as (line, cells), read as they are needed (the first is the
    header); what is said about the file as a whole is added to ``notes``."""
    suffix = check_suffix(path)
    limits = limits or file_limits()
    notes = [] if notes is None else notes
    try:
        if suffix == ".csv":
            yield from iter_csv(iter_lines(path, encoding=encoding,
                                           max_bytes=limits.max_file_bytes, what="list"))
            return
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            raise ListFileError(said("file_too_large", name=str(path), size=size,
                                     limit=limits.max_file_bytes))
        yield from iter_xlsx(path, limits, notes)
    except TextError as exc:
        raise ListFileError(str(exc)) from exc
    except OSError as exc:
        raise ListFileError(said("file_unreadable", name=str(path),
                                 detail=str(exc.strerror or exc))) from exc


def sniff_delimiter(text: str) -> str:
    """The delimiter that occurs most in the first non-empty line (the header)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(text: str) -> Table:
    return Table(rows=list(iter_csv(io.StringIO(text, newline=""))))


def iter_csv(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    lines = iter(lines)
    skipped: list[str] = []
    for text in lines:  # blank lines before the header
        skipped.append(text)
        if text.strip():
            break
    header = skipped[-1] if skipped else ""
    reader = csv.reader(itertools.chain(skipped, lines), delimiter=sniff_delimiter(header))
    previous = 0
    try:
        for cells in reader:
            number, previous = previous + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                yield number, [restore(cell) for cell in cells]
    except csv.Error as exc:
        raise ListFileError(said("csv_unreadable", line=str(previous + 1),
                                 detail=str(exc))) from exc


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


def check_workbook(path: Path, limits: FileLimits) -> None:
    """Refuse a workbook whose parts unpack to more than the limit, before parsing it
    (zipfile stops reading a part at the size its header gives, so the header holds)."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise ListFileError(said("xlsx_unreadable", name=path.name, detail=str(exc))) from exc
    if unpacked > limits.max_xlsx_bytes:
        raise ListFileError(said("xlsx_too_large", name=path.name, size=unpacked,
                                 limit=limits.max_xlsx_bytes))


def read_xlsx(path: Path, limits: FileLimits | None = None) -> Table:
    table = Table()
    table.rows = list(iter_xlsx(path, limits or file_limits(), table.notes))
    return table


def iter_xlsx(path: Path, limits: FileLimits,
              notes: list[Message | str]) -> Iterator[tuple[int, list[str]]]:
    import openpyxl

    check_workbook(path, limits)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, ParseError) as exc:
        raise ListFileError(said("xlsx_unreadable", name=path.name,
                                 detail=xml_reason(exc))) from exc
    try:
        if len(book.worksheets) > 1:
            notes.append(said("only_first_sheet", title=repr(book.worksheets[0].title)))
        yield from sheet_rows(book.worksheets[0].iter_rows(), path, limits)
    except ListFileError:
        raise
    except (ParseError, ValueError) as exc:  # defusedxml's refusals are ValueErrors
        raise ListFileError(said("xlsx_xml_refused", name=path.name,
                                 detail=xml_reason(exc))) from exc
    finally:
        book.close()


def xml_reason(exc: BaseException) -> str:
    """One line: openpyxl wraps the XML parser's refusal (e.g. defusedxml's
    EntitiesForbidden) in a message of several lines."""
    cause = exc.__cause__ or exc.__context__
    if type(cause).__module__.startswith("defusedxml"):
        name = getattr(cause, "name", None) or getattr(cause, "sysid", None) or "?"
        return (f"its XML declares {name!r} ({type(cause).__name__}): refused, as entities "
                "can expand without bound or read other files")
    if cause is not None and not isinstance(cause, zipfile.BadZipFile):
        return f"{type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else ''}"
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def sheet_rows(rows: Iterable[Any], path: Path,
               limits: FileLimits) -> Iterator[tuple[int, list[str]]]:
    cells_read = 0
    for row in rows:
        cells_read += len(row)
        if cells_read > limits.max_xlsx_cells:
            raise ListFileError(said("xlsx_too_many_cells", name=path.name,
                                     limit=limits.max_xlsx_cells))
        cells = [cell_text(cell.value) for cell in row]
        if any(cell.strip() for cell in cells):
            # empty cells carry no row number; a row with text has a real cell
            yield next(cell.row for cell in row if getattr(cell, "row", None)), cells


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
