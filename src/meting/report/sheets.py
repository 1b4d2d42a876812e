"""Tables as spreadsheets people use: XLSX (openpyxl) and ODS (odfpy) from one model.
Every sheet has a bold header row that stays in view (frozen) with filter buttons, columns
as wide as their text needs (within bounds), statuses as words on their colour, and an
optional link per row. Text from the wild is neutralised (safety.spreadsheet_text)."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
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
        words = table.texts or Texts("nl")
        return words.status(str(value)), str(value)
    return spreadsheet_text(value if value is not None else ""), None


def _widths(table: Table) -> list[float]:
    widths = [float(len(str(h))) for h in table.header]
    for row in table.rows[:2000]:  # enough to see the column's text
        for i, value in enumerate(row[:len(widths)]):
            shown, _ = _value(table, i, value)
            widths[i] = max(widths[i], len(str(shown)))
    return [min(MAX_WIDTH, max(MIN_WIDTH, w + 2)) for w in widths]


def write_xlsx(tables: Sequence[Table]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    bold, fills = Font(bold=True), {s: PatternFill("solid", fgColor=c) for s, c in FILLS.items()}
    head_fill, link_font = PatternFill("solid", fgColor=HEADER_FILL), Font(color="154273",
                                                                         underline="single")
    for table, name in zip(tables, sheet_names(tables), strict=True):
        sheet = book.create_sheet(name)
        sheet.append([spreadsheet_text(h) for h in table.header])
        for cell in sheet[1]:
            cell.font, cell.fill = bold, head_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for number, row in enumerate(table.rows):
            values = [_value(table, i, v) for i, v in enumerate(row)]
            sheet.append([v for v, _ in values])
            for i, (_, status) in enumerate(values):
                cell = sheet.cell(row=number + 2, column=i + 1)
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever the text
                if status in fills:
                    cell.fill = fills[status]
            link = table.links[number] if number < len(table.links) else None
            if link:
                cell = sheet.cell(row=number + 2, column=1)
                cell.hyperlink, cell.font = link, link_font
        for i, width in enumerate(_widths(table), start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        sheet.freeze_panes = "B2" if len(table.header) > 2 else "A2"
        if table.rows:
            sheet.auto_filter.ref = (f"A1:{get_column_letter(len(table.header))}"
                                     f"{len(table.rows) + 1}")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


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
            ranges.addElement(DatabaseRange(
                name=f"filter{n}", displayfilterbuttons="true",
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
        p.addElement(anchor(href=link, text=str(value)))
    else:
        p.addText(str(value))
    cell.addElement(p)
    return cell


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
