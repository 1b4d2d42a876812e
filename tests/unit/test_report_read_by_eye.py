"""Defects found by reading the rendered demo report (Dutch and English, HTML and PDF), one
test per kind: a word of the other language, a document pointing to itself as elsewhere, a
line in a chart hidden under another. (Values split over lines: test_report_pdf_layout.)"""

from __future__ import annotations

import html as html_lib
import re
from functools import cache

import pytest

from meting.analysis.agreements import advice
from meting.report.charts import line_chart
from meting.report.html import render_html
from meting.report.texts import _texts
from tests.unit.report_data import hostile_analysis

WORD = re.compile(r"[^\W\d_]{2,}")  # a single letter is a mark (T, E) or an initial


def _words(value: object) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(_words(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_words(v) for v in value)) if value else set()
    return {w.casefold() for w in WORD.findall(str(value))}


@cache
def vocabulary(lang: str) -> frozenset[str]:
    """Every word of the report's texts in one language (labels, statuses, plurals, what to
    do): a technical term both languages use ('host', SPF's '~all') is in both."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == lang:
                    found.update(_words(value))
                else:
                    walk(value)

    walk({k: v for k, v in _texts().items() if k not in ("name", "version")})
    walk(advice())
    return frozenset(found)


def visible_words(page: str) -> set[str]:
    page = re.sub(r"<(script|style|title)\b.*?</\1>", " ", page, flags=re.S)
    return _words(html_lib.unescape(re.sub(r"<[^>]+>", " ", page)))


def data_words() -> set[str]:
    """Names from the round itself (organisations, umbrellas, domains, reactions, findings)
    are what they are in any language."""
    results = hostile_analysis().current.round
    words: set[str] = set()
    for row in results.rows:
        words |= _words([row.domain, row.organisation, row.umbrella or "", row.parent or ""])
        words |= _words([[f.nl, f.en] for f in (*row.details.values(),
                                                 *row.subtests.values())])
    return words | _words(list(results.reactions.values()))


@pytest.mark.parametrize(("lang", "other"), [("nl", "en"), ("en", "nl")])
def test_no_word_of_the_other_language(lang: str, other: str) -> None:
    """A word that only the other language's texts use ('deadline' in Dutch, a Dutch rule
    name such as 'hertests-voor-sluiting' in English) is a label left untranslated."""
    only_other = vocabulary(other) - vocabulary(lang)
    page = render_html(hostile_analysis(), lang)
    assert sorted(visible_words(page) & only_other - data_words()) == []


def test_the_check_sees_an_english_word_in_dutch() -> None:
    assert "deadline" in vocabulary("en") - vocabulary("nl")
    assert "deadline" in visible_words("<p>Afspraken met een <b>deadline</b></p>")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_html_page_does_not_send_readers_to_the_html_version(lang: str) -> None:
    """Without scorecards (many organisations) the PDF points to the HTML version for the
    details per domain; the HTML page itself points to its own detail pages instead."""
    analysis = hostile_analysis()
    page = render_html(analysis, lang, with_details=False, details_href="report-details")
    pdf_page = render_html(analysis, lang, with_details=False, with_appendix=False)
    version = {"nl": "HTML-versie", "en": "HTML version"}[lang]
    assert version not in page and version in pdf_page
    click = {"nl": "klik op de domeinnaam", "en": "click the domain name"}[lang]
    assert click in page


def test_identical_series_stay_visible_side_by_side() -> None:
    """Two series with the same values (IPv6 for all mail domains and for those with a
    receiving mail server, often equal): the later line is dashed so the earlier shows,
    and the legend shows each line as it is drawn."""
    chart = str(line_chart("IPv6", ["2026-05", "2026-11"],
                           [("a", [45.0, 51.0]), ("b", [45.0, 51.0]), ("c", [10.0, 20.0])]))
    lines = re.findall(r"<polyline class='line' [^>]*>", chart)
    dashes = [re.search(r"stroke-dasharray='([^']*)'", line) for line in lines]
    patterns = [d.group(1) if d else "" for d in dashes]
    assert len(set(patterns)) == 3 and patterns[0] == ""
    legend = re.findall(r"<line x1='\d+' y1='[\d.]+' x2='\d+' y2='[\d.]+' [^>]*>", chart)
    assert [("stroke-dasharray='" + p + "'") in line if p else "dasharray" not in line
            for p, line in zip(patterns, legend[-3:], strict=True)] == [True] * 3
