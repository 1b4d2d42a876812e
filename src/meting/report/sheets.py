"""Tables as spreadsheets people use: XLSX (openpyxl) and ODS (odfpy) from one model.
Every sheet has a bold header row that stays in view (frozen) with filter buttons, columns
as wide as their text needs (within bounds), statuses as words on their colour, and an
optional link per row. Text from the wild is neutralised (safety.spreadsheet_text)."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from meting.report.safety import spreadsheet_text
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
        base = re.sub(r"[\[\]:*?/\\]", " ", table.title)[:31].strip()
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


class _XlsxCells:
    """Cells for a write-only workbook. Each style (header, link, a status's fill) is made
    once, on a model cell; a styled cell copies the model's style ids. Plain values stay
    plain: openpyxl then makes no cell object for them."""

    def __init__(self, book: Any) -> None:
        from openpyxl.cell import Cell
        from openpyxl.styles import Alignment, Font, PatternFill

        self._cell_type = Cell
        sheet = book.create_sheet("models")

        def model(**style: Any) -> Any:
            cell = Cell(sheet, row=1, column=1)
            for key, value in style.items():
                setattr(cell, key, value)
            return cell._style

        self.header = model(font=Font(bold=True), fill=PatternFill("solid", fgColor=HEADER_FILL),
                            alignment=Alignment(wrap_text=True, vertical="top"))
        self.link = model(font=Font(color="154273", underline="single"))
        self.fills = {s: model(fill=PatternFill("solid", fgColor=c)) for s, c in FILLS.items()}
        book.remove(sheet)

    def styled(self, sheet: Any, value: Any, style: Any) -> Any:
        cell = self._cell_type(sheet, row=1, column=1, value=value, style_array=style)
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula, whatever the text
        return cell

    def plain(self, sheet: Any, value: Any) -> Any:
        if value == "":
            return None  # no cell at all: an empty one reads the same and costs an element
        if isinstance(value, str) and value.startswith("="):
            return self.styled(sheet, value, None)
        return value


def write_xlsx(tables: Sequence[Table]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    cells = _XlsxCells(book)
    for table, name in zip(tables, sheet_names(tables), strict=True):
        sheet = book.create_sheet(name)
        for i, width in enumerate(_widths(table), start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        sheet.freeze_panes = "B2" if len(table.header) > 2 else "A2"
        if table.rows:
            sheet.auto_filter.ref = (f"A1:{get_column_letter(len(table.header))}"
                                     f"{len(table.rows) + 1}")
        sheet.append([cells.styled(sheet, spreadsheet_text(h), cells.header)
                      for h in table.header])
        for number, row in enumerate(table.rows):
            out = []
            for i, value in enumerate(row):
                shown, status = _value(table, i, value)
                fill = cells.fills.get(status or "")
                out.append(cells.plain(sheet, shown) if fill is None
                           else cells.styled(sheet, shown, fill))
            link = table.links[number] if number < len(table.links) else None
            if link and row:
                first = cells.styled(sheet, _value(table, 0, row[0])[0], cells.link)
                first.hyperlink = link
                out[0] = first
            sheet.append(out)
    out_file = io.BytesIO()
    book.save(out_file)
    return out_file.getvalue()


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
