"""``meting monitor report``: the year's tenders and facilities against their targets, the
trend over the years, and that year's information-security measurement (the latest finished
round of each domain set, analysed by the same services as the round report) — as HTML,
PDF (WeasyPrint), XLSX (XlsxWriter, via report.sheets) or JSON, in Dutch or English."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from babel.dates import format_date
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from meting.analysis.analysis import analysis_json
from meting.analysis.load import load_analysis
from meting.analysis.rounding import Rounding, percentage
from meting.analysis.rules import counting_rules
from meting.monitor.figures import (
    MonitorFigures,
    MonitorRules,
    Share,
    figures_json,
    monitor_figures,
)
from meting.monitor.texts import MonitorTexts
from meting.report.charts import bar_chart, line_chart
from meting.report.numbers import Numbers
from meting.report.sheets import Table, write_xlsx
from meting.store import RoundInfo, Store
from meting.store.monitor import MonitorStore

FORMATS = ("html", "pdf", "xlsx", "json")


@dataclass(frozen=True)
class IvRound:
    """One domain set's latest finished round of the year and its agreements (as in the
    round's figures JSON: kind, column, deadline, due, met, compliant, counted, rate)."""

    set_name: str | None
    label: str
    date: dt.date
    agreements: tuple[dict[str, Any], ...]

    @property
    def met(self) -> int:
        return sum(1 for a in self.agreements if a["due"] and a["met"])

    @property
    def due(self) -> int:
        return sum(1 for a in self.agreements if a["due"])


@dataclass(frozen=True)
class MonitorReport:
    figures: MonitorFigures
    iv: tuple[IvRound, ...]


def load_monitor(store: Store, year: int,
                 figures_of: Callable[[RoundInfo], dict[str, Any]] | None = None
                 ) -> MonitorReport:
    """``figures_of``: a round's figures JSON (the dashboard passes its kept figures);
    by default the round is analysed as ``meting report`` does."""
    monitor = MonitorStore(store)
    figures = monitor_figures(year, monitor.tenders(), monitor.facilities())
    latest: dict[str | None, RoundInfo] = {}
    for info in store.rounds():
        of_year = info.date.year == year and info.state == "finished" and info.done > 0
        if of_year and (info.set_name not in latest
                        or info.date >= latest[info.set_name].date):
            latest[info.set_name] = info
    analysed = figures_of or (lambda info: analysis_json(load_analysis(store, info.id)))
    iv = []
    for info in sorted(latest.values(), key=lambda i: (i.set_name or "", i.date)):
        found = analysed(info)
        iv.append(IvRound(info.set_name, found.get("round") or info.label, info.date,
                          tuple(found["agreements"])))
    return MonitorReport(figures, tuple(iv))


def render_monitor(report: MonitorReport, fmt: str, lang: str = "nl") -> bytes:
    if fmt == "json":
        return json.dumps(report_json(report), ensure_ascii=False, indent=1).encode()
    if fmt == "xlsx":
        return write_xlsx(workbook(report, lang))
    html = render_html(report, lang)
    if fmt == "html":
        return html.encode()
    if fmt == "pdf":
        from weasyprint import HTML  # loads pango only when a PDF is asked for

        pdf: bytes = HTML(string=html).write_pdf()
        return pdf
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


def report_json(report: MonitorReport) -> dict[str, Any]:
    data = figures_json(report.figures)
    data["information_security"] = [
        {"set": r.set_name, "round": r.label, "date": r.date.isoformat(), "met": r.met,
         "due": r.due, "agreements": list(r.agreements)} for r in report.iv]
    return data


def printed(rules: MonitorRules) -> Rounding:
    """The counting rules' rounding, with the monitor's targets among those a printed share
    never shows unless reached (94.6% of tenders is not printed as the 95% target)."""
    rounding = counting_rules().rounding
    return dataclasses.replace(rounding, near_targets=tuple(sorted(
        {*rounding.near_targets, rules.tender_target, rules.facility_target})))


class MonitorView:
    """What the template shows, in the reader's language and number format."""

    def __init__(self, report: MonitorReport, lang: str) -> None:
        self.r, self.m, self.lang = report, report.figures, lang
        self.t = MonitorTexts(lang)
        self.num = Numbers(lang, printed(self.m.rules))

    def share(self, s: Share) -> str:
        return self.num.rate_n(s.fraction, s.whole)

    def percent(self, s: Share) -> str:
        return self.num.percent(s.fraction)

    def met(self, s: Share, target: int) -> str:
        met = s.meets(target)
        return "–" if met is None else self.t("word_yes") if met else self.t("word_no")

    def date(self, day: dt.date | str | None) -> str:
        if isinstance(day, str):
            day = dt.date.fromisoformat(day)
        return "–" if day is None else str(format_date(day, "long", locale=self.lang))

    def agreement_rate(self, a: dict[str, Any]) -> str:
        return self.num.rate_n(percentage(a["compliant"], a["counted"]), a["counted"])

    def count(self, n: int) -> str:
        return self.num.count(n)

    def _bars(self, title: str, items: list[tuple[str, Share]]) -> Markup:
        return bar_chart(title, [(label, None if s.fraction is None else float(s.fraction),
                                  self.share(s)) for label, s in items])

    def tender_standard_chart(self) -> Markup:
        return self._bars(self.t("asked"), [(self.t.standard(k), v) for k, v
                                            in self.m.tenders.per_standard.items()])

    def tender_layer_chart(self) -> Markup:
        return self._bars(self.t("per_layer"), [(self.t.category(k), v) for k, v
                                                in self.m.tenders.per_layer.items()])

    def facility_chart(self) -> Markup:
        return self._bars(self.t("per_facility"), [(f.name, f.applied)
                                                   for f in self.m.facilities.facilities])

    def trend_chart(self) -> Markup:
        years = sorted({t.year for t in self.m.tender_trend}
                       | {f.year for f in self.m.facility_trend})
        tenders = {t.year: t.asking.fraction for t in self.m.tender_trend}
        facilities = {f.year: f.at_target.fraction for f in self.m.facility_trend}

        def values(found: dict[int, Any]) -> list[float | None]:
            return [None if found.get(y) is None else float(found[y]) for y in years]

        rules = self.m.rules
        return line_chart(self.t("trend"), [str(y) for y in years],
                          [(self.t("tenders"), values(tenders)),
                           (self.t("at_target"), values(facilities)),
                           (self.t("target_of", what=self.t("tenders")),
                            [float(rules.tender_target)] * len(years)),
                           (self.t("target_of", what=self.t("facilities_short")),
                            [float(rules.facility_target)] * len(years))])

    def layer_trend(self) -> tuple[list[int], list[tuple[str, list[str]]]]:
        """The share per layer (rows) per year (columns), as printed."""
        years = [y.year for y in self.m.tender_trend]
        layers = sorted({k for y in self.m.tender_trend for k in y.per_layer})
        return years, [(self.t.category(layer),
                        [self.share(y.per_layer[layer]) if layer in y.per_layer else "–"
                         for y in self.m.tender_trend]) for layer in layers]


@cache
def environment() -> Environment:
    return Environment(loader=PackageLoader("meting.monitor", "templates"),
                       autoescape=select_autoescape(["j2"], default=True),
                       undefined=StrictUndefined)


CSS = """body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .5em;
text-align:left}td.num{text-align:right}.met{color:#1a7f37}.not{color:#b42318}
p.note{color:#555;font-size:.9em}"""


def render_html(report: MonitorReport, lang: str = "nl") -> str:
    view = MonitorView(report, lang)
    digest = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
    csp = (f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    return environment().get_template("monitor.html.j2").render(
        view=view, t=view.t, m=report.figures, css=Markup(CSS), csp=csp)


def workbook(report: MonitorReport, lang: str) -> list[Table]:
    view, t, m = MonitorView(report, lang), MonitorTexts(lang), report.figures
    rate = counting_rules().rounding.rate
    target_t, target_f = m.rules.tender_target, m.rules.facility_target
    return [
        Table(t("tenders"), [t("year"), t("share"), "n", t("target"), t("met")],
              [[y.year, rate(y.asking.fraction), y.asking.whole, target_t,
                view.met(y.asking, target_t)] for y in m.tender_trend]),
        Table(t("per_standard"), [t("standard"), t("asked"), "n"],
              [[t.standard(k), rate(v.fraction), v.whole]
               for k, v in m.tenders.per_standard.items()]),
        Table(t("per_layer"), [t("layer"), t("share"), "n"],
              [[t.category(k), rate(v.fraction), v.whole]
               for k, v in m.tenders.per_layer.items()]),
        Table(t("per_facility"), [t("facility"), t("steward"), t("applied"), "n",
                                  t("met"), t("missing")],
              [[f.name, f.steward, rate(f.applied.fraction), f.applied.whole,
                t("word_yes") if f.at_target else t("word_no"),
                ", ".join(t.standard(s) for s in f.missing)]
               for f in m.facilities.facilities]),
        Table(t("at_target"), [t("year"), t("share"), "n", t("target")],
              [[y.year, rate(y.at_target.fraction), y.at_target.whole, target_f]
               for y in m.facility_trend]),
        Table(t("applying"), [t("standard"), t("applied"), "n"],
              [[t.standard(k), v.part, v.whole] for k, v in m.facilities.per_standard.items()]),
        Table(t("iv", year=m.year)[:31], [t("domain_set"), t("round"), t("column"),
                                          t("deadline"), t("now"), "n", t("met")],
              [[r.set_name or t("all_domains"), r.label, t.column(a["kind"], a["column"]),
                a["deadline"], a["rate"], a["counted"],
                t("word_yes") if a["met"] else t("word_no")]
               for r in report.iv for a in r.agreements]),
    ]
