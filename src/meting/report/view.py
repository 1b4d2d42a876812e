"""What the report templates show: the analysis turned into rows, texts and charts."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from babel.dates import format_date
from markupsafe import Markup, escape

from meting.analysis.agreements import advice_for
from meting.analysis.analysis import Analysis, set_comparison
from meting.analysis.coverage import Coverage, per_layer
from meting.analysis.figures import ALL, RoundFigures, Tally, groups
from meting.analysis.model import DomainResult
from meting.analysis.providers import catalogue
from meting.analysis.rules import column_names, streefbeeld
from meting.registry import vocabulary
from meting.report.charts import bar_chart, line_chart, small_multiples
from meting.report.norm_names import norm_name
from meting.report.numbers import Numbers
from meting.report.texts import Texts, texts_version

EARLIER_SHOWN = 4  # earlier rounds beside this one in the per-standard tables
PROVIDERS_OVER_TIME = 6
SHORT = {"passed": "p", "failed": "f", "warning": "w", "info": "i", "not_tested": "nt",
         "not_applicable": "na", "no_mx": "nm", "unreachable": "u", "not_testable": "tt",
         "error": "e"}
LAYERS_PER_TABLE = 3  # layers side by side in the per-layer table (each this and last round)


def pct(t: Tally | None, num: Numbers) -> str:
    """'71% (n=7)': the printed percentage (counting rules' rounding) with its n."""
    return "–" if t is None else num.rate_n(t.fraction, t.counted)


@dataclass(frozen=True)
class Headline:
    label: str
    now: str
    previous: str
    change: str


@dataclass(frozen=True)
class LayerTable:
    """Standards down, layers across; per layer this round's figure and the previous one."""

    layers: list[str]
    previous: str | None  # the previous round's label; None: no earlier round of the set
    rows: list[tuple[str, list[tuple[str, str]]]]  # standard, [(now, previous)] per layer


class ReportView:
    """Built once per report; the templates read its attributes and call its methods."""

    def __init__(self, analysis: Analysis, lang: str, *, with_details: bool = True,
                 with_appendix: bool = True, details_href: str | None = None,
                 tables_at_end: bool = False, total_pages: int | None = None) -> None:
        self.a = analysis
        self.t = Texts(lang)
        self.lang = lang
        self.round = analysis.current.round
        self.figures = analysis.current
        self.kinds = list(analysis.current.kinds)
        self.with_details = with_details  # scorecards (and, in one document, the details)
        self.with_appendix = with_appendix
        # the folder of the per-domain pages, relative to the report; None: in this document
        self.details_href = details_href
        # the PDF of a large round: appendix and laggard tables drawn after the document
        # (report/pdf_tables.py); the footer then counts their pages too
        self.tables_at_end = tables_at_end
        self.total_pages = total_pages
        self.rules = analysis.rules
        self.rounding = analysis.rules.rounding
        self.num = Numbers(lang, self.rounding)
        self.reaction_orgs = set(self.round.reactions)
        # Table cells are the bulk of a large report: each status's cell is made once here.
        # (Plain string building with escape(): Markup.format is too slow for 10,000 domains.)
        self._labels = {s: str(escape(self.t.status(s))) for s in Texts.statuses()}
        # Short classes (style.css.j2) keep a 10,000-domain appendix small; the legend
        # says what each mark means.
        self._cells = {s: Markup(f'<td class="{SHORT[s]}">{escape(self.t.mark(s))}</td>')
                       for s in Texts.statuses()}

    # -- helpers for templates --------------------------------------------------------------
    def pct(self, t: Tally | None) -> str:
        return pct(t, self.num)

    def percent(self, value: Fraction | None) -> str:
        return self.num.percent(value)

    def change(self, now: Fraction | None, before: Fraction | None) -> str:
        return "–" if now is None or before is None else self.num.points(now - before,
                                                                          signed=True)

    def date(self, day: datetime.date | None) -> str:
        """'31 december 2020' / '31 December 2020'."""
        return "–" if day is None else str(format_date(day, "long", locale=self.lang))

    def mark(self, status: str | None) -> str:
        return "" if status is None else self.t.mark(status)

    def anchor(self, row: DomainResult) -> str:
        return f"d-{row.kind}-{row.domain}"

    def org_anchor(self, organisation: str) -> str:
        return "o-" + "".join(c if c.isalnum() else "-" for c in organisation.lower())

    def reacted(self, row: DomainResult) -> bool:
        return row.reaction or row.organisation in self.reaction_orgs

    def advice(self, kind: str, column: str) -> str:
        return advice_for(kind, column, self.lang)

    def status_cells(self, row: DomainResult, columns: Sequence[str]) -> Markup:
        """The row's status cells for these columns (an empty cell where not measured)."""
        return Markup("".join([self._explained(row, c) if c in row.explained
                               else self._cell(row.columns.get(c)) for c in columns]))

    def _explained(self, row: DomainResult, column: str) -> Markup:
        """A status with an accepted explanation: its mark and the reason on hover."""
        status = row.columns.get(column, "")
        label = self._labels.get(status) or escape(status)
        return Markup(f'<td class="s {escape(status)}" title="{escape(row.explained[column])}">'
                      f'{label} †</td>')

    def _cell(self, status: str | None) -> Markup:
        if status is None:
            return Markup('<td class="s"></td>')
        return self._cells.get(status) or Markup(f'<td class="s">{escape(status)}</td>')

    def domain_cell(self, row: DomainResult) -> Markup:
        star = " *" if self.reacted(row) else ""
        domain = escape(row.domain)
        if self.details_href is not None:
            page = f"{self.details_href}/{detail_file(row.domain)}#{row.kind}"
            return Markup(f'<td><a href="{escape(page)}">{domain}</a>{star}</td>')
        if not self.with_details:
            return Markup(f"<td>{domain}{star}</td>")
        return Markup(f'<td><a href="#{escape(self.anchor(row))}">{domain}</a>{star}</td>')

    def appendix_row(self, row: DomainResult, columns: Sequence[str]) -> Markup:
        """A row of the appendix; its organisation in data-o for the search field."""
        return Markup(f'<tr data-o="{escape(row.organisation)}">'
                      f"{self.domain_cell(row)}{self.status_cells(row, columns)}</tr>")

    def short(self, status: str) -> str:
        return SHORT.get(status, "")

    def finding_rows(self, findings: Sequence[tuple[str, str, str]]) -> Markup:
        """(name, status, explanation) as table rows: the detail pages' columns and subtests."""
        return Markup("".join(
            f'<tr><td>{escape(name)}</td><td class="s {escape(status)}">'
            f'{self._labels.get(status) or escape(status)}</td><td>{escape(explanation)}</td></tr>'
            for name, status, explanation in findings))

    def column_findings(self, row: DomainResult) -> list[tuple[str, str, str]]:
        return [(self.t.column(c), s, getattr(row.details[c], self.lang)
                 if c in row.details else "") for c, s in row.columns.items()]

    def subtest_findings(self, row: DomainResult) -> list[tuple[str, str, str]]:
        return [(name, f.status, getattr(f, self.lang)) for name, f in sorted(
            row.subtests.items())]

    def misses_text(self, misses: Sequence[Any]) -> str:
        return "; ".join(f"{self.t.kind(m.kind)}: {self.t.column(m.column)}" for m in misses)

    def advice_list(self, orgs: Sequence[Any]) -> list[tuple[str, str]]:
        """What to do, once per agreement missed somewhere in this umbrella's list."""
        seen = {(m.kind, m.column) for o in orgs for d in o.domains for m in d.misses}
        return [(f"{self.t.kind(c.kind)}: {self.t.column(c.column)}",
                 self.advice(c.kind, c.column))
                for kind in ("web", "mail") for c in streefbeeld(kind)
                if (kind, c.column) in seen]

    # -- 1. summary ------------------------------------------------------------------------
    def headlines(self) -> list[Headline]:
        now, before = self.figures, self.a.previous
        found = []
        for kind in self.kinds:
            found.append(self._headline(f"layer_average_{kind}",
                                        now.kinds[kind].layer_average[ALL],
                                        _layer(before, kind), _n(now, kind)))
        for kind in self.kinds:
            t = now.kinds[kind].fully_compliant[ALL]
            found.append(self._headline(f"fully_{kind}", t.fraction if t else None,
                                        _fully(before, kind), t.counted if t else 0))
        for kind in self.kinds:
            h = now.headline(kind)
            b = before.headline(kind) if before else None
            found.append(self._headline(f"ipv6_{kind}_headline", h.fraction if h else None,
                                        b.fraction if b else None, h.counted if h else 0))
        return [h for h in found if h.now != "–"]

    def _headline(self, key: str, now: Fraction | None, before: Fraction | None,
                  n: int) -> Headline:
        shown = "–" if now is None else self.num.rate_n(now, n)
        return Headline(self.t(key), shown, self.num.percent(before), self.change(now, before))

    def agreements(self, which: str) -> list[Any]:
        due = [a for a in self.a.agreements if a.due]
        if which == "met":
            return [a for a in due if a.met]
        if which == "not_met":
            return [a for a in due if not a.met]
        return [a for a in self.a.agreements if not a.due]

    def shortfall(self, agreement: Any) -> str:
        """Percentage points short of every counted domain complying."""
        fraction = agreement.tally.fraction
        return self.num.points(None if fraction is None else 100 - fraction)

    # -- 2. per standard -------------------------------------------------------------------
    def standards_chart(self, kind: str) -> Markup:
        adoption = self.figures.kinds[kind].adoption[ALL]
        bars = [(self.t.column(c), t.rate, self.pct(t)) for c, t in adoption.items()]
        return bar_chart(f"{self.t('adoption')} — {self.t.kind(kind)}", bars)

    def earlier(self) -> list[RoundFigures]:
        return self.a.trend[:-1][-EARLIER_SHOWN:]

    def earlier_rate(self, figures: RoundFigures, kind: str, column: str) -> str:
        kf = figures.kinds.get(kind)
        tally = kf.adoption[ALL].get(column) if kf else None
        return self.num.percent(tally.fraction if tally else None)

    def excluded_text(self, t: Tally) -> str:
        if not t.excluded:
            return "0"
        reasons = ", ".join(f"{self.t.status(s)}: {self.num.count(n)}"
                            for s, n in sorted(t.excluded_by.items()))
        return f"{self.num.count(t.excluded)} ({reasons})"

    def trend_chart(self, kind: str) -> Markup:
        labels = [f.round.label or f.round.round_id for f in self.a.trend]
        series = []
        measured = self.figures.kinds[kind].columns
        adoption = self.figures.kinds[kind].adoption[ALL]
        for column in [c for c in self.rules.layer_average[kind] if c in measured]:
            values = [_rate_of(f, kind, column) for f in self.a.trend]
            series.append((self.t.column(column), values, self.pct(adoption[column])))
        return small_multiples(f"{self.t('trend')} — {self.t.kind(kind)}", labels, series)

    def growth_lines(self, kind: str) -> list[str]:
        return [self.t("growth_text", precondition=self.t.column(g.precondition),
                       standard=self.t.column(g.standard),
                       points=self.num.points(g.points),
                       domains=self.t.count("domains_n", g.domains))
                for g in self.figures.kinds[kind].growth[ALL]]

    # -- 3. per layer ----------------------------------------------------------------------
    def layer_rows(self, kind: str) -> list[dict[str, Any]]:
        return self._group_rows(self.figures, self.a.previous, kind, self.t.category)

    def parent_rows(self, kind: str) -> list[dict[str, Any]]:
        """The Rijk layer per ministry (parent organisation), high to low; none without
        parents in the registry."""
        now = self.a.per_parent
        if now is None or kind not in now.kinds:
            return []
        rows = self._group_rows(now, self.a.per_parent_previous, kind, str)
        return [r for r in rows if r["group"] != ALL]

    def _group_rows(self, now: RoundFigures, previous: RoundFigures | None, kind: str,
                    label: Any) -> list[dict[str, Any]]:
        kf = now.kinds[kind]
        prev = previous.kinds.get(kind) if previous else None
        rows: list[dict[str, Any]] = []
        for group in kf.adoption:
            fc = kf.fully_compliant.get(group)
            before = prev.layer_average.get(group) if prev else None
            rows.append({"group": group, "label": label(group), "n": kf.n[group],
                         "now": kf.layer_average[group],
                         "now_text": self.num.rate_n(kf.layer_average[group], kf.n[group]),
                         "previous": self.num.percent(before),
                         "change": self.change(kf.layer_average[group], before),
                         "fully": self.pct(fc)})
        head, rest = rows[:1], rows[1:]
        rest.sort(key=lambda r: (r["now"] is None, -(r["now"] or 0), r["label"]))
        return head + rest

    def layer_chart(self, kind: str) -> Markup:
        bars = [(r["label"], self.rounding.rate(r["now"]), r["now_text"])
                for r in self.layer_rows(kind)]
        return bar_chart(f"{self.t('layer')} — {self.t.kind(kind)}", bars)

    def layer_columns(self, kind: str) -> list[LayerTable]:
        """Every standard per layer, this round beside the previous one (SPEC §7.3); the
        layers in the order of ``layer_rows`` (all first, then high to low), a few layers
        per table so that a table fits an A4 page's width."""
        table = self._layer_table(kind)
        step = LAYERS_PER_TABLE
        return [LayerTable(table.layers[i:i + step], table.previous,
                           [(label, cells[i:i + step]) for label, cells in table.rows])
                for i in range(0, len(table.layers), step)]

    def _layer_table(self, kind: str) -> LayerTable:
        kf = self.figures.kinds[kind]
        before = self.a.previous
        prev = before.kinds.get(kind) if before else None
        order = [r["group"] for r in self.layer_rows(kind)]
        rows = []
        for column in kf.columns:
            cells = []
            for group in order:
                earlier = prev.adoption.get(group, {}).get(column) if prev else None
                cells.append((self.pct(kf.adoption[group][column]),
                              self.num.percent(earlier.fraction if earlier else None)))
            rows.append((self.t.column(column), cells))
        label = (before.round.label or before.round.round_id) if before else None
        return LayerTable([self.t.category(g) for g in order], label, rows)

    # -- 4. IPv6 ---------------------------------------------------------------------------
    def ipv6_chart(self) -> Markup:
        labels = [f.round.label or f.round.round_id for f in self.a.trend]
        series = []
        for kind in ("web", "mail"):
            values = [(h.rate if (h := f.headline(kind)) else None) for f in self.a.trend]
            if any(v is not None for v in values):
                series.append((self.t(f"ipv6_{kind}_headline"), values))
        values = [(t.rate if (t := f.ipv6_with_mailserver.get(ALL)) else None)
                  for f in self.a.trend]
        if any(v is not None for v in values):
            series.append((self.t("ipv6_with_mailserver"), values))
        return line_chart(f"IPv6 — {self.t('trend')}", labels, series)

    def ipv6_columns(self, kind: str) -> list[str]:
        return [c for c in self.figures.kinds[kind].columns if c.startswith("ipv6_")]

    def ipv6_rows(self, kind: str) -> list[tuple[str, list[str]]]:
        """Per layer the kind's IPv6 columns (mail: and the receiving-mail-server figure)."""
        cols = self.ipv6_columns(kind)
        mail_groups = self.figures.ipv6_with_mailserver if kind == "mail" else {}
        adoption = self.figures.kinds[kind].adoption
        rows = []
        for group in adoption:
            cells = [self.pct(adoption[group].get(c)) for c in cols]
            if mail_groups:
                cells.append(self.pct(mail_groups.get(group)))
            rows.append((self.t.category(group), cells))
        return rows

    def set_comparison(self) -> list[dict[str, Any]]:
        return set_comparison(self.a)

    def comparison_cell(self, figure: dict[str, Any] | None) -> str:
        if not figure or not figure["counted"]:
            return "–"
        exact = Fraction(100 * figure["compliant"], figure["counted"])
        return self.num.rate_n(exact, figure["counted"])

    # -- 5. suppliers ----------------------------------------------------------------------
    def dependency(self, service: str) -> Any:
        return self.a.dependency[service]

    def providers_chart(self) -> Markup:
        over = self.a.mail_shares_over_time
        current = self.a.dependency["mail"].shares[:PROVIDERS_OVER_TIME]
        labels = [p["round"] for p in over]
        series = [(self.t.provider(s.provider), [p["shares"].get(s.provider) for p in over])
                  for s in current]
        return line_chart(self.t("share_over_time"), labels, series)

    def share(self, s: Any) -> str:
        return self.num.rate_n(s.share, s.domains)

    def catalogue_version(self) -> str:
        c = catalogue()
        return f"{c.name} {c.version}"

    # -- 6. background ---------------------------------------------------------------------
    def versions(self) -> list[tuple[str, str]]:
        return [(self.t("norm_version"), norm_name(self.round.norm, self.lang)),
                (self.t("counting_rules"), self.rules.label),
                (self.t("catalogue"), self.catalogue_version()),
                (self.t("texts_version"), texts_version())]

    def rule_lines(self) -> list[tuple[str, str]]:
        r = self.rules
        statuses = Texts.statuses()
        return [
            (self.t("rules_compliant"), ", ".join(self.t.status(s) for s in statuses
                                                  if s in r.compliant)),
            (self.t("rules_not_compliant"), ", ".join(self.t.status(s) for s in statuses
                                                      if s in r.not_compliant)),
            (self.t("rules_excluded"), ", ".join(self.t.status(s) for s in r.excluded)),
            *[(f"{self.t('rules_layer')} ({self.t.kind(k)})",
               ", ".join(self.t.column(c) for c in cols)) for k, cols in r.layer_average.items()],
            *self.review_lines(),
            (self.t("rules_rounding"), self.t(
                "rules_rounding_text", print=r.rounding.print_decimals,
                json=r.rounding.json_decimals, mode=self.t(f"mode_{r.rounding.mode}"))),
            (self.t("rules_near_target"), self.t(
                "rules_near_target_text", decimals=r.rounding.near_decimals,
                targets=", ".join(f"{t}%" for t in r.rounding.near_targets))),
        ]

    def review_lines(self) -> list[tuple[str, str]]:
        """The review cycle's rules and how many re-tests and explanations they met."""
        counts, rules = self.round.review, self.rules.review
        if counts is None:
            return []
        retests = self.t("rules_retests_used" if rules.use_retests else "rules_retests_unused",
                         done=counts.retests_done, used=counts.retests_used)
        explained = self.t("rules_explanations_counted" if rules.explanations_change_figures
                           else "rules_explanations_shown", n=counts.explanations,
                           counted=counts.explanations_counted)
        return [(f"{self.t('rules_retests')} ({rules.retests_rule})", retests),
                (f"{self.t('rules_explanations')} ({rules.explanations_rule})", explained)]

    def counts(self) -> dict[str, int]:
        return {k: len(self.round.of_kind(k)) for k in ("web", "mail")}

    def coverage_layers(self) -> list[Coverage]:
        """Known, measured and found domains per layer, then all (templates/coverage)."""
        return per_layer(self.a.coverage)

    # -- 7. appendix -----------------------------------------------------------------------
    def appendix(self) -> list[tuple[str, str, list[str], list[DomainResult]]]:
        """Per layer and kind: (layer label, kind, columns, rows alphabetical)."""
        found = []
        for kind in self.kinds:
            cols = self.figures.kinds[kind].columns
            for group, rows in groups(self.round.of_kind(kind)).items():
                if group != ALL:
                    found.append((self.t.category(group), kind, cols,
                                  sorted(rows, key=lambda r: r.domain)))
        found.sort(key=lambda x: (_layer_order(x[3][0].category), x[1] != "web"))
        return found

    def streefbeeld(self, kind: str) -> list[str]:
        return [c.column for c in streefbeeld(kind)]

    # -- 9. scorecards ---------------------------------------------------------------------
    def organisations(self) -> list[tuple[str, list[DomainResult]]]:
        by_org: dict[str, list[DomainResult]] = {}
        for row in self.round.rows:
            by_org.setdefault(row.organisation, []).append(row)
        return [(o, sorted(rows, key=lambda r: (r.domain, r.kind)))
                for o, rows in sorted(by_org.items(), key=lambda x: x[0].lower())]

    def score(self, rows: Sequence[DomainResult], kind: str) -> str:
        """'compliant of counted' over the streefbeeld columns of the kind."""
        wanted = self.streefbeeld(kind)
        classes = [self.rules.classify(r.columns.get(c)) for r in rows if r.kind == kind
                   for c in wanted if c in r.columns]
        counted = [c for c in classes if c != "excluded"]
        if not counted:
            return "–"
        return f"{counted.count('compliant')}/{len(counted)}"

    def columns_of(self, kind: str) -> tuple[str, ...]:
        return column_names(kind)


def detail_file(domain: str) -> str:
    """The file of a domain's detail page (names are punycode; anything else is replaced)."""
    return "".join(c if c.isalnum() or c in ".-" else "_" for c in domain) + ".html"


def _n(figures: RoundFigures, kind: str) -> int:
    return figures.kinds[kind].n[ALL]


def _layer(figures: RoundFigures | None, kind: str) -> Fraction | None:
    kf = figures.kinds.get(kind) if figures else None
    return kf.layer_average.get(ALL) if kf else None


def _fully(figures: RoundFigures | None, kind: str) -> Fraction | None:
    kf = figures.kinds.get(kind) if figures else None
    t = kf.fully_compliant.get(ALL) if kf else None
    return t.fraction if t else None


def _rate_of(figures: RoundFigures, kind: str, column: str) -> float | None:
    kf = figures.kinds.get(kind)
    t = kf.adoption[ALL].get(column) if kf else None
    return t.rate if t else None


def _layer_order(category: str) -> int:
    """The registry's order of the categories (registry/data/categories.yaml)."""
    order = list(vocabulary.categories()["categories"])
    return order.index(category) if category in order else len(order)
