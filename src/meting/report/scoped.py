"""The report for one organisation, umbrella or parent organisation (``meting report
--organisation/--umbrella/--parent``): HTML, PDF (the HTML through WeasyPrint) or a
workbook. What it shows comes from ``analysis.scope``."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from markupsafe import Markup, escape

from meting.analysis.figures import ALL, RoundFigures, Tally
from meting.analysis.model import DomainResult
from meting.analysis.scope import ScopedRound
from meting.report.numbers import Numbers
from meting.report.sheets import Table
from meting.report.texts import Texts


class ScopeView:
    def __init__(self, scoped: ScopedRound, lang: str) -> None:
        self.s = scoped
        self.t = Texts(lang)
        self.lang = lang
        self.round = scoped.current.round
        self.rules = scoped.current.rules
        self.num = Numbers(lang, self.rules.rounding)
        self.kinds = list(scoped.current.kinds)
        self.total_pages: int | None = None  # the shared print style asks

    @property
    def title(self) -> str:
        return f"{self.t('scope_' + self.s.scope.level)}: {self.s.scope.name}"

    def pct(self, t: Tally | None) -> str:
        return "–" if t is None else self.num.rate_n(t.fraction, t.counted)

    def date(self, day: Any) -> str:
        from babel.dates import format_date
        return str(format_date(day, "long", locale=self.lang))

    def headlines(self) -> list[tuple[str, str, str, str]]:
        """(figure, now, previous, change) per kind: layer average and fully compliant."""
        found = []
        for kind in self.kinds:
            now, before = self.s.current.kinds[kind], _kind(self.s.previous, kind)
            n = now.n[ALL]
            found.append((self.t(f"layer_average_{kind}"),
                          self.num.rate_n(now.layer_average[ALL], n),
                          self.num.percent(before.layer_average.get(ALL) if before else None),
                          self._change(now.layer_average[ALL],
                                       before.layer_average.get(ALL) if before else None)))
            fc = now.fully_compliant.get(ALL)
            fb = before.fully_compliant.get(ALL) if before else None
            if fc:
                found.append((self.t(f"fully_{kind}"), self.pct(fc),
                              self.num.percent(fb.fraction if fb else None),
                              self._change(fc.fraction, fb.fraction if fb else None)))
        return found

    def standards(self, kind: str) -> list[tuple[str, str, str, str]]:
        now, before = self.s.current.kinds[kind], _kind(self.s.previous, kind)
        rows = []
        for column, tally in now.adoption[ALL].items():
            then = before.adoption[ALL].get(column) if before else None
            rows.append((self.t.column(column), self.pct(tally),
                         self.num.percent(then.fraction if then else None),
                         self._change(tally.fraction, then.fraction if then else None)))
        return rows

    def _change(self, now: Fraction | None, before: Fraction | None) -> str:
        return "–" if now is None or before is None else self.num.points(now - before,
                                                                          signed=True)

    def rows_of(self, kind: str) -> list[DomainResult]:
        return [r for r in self.s.rows if r.kind == kind]

    def columns(self, kind: str) -> list[str]:
        return self.s.current.kinds[kind].columns

    def status_cells(self, row: DomainResult, columns: list[str]) -> Markup:
        cells = []
        for c in columns:
            status = row.columns.get(c)
            if status is None:
                cells.append('<td class="s"></td>')
            else:
                word = escape(self.t.status(status))
                cells.append(f'<td class="s {escape(status)}" title="{word}">'
                             f"{escape(self.t.mark(status))}</td>")
        return Markup("".join(cells))

    def todo_rows(self) -> list[tuple[str, str, str, str]]:
        return [(f"{t.domain} ({self.t.kind(t.kind)})", self.t.column(t.column),
                 t.explanation[self.lang], t.advice[self.lang]) for t in self.s.todos]

    def change_rows(self) -> list[tuple[str, str, str, str, str]]:
        def word(better: bool | None) -> str:
            return {True: self.t("better"), False: self.t("worse"), None: ""}[better]
        return [(c.domain, f"{self.t.kind(c.kind)}: {self.t.column(c.column)}",
                 self.t.status(c.before) if c.before else "–", self.t.status(c.now),
                 word(c.better)) for c in self.s.changes]

    def laggard_rows(self) -> list[tuple[str, str, str]]:
        return [(o.organisation, d.domain + (" *" if d.reaction else ""),
                 "; ".join(f"{self.t.kind(m.kind)}: {self.t.column(m.column)}"
                           for m in d.misses))
                for orgs in self.s.laggards.values() for o in orgs for d in o.domains]

    def tables(self) -> list[Table]:
        """The workbook's sheets."""
        t = self.t
        sheets = [Table(t("figures"), [t("figure"), t("now"), t("previous"), t("change")],
                        [list(h) for h in self.headlines()]
                        + [[f"{t.kind(k)}: {label}", now, before, change]
                           for k in self.kinds for label, now, before, change
                           in self.standards(k)])]
        for kind in self.kinds:
            cols = self.columns(kind)
            sheets.append(Table(
                t.kind(kind), [t("domain"), t("organisation"), t("umbrella"), t("parent"),
                               *[t.column(c) for c in cols]],
                [[r.domain, r.organisation, r.umbrella, r.parent,
                  *[r.columns.get(c) for c in cols]] for r in self.rows_of(kind)],
                status_from=4, texts=t))
        sheets.append(Table(t("what_to_do"), [t("domain"), t("standard"), t("explanation"),
                                               t("what_to_do")],
                            [list(r) for r in self.todo_rows()]))
        sheets.append(Table(t("changes"), [t("domain"), t("standard"), t("previous"),
                                            t("now"), t("change")],
                            [list(r) for r in self.change_rows()]))
        if self.s.scope.level != "organisation":
            sheets.append(Table(t("sheet_laggards"),
                                [t("organisation"), t("domain"), t("misses")],
                                [list(r) for r in self.laggard_rows()]))
        return sheets


def _kind(figures: RoundFigures | None, kind: str) -> Any:
    return figures.kinds.get(kind) if figures else None


def render_scope_html(scoped: ScopedRound, lang: str) -> str:
    from meting.report.html import environment

    view = ScopeView(scoped, lang)
    return environment().get_template("scope.html.j2").render(view=view, t=view.t)


def render_scope(scoped: ScopedRound, fmt: str, lang: str) -> bytes:
    if fmt == "html":
        return render_scope_html(scoped, lang).encode()
    if fmt == "pdf":
        from weasyprint import HTML
        pdf: bytes = HTML(string=render_scope_html(scoped, lang)).write_pdf()
        return pdf
    from meting.report.sheets import write_ods, write_xlsx
    tables = ScopeView(scoped, lang).tables()
    return write_xlsx(tables) if fmt == "xlsx" else write_ods(tables)
