"""The dashboard's words in Dutch (default) and English, and numbers and dates per locale
(Babel). Column, category and status names are the report's (``report/data/texts.yaml``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import yaml
from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from meting.analysis.rounding import percentage
from meting.analysis.rules import counting_rules
from meting.report.numbers import Numbers
from meting.report.texts import Texts

LANGUAGES = ("nl", "en")
LOCALES = {"nl": "nl_NL", "en": "en_GB"}
DEFAULT = "nl"


@cache
def web_texts() -> dict[str, dict[str, str]]:
    text = (resources.files("meting.web") / "data/texts.yaml").read_text("utf-8")
    data: dict[str, dict[str, str]] = yaml.safe_load(text)["text"]
    return data


@lru_cache(maxsize=8192)
def _formatted(value: float | int, digits: int, locale: str) -> str:
    """Babel parses the locale and pattern on every call: a page of thousands of figures
    spent most of its time there, while the values repeat (percentages, small counts)."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=locale)


@cache
def _numbers(lang: str) -> Numbers:
    return Numbers(lang, counting_rules().rounding)


@lru_cache(maxsize=8192)
def _percent(value: Fraction, lang: str) -> str:
    """As ``_formatted``: a page prints thousands of rates, most of them alike."""
    return _numbers(lang).percent(value)


@dataclass(frozen=True)
class WebTexts:
    lang: str

    @property
    def report(self) -> Texts:
        return Texts(self.lang)

    @property
    def locale(self) -> str:
        return LOCALES[self.lang]

    def __call__(self, key: str, **values: Any) -> str:
        entry = web_texts().get(key)
        if entry is None:
            return self.report(key, **values)
        text = entry[self.lang]
        return text.format(**values) if values else text

    def column(self, column: str) -> str:
        return self.report.column(column)

    def category(self, category: str) -> str:
        return self.report.category(category)

    def kind(self, kind: str) -> str:
        return self.report.kind(kind)

    def status(self, status: str) -> str:
        return self.report.status(status)

    def number(self, value: float | int | None, digits: int = 0) -> str:
        if value is None:
            return "–"
        return _formatted(value, digits, self.locale)

    def percent(self, rate: Fraction | float | None) -> str:
        """A rate as the report prints it (``report.numbers``, the counting rules' rounding:
        whole, and never a target, 0 or 100, that it has not reached: '99,7%'). Exact from a
        Fraction; a rate of the figures JSON (one decimal) is read as that decimal."""
        if rate is None:
            return "–"
        return _percent(rate if isinstance(rate, Fraction) else Fraction(str(rate)),
                        self.lang)

    def share(self, x: dict[str, Any] | None) -> str:
        """A tally of the figures JSON (compliant of counted), from its exact fraction."""
        if not x or not x.get("counted"):
            return "–"
        if "compliant" not in x:
            return self.percent(x.get("rate"))
        return self.percent(percentage(x["compliant"], x["counted"]))

    def change(self, now: Fraction | None, before: Fraction | None) -> str:
        """A change in percentage points, signed, at the figures JSON's precision: '+4,4'."""
        if now is None or before is None:
            return "–"
        return _numbers(self.lang).points(now - before, signed=True)

    def date(self, value: dt.date | str | int | None) -> str:
        """Every date of the dashboard, as the locale writes it: '2 dec. 2026' / '2 Dec 2026'.
        An ISO text (the figures JSON's) is read first; a whole number is a year (the
        register gives only the year where its source does)."""
        if value is None or value == "":
            return "–"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, str):
            value = dt.date.fromisoformat(value)
        if isinstance(value, dt.datetime):
            value = _utc(value).date()
        return _date(value, self.locale)

    def moment(self, value: dt.datetime | None) -> str:
        """A moment in UTC: the date as ``date`` writes it, then the time (hours, minutes)."""
        if value is None:
            return "–"
        at = _utc(value)
        return (f"{_date(at.date(), self.locale)} "
                f"{format_time(at, format='short', tzinfo=dt.UTC, locale=self.locale)} UTC")


def _utc(value: dt.datetime) -> dt.datetime:
    """A stored moment is UTC; one without a zone (SQLite) is taken as UTC."""
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)


@lru_cache(maxsize=4096)
def _date(value: dt.date, locale: str) -> str:
    return str(format_date(value, format="medium", locale=locale))
