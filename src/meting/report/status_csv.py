"""The per-domain status CSV of SPEC §8 (the appendix as data): one file per test kind,
``category,domain,reaction,<columns>,organisation,umbrella,parent``, with the columns the
round measured. The owner columns come last, so the columns of §8 keep their places;
``import-results`` reads them to register a domain under its organisation."""

from __future__ import annotations

import csv
import io

from meting.analysis.figures import measured_columns
from meting.analysis.imports import OWNER
from meting.analysis.model import RoundResults
from meting.registry import vocabulary
from meting.report.safety import spreadsheet_text


def write_status_csv(results: RoundResults, kind: str) -> str:
    rows = results.of_kind(kind)
    columns = measured_columns(rows, kind)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["category", "domain", "reaction", *columns, *OWNER])
    order = {c: i for i, c in enumerate(vocabulary.categories()["categories"])}
    for row in sorted(rows, key=lambda r: (order.get(r.category, len(order)), r.domain)):
        writer.writerow([spreadsheet_text(row.category), spreadsheet_text(row.domain),
                         "1" if results.has_reaction(row) else "0",
                         *(row.columns.get(c, "") for c in columns),
                         *(spreadsheet_text(v) for v in (row.organisation, row.umbrella,
                                                         row.parent))])
    return out.getvalue()
