"""The ODS as LibreOffice reads it: LibreOffice (headless) converts the workbook to XLSX and
openpyxl reads back what LibreOffice understood. The filter buttons and the links beside the
file must survive. (Frozen panes are view settings, which a headless conversion does not
load or write for any file, LibreOffice's own included: test_report_xlsx checks the ODS's
view settings as LibreOffice's loader reads them.)"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

from openpyxl import load_workbook

from meting.report.xlsx import render_ods
from tests.unit.report_data import hostile_analysis


def test_libreoffice_reads_the_filters_and_the_links(tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (libreoffice-calc-nogui) is missing: run scripts/setup"
    ods = tmp_path / "report-2021-11.ods"
    ods.write_bytes(render_ods(hostile_analysis(), "nl"))
    subprocess.run([soffice, "--headless", f"-env:UserInstallation={(tmp_path / 'p').as_uri()}",
                    "--convert-to", "xlsx", "--outdir", str(tmp_path), str(ods)],
                   check=True, capture_output=True, timeout=300)
    book = load_workbook(io.BytesIO((tmp_path / "report-2021-11.xlsx").read_bytes()))
    web = book["Web"]
    assert web.auto_filter.ref == f"A1:{web.cell(1, web.max_column).column_letter}9"
    assert book["Cijfers"].auto_filter.ref is not None
    links = {c.value: c.hyperlink.target for c in web["A"][1:] if c.hyperlink}
    # beside the workbook, not inside it ('report-2021-11.ods/report-2021-11-details/…')
    assert links["gem-b.nl"] == "report-2021-11-details/gem-b.nl.html"
