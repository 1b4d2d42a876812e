"""The HTML report: sections in SPEC §7 order, escaped text from the wild, inline charts."""

from __future__ import annotations

import re

import pytest

from meting.analysis.analysis import analyse
from meting.report.html import render_html
from tests.unit.analysis_data import rounds
from tests.unit.report_data import HOSTILE, hostile_analysis

SECTION_IDS = ["summary", "standards", "layers", "ipv6", "suppliers", "background", "appendix",
               "laggards", "scorecards", "details"]


@pytest.fixture(scope="module")
def html() -> str:
    return render_html(hostile_analysis(), "nl")


def test_sections_in_spec_order(html: str) -> None:
    found = re.findall(r'<h2 id="([a-z0-9]+)"', html)
    assert found == SECTION_IDS


def test_text_from_the_wild_is_escaped(html: str) -> None:
    assert HOSTILE not in html and "<b>Gemeente B</b>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "&lt;b&gt;Gemeente B&lt;/b&gt;" in html
    # the only script-like text anywhere is the escaped one: no <script element at all
    assert "<script" not in html.lower()


def test_self_contained_with_inline_charts(html: str) -> None:
    assert not re.search(r'<(link|img|script)\b', html)
    assert not re.search(r'(src|href)="(https?:)?//', html)
    charts = re.findall(r"<svg [^>]*class='chart'", html)
    # per kind a bar chart per standard, per layer and a trend; IPv6 trend; provider shares
    assert len(charts) == 2 * 3 + 1 + 1
    assert html.count("class='bar'") >= 9 + 12  # every web and mail column has its bar


def test_printed_percentages_whole_half_up_with_n(html: str) -> None:
    # ipv6_mail 5/8 = 62.5 % is printed 63 % with its n; dnssec 5/7 = 71.4 % → 71 %
    assert "63% (n=8)" in html and "62% (n=8)" not in html
    assert "71% (n=7)" in html


def test_appendix_marks_reactions_and_links_details(html: str) -> None:
    assert 'href="#d-mail-ws-b.nl">ws-b.nl</a> *' in html  # Waterschap A reacted
    assert 'href="#d-mail-rijk-a.nl">rijk-a.nl</a></td>' in html
    assert 'id="d-mail-ws-b.nl"' in html
    assert "Wij &lt;script&gt;" in html  # the reaction's text, escaped


def test_english_on_request() -> None:
    english = render_html(hostile_analysis(), "en")
    assert "Management summary" in english and "Managementsamenvatting" not in english
    assert "Laggards per umbrella organisation" in english


def test_a_round_with_only_ipv6_columns() -> None:
    html = render_html(analyse(rounds()["2021-03"]), "nl")
    assert re.findall(r'<h2 id="([a-z0-9]+)"', html) == SECTION_IDS
    assert "IPv6 voor mail (alle maildomeinen)</td><td class=\"num\">25% (n=8)" in html
    assert "Gemiddelde adoptie" not in html  # no layer standards measured: no layer average
