"""The workbook (XLSX and ODS from one model): figures with readable labels, a sheet per test
kind with statuses as words on their colour, frozen headers, filters, widths, links to the
domains' detail pages, owner columns; formulas from the wild neutralised."""

from __future__ import annotations

import datetime
import io
import re
import warnings
import zipfile

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from meting.report.sheets import MAX_LINK_LENGTH, Table, write_xlsx
from meting.report.xlsx import render_ods, render_xlsx
from tests.unit.report_data import hostile_analysis


@pytest.fixture(scope="module")
def book() -> Workbook:
    return load_workbook(io.BytesIO(render_xlsx(hostile_analysis(), "nl")))


def rows_of(book: Workbook, name: str) -> list[dict[str, object]]:
    sheet = book[name]
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2,
                                                                       values_only=True)]


def test_a_sheet_per_kind_and_short_names(book: Workbook) -> None:
    assert book.sheetnames == ["Cijfers", "Web", "Mail", "Achterblijvers", "Formele reacties",
                               "Veranderingen"]
    english = load_workbook(io.BytesIO(render_xlsx(hostile_analysis(), "en")))
    assert english.sheetnames == ["Figures", "Web", "Mail", "Laggards", "Formal reactions",
                                  "Changes"]


def test_figures_have_readable_labels_and_the_previous_round(book: Workbook) -> None:
    rows = {(r["Soort test"], r["Overheidslaag"], r["Standaard"]): r
            for r in rows_of(book, "Cijfers")}
    dnssec = rows[("Web", "Alle domeinen", "DNSSEC")]
    assert (dnssec["Percentage (1 decimaal)"], dnssec["Zoals gedrukt"], dnssec["Voldoet"],
            dnssec["Geteld"], dnssec["Buiten beschouwing"]) == (71.4, "71% (n=7)", 5, 7, 1)
    ipv6 = rows[("Mail", "Alle domeinen", "IPv6 mail")]
    assert ipv6["Percentage (1 decimaal)"] == 62.5 and ipv6["Vorige meting"] == 25.0
    assert rows[("Mail", "Rijk", "IPv6 mail")]["Vorige meting"] == 33.3
    assert rows[("Mail", "Alle domeinen", "DMARC")]["Vorige meting"] is None  # not measured
    average = rows[("Web", "Alle domeinen", "Gemiddelde adoptie webstandaarden")]
    assert average["Percentage (1 decimaal)"] == 88.6
    assert not any(isinstance(k, str) and "_" in k for key in rows for k in key)  # no ids


def test_domain_sheets_are_usable(book: Workbook) -> None:
    sheet = book["Web"]
    assert sheet.freeze_panes == "B2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}9"
    assert sheet.column_dimensions["A"].width >= len("rijk-a.nl")
    assert all(c.font.bold for c in sheet[1])
    rows = {r["Domein"]: r for r in rows_of(book, "Web")}
    assert rows["gem-b.nl"]["DNSSEC"] == "gezakt" and rows["rijk-a.nl"]["HSTS"] == "geslaagd"
    assert rows["gem-a.nl"]["HTTPS"] == "fout"
    assert rows["ws-b.nl"]["Koepel"] == "Unie van Waterschappen"
    assert rows["ws-b.nl"]["Formele reactie"] == "ja"
    assert rows["gem-c.nl"]["Categorie"] == "Gemeenten"
    cells = {c.value: c for c in sheet["A"]}
    # a file beside the workbook, in Excel's own form of a relative link (XlsxWriter writes
    # it as Excel does); test_report_xlsx_libreoffice follows it to the file
    assert cells["gem-b.nl"].hyperlink.target == "report-2021-11-details\\gem-b.nl.html"
    assert cells["gem-b.nl"].font.color.rgb.endswith("154273")
    linked = {c.value for c in sheet["A"][1:] if c.hyperlink}
    assert linked == set(rows), "every domain links to its detail page"
    statuses = {c.value: c.fill.fgColor.rgb[-6:] for row in sheet.iter_rows(min_row=2)
                for c in row if c.value in ("geslaagd", "gezakt", "fout")}
    assert statuses == {"geslaagd": "DFF0D8", "gezakt": "F6D3D3", "fout": "ECECEC"}


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


def test_the_ods_has_the_same_sheets_words_filters_and_frozen_headers() -> None:
    data = render_ods(hostile_analysis(), "nl")
    with zipfile.ZipFile(io.BytesIO(data)) as ods:
        assert ods.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
        content = ods.read("content.xml").decode()
        settings = ods.read("settings.xml").decode()
    for name in ("Cijfers", "Web", "Mail", "Achterblijvers", "Formele reacties"):
        assert f'table:name="{name}"' in content
    assert "gezakt" in content and "report-2021-11-details/gem-b.nl.html" in content
    assert 'table:display-filter-buttons="true"' in content
    # LibreOffice's loader (ScViewDataTable::ReadUserDataSequence): split mode 2 is a fixed
    # split, its position the number of frozen columns (horizontal) and rows (vertical)
    web = re.search(r'config:name="Web">(.*?)</config:config-item-map-entry>', settings)
    assert web is not None
    items = dict(re.findall(r'config:name="(\w+)" config:type="\w+">(\d+)<', web.group(1)))
    assert {k: items[k] for k in ("HorizontalSplitMode", "HorizontalSplitPosition",
                                  "VerticalSplitMode", "VerticalSplitPosition")} == {
        "HorizontalSplitMode": "2", "HorizontalSplitPosition": "1",
        "VerticalSplitMode": "2", "VerticalSplitPosition": "1"}
    # a link beside the file: ODF reads a relative link as if the document were a folder
    assert 'xlink:href="../report-2021-11-details/gem-b.nl.html"' in content
    assert "'=cmd|' /C calc'!A0" in content.replace("&apos;", "'")


def test_every_value_is_written_as_its_type_and_text_never_as_more() -> None:
    """XlsxWriter's write() would take text for a number, a link or a formula; the workbook
    writes each value by its type. Text with control characters does not break the file, and
    a link past Excel's limits leaves its text unlinked."""
    rows: list[list[object]] = [
        ["a.nl", "123", "https://example.nl", "=1+1", 7, 2.5, True,
         datetime.date(2026, 12, 31), "bell\x07 and nul\x00", None, "", float("nan")],
        ["b.nl", *[None] * 11],
    ]
    table = Table("'Naam' met [tekens]?", [f"k{i}" for i in range(12)], rows,
                  links=["details/a.nl.html", "details/" + "b" * MAX_LINK_LENGTH])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # XlsxWriter warns when it drops a link itself
        data = write_xlsx([table])
    sheet = load_workbook(io.BytesIO(data))["Naam' met  tekens"]
    a = [c for c in sheet[2]]
    assert [c.value for c in a[:8]] == ["a.nl", "123", "https://example.nl", "'=1+1", 7, 2.5,
                                        True, datetime.datetime(2026, 12, 31)]
    assert [c.data_type for c in a[:7]] == ["s", "s", "s", "s", "n", "n", "b"]
    assert a[2].hyperlink is None and a[0].hyperlink.target == "details\\a.nl.html"
    assert a[8].value.startswith("bell") and a[8].value.endswith("nul_x0000_")
    assert all(c.value is None for c in a[9:])
    b = sheet["A3"]
    assert b.value == "b.nl" and b.hyperlink is None  # too long a link: the text stays
