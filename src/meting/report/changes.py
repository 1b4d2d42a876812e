"""Change reports (what improved, regressed or is new since the previous round) as a
table of rows, a workbook, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from meting.analysis.changes import ChangeReport
from meting.report.safety import spreadsheet_text
from meting.report.texts import Texts

FORMATS = ("json", "csv", "xlsx")


def change_rows(report: ChangeReport, t: Texts) -> list[list[Any]]:
    header = [t("organisation"), t("umbrella"), t("domain"), t.kind("web") + "/" +
              t.kind("mail"), t("standard"), t("before"), t("after"), t("change")]
    return [header, *[[c.organisation, c.umbrella, c.domain, t.kind(c.kind), t.column(c.column),
                       t.status(c.before) if c.before else "", t.status(c.after),
                       t(f"change_{c.change}")] for c in report.changes]]


def render_changes(report: ChangeReport, fmt: str, lang: str) -> bytes:
    t = Texts(lang)
    if fmt == "json":
        return json.dumps(report.to_json(), indent=2, ensure_ascii=False).encode()
    rows = change_rows(report, t)
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerows([[spreadsheet_text(v) for v in row] for row in rows])
        return out.getvalue().encode("utf-8-sig")
    book = Workbook(write_only=True)
    sheet = book.create_sheet(t("changes"))
    for number, row in enumerate(rows):
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=spreadsheet_text(value))
            cell.data_type = "s"
            if number == 0:
                cell.font = Font(bold=True)
            cells.append(cell)
        sheet.append(cells)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()
