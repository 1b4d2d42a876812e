"""The report as a workbook: a figures sheet, then a sheet per kind and layer (the appendix),
the laggards and the reactions. Text from the wild is neutralised (safety.spreadsheet_text)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from meting.analysis.agreements import advice_for
from meting.analysis.analysis import Analysis
from meting.analysis.changes import changes
from meting.analysis.figures import ALL, groups
from meting.analysis.model import DomainResult
from meting.report.changes import change_rows
from meting.report.safety import spreadsheet_text
from meting.report.texts import Texts


def render_xlsx(analysis: Analysis, lang: str = "nl") -> bytes:
    t = Texts(lang)
    book = Workbook(write_only=True)
    _sheet(book, t("figures"), _figure_rows(analysis, t))
    results = analysis.current.round
    for kind, kf in analysis.current.kinds.items():
        for group, rows in groups(results.of_kind(kind)).items():
            if group == ALL:
                continue
            header = [t("domain"), t("organisation"), t("reactions"),
                      *[t.column(c) for c in kf.columns]]
            body = [[r.domain, r.organisation, "*" if results.has_reaction(r) else "",
                     *[_status(r, c) for c in kf.columns]]
                    for r in sorted(rows, key=lambda r: r.domain)]
            _sheet(book, f"{t.kind(kind)} {t.category(group)}", [header, *body])
    _sheet(book, t("s_laggards"), _laggard_rows(analysis, t))
    _sheet(book, t("reactions"), [[t("organisation"), t("reactions")],
                                  *sorted(map(list, results.reactions.items()))])
    previous = analysis.previous.round if analysis.previous else None
    _sheet(book, t("changes"), change_rows(changes(results, previous, analysis.rules), t))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _status(row: DomainResult, column: str) -> str:
    """The status, with an accepted explanation's mark and reason beside it."""
    status = row.columns.get(column, "")
    return f"{status} † {row.explained[column]}" if column in row.explained else status


def _figure_rows(analysis: Analysis, t: Texts) -> list[list[Any]]:
    before = analysis.previous
    rows: list[list[Any]] = [[t("round"), analysis.current.round.round_id],
                             [t("previous"), before.round.round_id if before else ""],
                             [t("counting_rules"), analysis.rules.label], [],
                             [t.kind("web") + "/" + t.kind("mail"), t("layer"), t("standard"),
                              "rate", "compliant", "counted", "excluded", "previous_rate"]]
    for kind, kf in analysis.current.kinds.items():
        earlier = before.kinds.get(kind) if before else None
        for group, columns in kf.adoption.items():
            for column, tally in columns.items():
                then = earlier.adoption.get(group, {}).get(column) if earlier else None
                rows.append([kind, group, column, tally.rate, tally.compliant, tally.counted,
                             tally.excluded, then.rate if then else None])
            rows.append([kind, group, "layer_average",
                         analysis.rules.rounding.rate(kf.layer_average[group])])
            fc = kf.fully_compliant[group]
            if fc:
                rows.append([kind, group, "fully_compliant", fc.rate, fc.compliant, fc.counted,
                             fc.excluded])
    for group, tally in analysis.current.ipv6_with_mailserver.items():
        rows.append(["mail", group, "ipv6_with_mailserver", tally.rate, tally.compliant,
                     tally.counted, tally.excluded])
    return rows


def _laggard_rows(analysis: Analysis, t: Texts) -> list[list[Any]]:
    rows: list[list[Any]] = [[t("umbrella"), t("organisation"), t("domain"), t("misses"),
                              t("deadline"), t("what_to_do")]]
    for umbrella, orgs in analysis.laggards.items():
        for o in orgs:
            for d in o.domains:
                for m in d.misses:
                    rows.append([umbrella, o.organisation, d.domain + (" *" if d.reaction else ""),
                                 f"{t.kind(m.kind)}: {t.column(m.column)}", m.deadline,
                                 advice_for(m.kind, m.column, t.lang)])
    return rows


def _sheet(book: Workbook, title: str, rows: Iterable[list[Any]]) -> None:
    name = re.sub(r"[\[\]:*?/\\]", " ", title)[:31]
    sheet = book.create_sheet(name)
    for number, row in enumerate(rows):
        sheet.append([_cell(sheet, value, bold=number == 0) for value in row])


def _cell(sheet: Any, value: Any, *, bold: bool) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=spreadsheet_text(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"  # never a formula, whatever the text
    if bold:
        cell.font = Font(bold=True)
    return cell
