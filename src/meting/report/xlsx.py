"""The round report as a workbook (XLSX, or the same sheets as ODS): the figures with
readable labels, a sheet per test kind (every domain, its organisation, umbrella and parent,
its statuses as words on their colour, a link to its detail page), the laggards and the
formal reactions. Text from the wild is neutralised (safety.spreadsheet_text)."""

from __future__ import annotations

from typing import Any

from meting.analysis.agreements import advice_for
from meting.analysis.analysis import Analysis
from meting.analysis.changes import changes
from meting.analysis.figures import Tally
from meting.analysis.model import DomainResult
from meting.report.changes import change_rows
from meting.report.numbers import Numbers
from meting.report.sheets import Table, write_ods, write_xlsx
from meting.report.texts import Texts
from meting.report.view import detail_file


def default_folder(analysis: Analysis) -> str:
    """Where ``meting report --format html`` puts the per-domain pages by default."""
    return f"report-{analysis.current.round.round_id}-details"


def render_xlsx(analysis: Analysis, lang: str = "nl", details: str | None = None) -> bytes:
    """``details``: the folder of the HTML report's per-domain pages, relative to the file."""
    return write_xlsx(workbook_tables(analysis, lang, details or default_folder(analysis)))


def render_ods(analysis: Analysis, lang: str = "nl", details: str | None = None) -> bytes:
    return write_ods(workbook_tables(analysis, lang, details or default_folder(analysis)))


def workbook_tables(analysis: Analysis, lang: str, folder: str) -> list[Table]:
    t = Texts(lang)
    results = analysis.current.round
    tables = [_figures(analysis, t)]
    for kind, kf in analysis.current.kinds.items():
        rows = sorted(results.of_kind(kind), key=lambda r: (r.domain))
        tables.append(Table(
            t.kind(kind),
            [t("domain"), t("organisation"), t("category"), t("umbrella"), t("parent"),
             t("reaction_column"), t("explained_column"), *[t.column(c) for c in kf.columns]],
            [[r.domain, r.organisation, t.category(r.category), r.umbrella, r.parent,
              t("word_yes") if results.has_reaction(r) else "", _explained(r, t),
              *[r.columns.get(c) for c in kf.columns]] for r in rows],
            status_from=7, texts=t,
            links=[f"{folder}/{detail_file(r.domain)}" for r in rows]))
    tables.append(_laggards(analysis, t))
    tables.append(Table(t("reactions"), [t("organisation"), t("reactions")],
                        [list(item) for item in sorted(results.reactions.items())]))
    previous = analysis.previous.round if analysis.previous else None
    header, *body = change_rows(changes(results, previous, analysis.rules), t)
    tables.append(Table(t("changes"), header, body))
    return tables


def _explained(row: DomainResult, t: Texts) -> str:
    """Accepted explanations (comply or explain): each column with its reason."""
    return "; ".join(f"{t.column(c)} †: {reason}" for c, reason in sorted(row.explained.items()))


def _figures(analysis: Analysis, t: Texts) -> Table:
    num = Numbers(t.lang, analysis.rules.rounding)
    before = analysis.previous
    header = [t("kind"), t("layer"), t("standard"), t("rate"), t("printed"), t("compliant"),
              t("counted"), t("excluded"), t("previous")]
    rows: list[list[Any]] = []

    def line(kind: str, group: str, label: str, tally: Tally | None,
             then: Tally | None) -> None:
        if tally is None:
            return
        rows.append([t.kind(kind), t.category(group), label, tally.rate,
                     num.rate_n(tally.fraction, tally.counted), tally.compliant,
                     tally.counted, tally.excluded, then.rate if then else None])

    for kind, kf in analysis.current.kinds.items():
        earlier = before.kinds.get(kind) if before else None
        for group, columns in kf.adoption.items():
            for column, tally in columns.items():
                then = earlier.adoption.get(group, {}).get(column) if earlier else None
                line(kind, group, t.column(column), tally, then)
            rows.append([t.kind(kind), t.category(group), t(f"layer_average_{kind}"),
                         analysis.rules.rounding.rate(kf.layer_average[group]),
                         num.percent(kf.layer_average[group]), None, kf.n[group], None,
                         analysis.rules.rounding.rate(earlier.layer_average.get(group))
                         if earlier else None])
            line(kind, group, t(f"fully_{kind}"), kf.fully_compliant.get(group),
                 earlier.fully_compliant.get(group) if earlier else None)
    for group, tally in analysis.current.ipv6_with_mailserver.items():
        line("mail", group, t("ipv6_with_mailserver"), tally, None)
    return Table(t("figures"), header, rows)


def _laggards(analysis: Analysis, t: Texts) -> Table:
    rows: list[list[Any]] = []
    for umbrella, orgs in analysis.laggards.items():
        for o in orgs:
            for d in o.domains:
                for m in d.misses:
                    rows.append([umbrella or t("no_umbrella"), o.organisation,
                                 d.domain + (" *" if d.reaction else ""),
                                 f"{t.kind(m.kind)}: {t.column(m.column)}", m.deadline,
                                 advice_for(m.kind, m.column, t.lang)])
    return Table(t("sheet_laggards"), [t("umbrella"), t("organisation"), t("domain"),
                                       t("misses"), t("deadline_year"), t("what_to_do")], rows)
