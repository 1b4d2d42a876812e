"""Tables as spreadsheets people use: XLSX (XlsxWriter) and ODS (odfpy) from one model.
Every sheet has a bold header row that stays in view (frozen) with filter buttons, columns
as wide as their text needs (within bounds), statuses as words on their colour, and an
optional link per row. Text from the wild is neutralised (safety.spreadsheet_text)."""

from __future__ import annotations

import datetime
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import Any

from meting.report.safety import FORMULA_STARTS, spreadsheet_text
from meting.report.texts import Texts

# Background per status (the report's legend colours); text statuses stay readable.
FILLS = {"passed": "DFF0D8", "failed": "F6D3D3", "warning": "FCF1D0", "info": "E2EEFA",
         "not_tested": "F2F2F2", "not_applicable": "F2F2F2", "no_mx": "F2F2F2",
         "unreachable": "ECECEC", "not_testable": "ECECEC", "error": "ECECEC"}
HEADER_FILL = "E8EEF5"
MIN_WIDTH, MAX_WIDTH = 8, 60  # characters


@dataclass(frozen=True)
class Table:
    title: str  # the sheet name (cut to 31 characters, unique per workbook)
    header: list[str]
    rows: list[list[Any]]
    status_from: int | None = None  # cells from this column on are statuses (SPEC §3)
    texts: Texts | None = None  # for the status words
    links: list[str | None] = field(default_factory=list)  # per row, on its first cell


def sheet_names(tables: Sequence[Table]) -> list[str]:
    names: list[str] = []
    for table in tables:
        base = re.sub(r"[\[\]:*?/\\]", " ", table.title)[:31].strip(" '")
        name, n = base, 2
        while name.casefold() in {x.casefold() for x in names}:
            name = f"{base[:31 - len(str(n)) - 1]} {n}"
            n += 1
        names.append(name)
    return names


def _value(table: Table, column: int, value: Any) -> tuple[Any, str | None]:
    """The cell's value (a status as its word) and its status, if it is one."""
    if table.status_from is not None and column >= table.status_from and value:
        return _status_word(table.texts.lang if table.texts else "nl", str(value)), str(value)
    return spreadsheet_text(value if value is not None else ""), None


@cache
def _status_word(lang: str, status: str) -> str:
    return Texts(lang).status(status)


def _widths(table: Table) -> list[float]:
    widths = [float(len(str(h))) for h in table.header]
    for row in table.rows[:2000]:  # enough to see the column's text
        for i, value in enumerate(row[:len(widths)]):
            shown, _ = _value(table, i, value)
            widths[i] = max(widths[i], len(str(shown)))
    return [min(MAX_WIDTH, max(MIN_WIDTH, w + 2)) for w in widths]


# Excel's limits: a worksheet holds at most 65,530 links and a link at most 2,079 characters
# (XlsxWriter drops a link past them with a warning; the cell then keeps its text, unlinked).
MAX_LINKS, MAX_LINK_LENGTH = 65_530, 2_079


def write_xlsx(tables: Sequence[Table]) -> bytes:
    """XlsxWriter in constant-memory mode: a row goes to a temporary file when the next one
    begins, so the memory stays flat however many domains (the web renders on request;
    shared strings would save a third of the time for some 200 MB more at 10,000 domains).
    Every value is written by its type (never through ``write()``, which would take text
    for a formula, a number or a link); each style is one Format for the whole workbook."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {
        "constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
        "strings_to_urls": False})
    formats = _XlsxFormats(book)
    for table, name in zip(tables, sheet_names(tables), strict=True):
        sheet = book.add_worksheet(name)
        for i, width in enumerate(_widths(table)):
            sheet.set_column(i, i, width)
        sheet.freeze_panes(1, 1 if len(table.header) > 2 else 0)
        if table.rows:
            sheet.autofilter(0, 0, len(table.rows), len(table.header) - 1)
        for i, h in enumerate(table.header):
            sheet.write_string(0, i, str(spreadsheet_text(h)), formats.header)
        _write_rows(sheet, table, formats)
    book.close()
    return out.getvalue()


class _XlsxFormats:
    def __init__(self, book: Any) -> None:
        self.header = book.add_format({"bold": True, "bg_color": f"#{HEADER_FILL}",
                                       "text_wrap": True, "valign": "top"})
        self.link = book.add_format({"font_color": "#154273", "underline": 1})
        self.date = book.add_format({"num_format": "yyyy-mm-dd"})
        self.fills = {s: book.add_format({"pattern": 1, "bg_color": f"#{c}"})
                      for s, c in FILLS.items()}


def _write_rows(sheet: Any, table: Table, formats: _XlsxFormats) -> None:
    """Row by row, in order (constant-memory mode writes a row out when the next begins).
    Plain text, the bulk of the cells, takes the short way; an empty value gets no cell."""
    lang = table.texts.lang if table.texts else "nl"
    first_status = len(table.header) if table.status_from is None else table.status_from
    write_string = sheet.write_string
    for number, row in enumerate(table.rows, start=1):
        for i, value in enumerate(row):
            if value is None or value == "":
                continue
            if i >= first_status:
                status = str(value)
                write_string(number, i, _status_word(lang, status), formats.fills.get(status))
            elif type(value) is str:
                write_string(number, i, "'" + value if value.startswith(FORMULA_STARTS)
                             else value)
            else:
                _write_value(sheet, number, i, spreadsheet_text(value), formats.date)
        link = table.links[number - 1] if number <= len(table.links) else None
        target = xlsx_link(link) if link and row else ""
        units = len(target.encode("utf-16-le")) // 2  # Excel counts UTF-16 code units
        if target and number <= MAX_LINKS and units <= MAX_LINK_LENGTH:
            sheet.write_url(number, 0, target, formats.link,
                            string=str(_value(table, 0, row[0])[0]))


def _write_value(sheet: Any, row: int, column: int, value: Any, date: Any) -> None:
    if isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    elif isinstance(value, (int, float, Decimal, Fraction)):
        if math.isfinite(value):
            sheet.write_number(row, column, value)
    elif isinstance(value, (datetime.date, datetime.datetime)):
        sheet.write_datetime(row, column, value, date)
    else:
        sheet.write_string(row, column, str(value))


def xlsx_link(link: str) -> str:
    """A link with a scheme stays; a relative one is a file beside the workbook, which
    XlsxWriter stores as Excel does (``dir\\file.html``, resolved from the workbook's folder)."""
    return link if re.match(r"[a-z][a-z0-9+.-]*:", link, re.I) else f"external:{link}"


def write_ods(tables: Sequence[Table]) -> bytes:
    from odf.config import (
        ConfigItem,
        ConfigItemMapEntry,
        ConfigItemMapIndexed,
        ConfigItemMapNamed,
        ConfigItemSet,
    )
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import Style, TableCellProperties, TableColumnProperties, TextProperties
    from odf.table import DatabaseRange, DatabaseRanges, TableCell, TableColumn, TableRow
    from odf.table import Table as OdsTable
    from odf.text import A, P

    doc = OpenDocumentSpreadsheet()
    header = Style(name="header", family="table-cell")
    header.addElement(TextProperties(fontweight="bold"))
    header.addElement(TableCellProperties(backgroundcolor=f"#{HEADER_FILL}", wrapoption="wrap"))
    doc.automaticstyles.addElement(header)
    fills = {}
    for status, colour in FILLS.items():
        style = Style(name=f"s-{status}", family="table-cell")
        style.addElement(TableCellProperties(backgroundcolor=f"#{colour}"))
        doc.automaticstyles.addElement(style)
        fills[status] = style
    ranges = DatabaseRanges()
    views = ConfigItemMapNamed(name="Tables")
    for n, (table, name) in enumerate(zip(tables, sheet_names(tables), strict=True)):
        sheet = OdsTable(name=name)
        for i, width in enumerate(_widths(table)):
            col = Style(name=f"c{n}-{i}", family="table-column")
            col.addElement(TableColumnProperties(columnwidth=f"{width * 0.21:.2f}cm"))
            doc.automaticstyles.addElement(col)
            sheet.addElement(TableColumn(stylename=col))
        row = TableRow()
        for h in table.header:
            cell = TableCell(stylename=header, valuetype="string")
            cell.addElement(P(text=str(spreadsheet_text(h))))
            row.addElement(cell)
        sheet.addElement(row)
        for number, values in enumerate(table.rows):
            row = TableRow()
            target = table.links[number] if number < len(table.links) else None
            for i, value in enumerate(values):
                shown, found = _value(table, i, value)
                row.addElement(_ods_cell(shown, fills.get(found or ""),
                                         target if i == 0 else None, TableCell, P, A))
            sheet.addElement(row)
        doc.spreadsheet.addElement(sheet)
        if table.rows:
            # LibreOffice's name for a sheet's own filter range (the one it shows as the
            # sheet's autofilter and exports as such); a named range would be a database.
            ranges.addElement(DatabaseRange(
                name=f"__Anonymous_Sheet_DB__{n}", displayfilterbuttons="true",
                targetrangeaddress=f"'{name}'.A1:'{name}'.{_column(len(table.header))}"
                                   f"{len(table.rows) + 1}"))
        views.addElement(_frozen(name, 1 if len(table.header) > 2 else 0, ConfigItemMapEntry,
                                 ConfigItem))
    doc.spreadsheet.addElement(ranges)
    view = ConfigItemMapEntry()
    view.addElement(views)
    indexed = ConfigItemMapIndexed(name="Views")
    indexed.addElement(view)
    settings = ConfigItemSet(name="ooo:view-settings")
    settings.addElement(indexed)
    doc.settings.addElement(settings)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def _ods_cell(value: Any, style: Any, link: str | None, cell_type: Any, para: Any,
              anchor: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        cell = cell_type(valuetype="float", value=value)
    else:
        cell = cell_type(valuetype="string")
    if style is not None:
        cell.setAttribute("stylename", style)
    p = para()
    if link:
        p.addElement(anchor(href=ods_href(link), text=str(value)))
    else:
        p.addText(str(value))
    cell.addElement(p)
    return cell


def ods_href(link: str) -> str:
    """ODF resolves a relative link inside the document as if the file were a folder
    (LibreOffice writes a file beside it as '../file'); a link with a scheme stays."""
    return link if re.match(r"[a-z][a-z0-9+.-]*:", link, re.I) else f"../{link}"


def _frozen(name: str, columns: int, entry_type: Any, item: Any) -> Any:
    """LibreOffice's view settings that keep the header row (and first column) in view."""
    entry = entry_type(name=name)
    for key, kind, value in (("HorizontalSplitMode", "short", "2" if columns else "0"),
                             ("VerticalSplitMode", "short", "2"),
                             ("HorizontalSplitPosition", "int", str(columns)),
                             ("VerticalSplitPosition", "int", "1"),
                             ("PositionRight", "int", str(columns)),
                             ("PositionBottom", "int", "1")):
        setting = item(name=key, type=kind)
        setting.addText(value)
        entry.addElement(setting)
    return entry


def _column(n: int) -> str:
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
