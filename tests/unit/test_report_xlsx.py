"""The workbook: a figures sheet, a sheet per kind and layer, formulas neutralised."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from meting.report.xlsx import render_xlsx
from tests.unit.report_data import hostile_analysis


@pytest.fixture(scope="module")
def book() -> Workbook:
    return load_workbook(io.BytesIO(render_xlsx(hostile_analysis(), "nl")))


def test_sheets_per_kind_and_layer(book: Workbook) -> None:
    assert book.sheetnames == [
        "Cijfers", "Web Rijk", "Web Gemeenten", "Web Waterschappen", "Mail Rijk",
        "Mail Gemeenten", "Mail Waterschappen", "Achterblijvers per koepelorganisatie"[:31],
        "Formele reacties", "Veranderingen"]


def test_figures_sheet_holds_the_json_figures(book: Workbook) -> None:
    rows = {(r[0], r[1], r[2]): r[3:7] for r in book["Cijfers"].iter_rows(values_only=True)
            if r and r[0] in ("web", "mail")}
    assert rows[("web", "all", "dnssec")] == (71.4, 5, 7, 1)
    assert rows[("mail", "all", "ipv6_mail")] == (62.5, 5, 8, 0)
    assert rows[("web", "all", "layer_average")][0] == 88.6
    assert rows[("mail", "all", "ipv6_with_mailserver")] == (50.0, 3, 6, 0)


def test_formulas_from_the_wild_are_neutralised(book: Workbook) -> None:
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row
             if isinstance(c.value, str)]
    assert not [c for c in cells if c.data_type == "f"]
    dangerous = [c.value for c in cells if c.value.lstrip("'").startswith(("=", "+", "-", "@"))]
    assert dangerous, "the hostile organisation and reaction must reach the workbook"
    assert all(v.startswith("'") for v in dangerous)
    organisations = [c.value for c in cells if "Gemeente B" in c.value]
    assert "'=cmd|' /C calc'!A0 <b>Gemeente B</b>" in organisations
    reaction = book["Formele reacties"]["B2"].value
    assert reaction.startswith("Wij <script>")  # plain text in a cell, kept as written


def test_figures_sheet_puts_the_previous_round_beside_this_one(book: Workbook) -> None:
    rows = {(r[0], r[1], r[2]): r[3:8] for r in book["Cijfers"].iter_rows(values_only=True)
            if r and r[0] in ("web", "mail")}
    # previous round 2021-03: ipv6_mail passed on rijk-a and ws-b of 8 → 25.0; rijk 1/3
    assert rows[("mail", "all", "ipv6_mail")] == (62.5, 5, 8, 0, 25.0)
    assert rows[("mail", "rijk", "ipv6_mail")] == (100.0, 3, 3, 0, 33.3)
    assert rows[("mail", "all", "dmarc")][4] is None  # not measured in 2021-03
