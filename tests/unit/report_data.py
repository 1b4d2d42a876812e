"""A small analysis for the report tests, with hostile text from the wild in it."""

from __future__ import annotations

import dataclasses

from meting.analysis.analysis import Analysis, analyse
from meting.analysis.model import Finding
from tests.unit.analysis_data import rounds

HOSTILE = "<script>alert('x')</script>"


def hostile_analysis() -> Analysis:
    """The golden round, with a TXT-record-like explanation and an organisation name that
    carry markup and spreadsheet formulas (the reaction of Waterschap A carries both too)."""
    r = rounds()
    current = r["2021-11"]
    rows = []
    for row in current.rows:
        if row.domain == "gem-c.nl" and row.kind == "mail":
            row = dataclasses.replace(row, details={"dmarc": Finding(
                "passed", f"Record gevonden: v=DMARC1; p=none; {HOSTILE}",
                f"Record found: v=DMARC1; p=none; {HOSTILE}")},
                subtests={"dmarc": Finding("passed", f"TXT {HOSTILE}", f"TXT {HOSTILE}")})
        if row.organisation == "Gemeente B":
            row = dataclasses.replace(row, organisation="=cmd|' /C calc'!A0 <b>Gemeente B</b>")
        rows.append(row)
    current = dataclasses.replace(current, rows=rows)
    return analyse(current, earlier=[r["2021-03"]], others=[r["breed-2021-10"]])
