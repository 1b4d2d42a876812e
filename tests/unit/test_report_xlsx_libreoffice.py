"""The XLSX as LibreOffice reads it: LibreOffice (headless) opens the workbook and saves it as
ODS; what it wrote tells what it understood. The link per domain must lead to the domain's
detail page beside the workbook (XlsxWriter stores a relative link in Excel's own form,
`dir\\file.html`), and the filters and status colours must survive."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from urllib.parse import unquote, urljoin

from meting.report.xlsx import render_xlsx
from tests.unit.report_data import hostile_analysis


def libreoffice_ods(xlsx: Path, out: Path) -> str:
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (libreoffice-calc-nogui) is missing: run scripts/setup"
    subprocess.run([soffice, "--headless", f"-env:UserInstallation={(out / 'p').as_uri()}",
                    "--convert-to", "ods", "--outdir", str(out), str(xlsx)],
                   check=True, capture_output=True, timeout=300)
    with zipfile.ZipFile(out / f"{xlsx.stem}.ods") as ods:
        return ods.read("content.xml").decode()


def test_libreoffice_follows_the_links_and_keeps_filters_and_colours(tmp_path: Path) -> None:
    xlsx = tmp_path / "report-2021-11.xlsx"
    xlsx.write_bytes(render_xlsx(hostile_analysis(), "nl"))
    out = tmp_path / "converted"  # another folder: a link kept as written would now miss
    out.mkdir()
    content = libreoffice_ods(xlsx, out)
    links = dict((text, href) for href, text in
                 re.findall(r'<text:a xlink:href="([^"]*)"[^>]*>([^<]*)</text:a>', content))
    assert {"gem-b.nl", "rijk-a.nl", "ws-b.nl"} <= set(links)
    # ODF resolves a relative link as if the document were a folder
    ods_as_folder = (out / "report-2021-11.ods").as_uri() + "/"
    target = unquote(urljoin(ods_as_folder, links["gem-b.nl"]))
    assert target == (tmp_path / "report-2021-11-details" / "gem-b.nl.html").as_uri()
    # one filter range per sheet with rows, with its buttons shown
    assert len(re.findall(r'<table:database-range [^>]*table:display-filter-buttons="true"',
                          content)) == 6
    assert re.search(r"Web'?\.A1:'?Web'?\.[A-Z]+9", content)
    # a status keeps its word on its colour
    colours = dict(re.findall(r'style:name="([^"]+)" style:family="table-cell"[^>]*>'
                              r'(?:<[^>]*>)*?<style:table-cell-properties [^>]*'
                              r'fo:background-color="#([0-9a-f]{6})"', content))
    failed = re.search(r'table:style-name="([^"]+)"[^>]*><text:p>gezakt</text:p>', content)
    assert failed is not None and colours[failed.group(1)] == "f6d3d3"
