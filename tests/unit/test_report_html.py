"""The HTML report: sections in SPEC §7 order, escaped text from the wild, inline charts."""

from __future__ import annotations

import base64
import hashlib
import html as html_lib
import re

import pytest

from meting.analysis.analysis import analyse
from meting.checks.verdict import Status
from meting.report.html import render_html
from meting.report.texts import Texts
from meting.report.view import ReportView
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
    # the one script element is the report's own filter, allowed by its hash only
    assert html.lower().count("<script") == 1 and "<script>/* Search and filter" in html


def test_one_inline_script_and_style_allowed_by_their_hashes(html: str) -> None:
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    assert csp, "the page carries its own policy"
    text = html_lib.unescape(csp.group(1))
    policy = dict(part.strip().split(" ", 1) for part in text.split(";"))
    assert policy["default-src"] == "'none'" and "unsafe-inline" not in text
    for tag, directive in (("script", "script-src"), ("style", "style-src")):
        body = re.search(rf"<{tag}>(.*?)</{tag}>", html, re.S)
        assert body
        digest = base64.b64encode(hashlib.sha256(body.group(1).encode()).digest()).decode()
        assert policy[directive] == f"'sha256-{digest}'"
    assert not re.search(r'\son[a-z]+=|\sstyle="', html)  # no inline handlers or styles


def test_self_contained_with_inline_charts(html: str) -> None:
    assert not re.search(r'<(link|img)\b|<script [^>]*src', html)
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


def test_per_layer_table_puts_the_previous_round_beside_this_one(html: str) -> None:
    """SPEC §7.3. The previous round (2021-03) measured only the IPv6 mail columns."""
    tables = ReportView(hostile_analysis(), "nl").layer_columns("mail")
    assert all(len(t.layers) <= 3 for t in tables)  # split to fit an A4 page
    assert {t.previous for t in tables} == {"Maart 2021 (IPv6)"}
    cells = {layer: cell for t in tables
             for layer, cell in zip(t.layers, dict(t.rows)["IPv6 mail"], strict=True)}
    # now (2021-11): gem-b, gem-c, ws-a failed → all 5/8; previous: rijk-a, ws-b passed → 2/8
    assert cells["Alle domeinen"] == ("63% (n=8)", "25%")
    assert cells["Rijk"] == ("100% (n=3)", "33%")  # before: rijk-b, rijk-c failed → 1/3
    assert cells["Gemeenten"] == ("33% (n=3)", "0%")  # before: all three failed
    assert cells["Waterschappen"] == ("50% (n=2)", "50%")  # ws-a failed both times
    assert dict(tables[0].rows)["DMARC"][0] == ("88% (n=8)", "–")  # not measured before
    layers = re.findall(r'<table class="layers">.*?</table>', html, re.S)
    mail = layers[len(layers) // 2]  # as many web tables as mail tables, web first
    assert len(layers) == 2 * len(tables)
    assert "<th>November 2021</th><th class=\"prev\">Maart 2021 (IPv6)</th>" in mail
    assert '<td class="num">63% (n=8)</td><td class="num prev">25%</td>' in mail


def test_per_layer_table_without_an_earlier_round_has_no_previous_cells() -> None:
    alone = analyse(rounds()["2021-11"])
    assert all(t.previous is None for t in ReportView(alone, "en").layer_columns("web"))
    layers = re.findall(r'<table class="layers">.*?</table>', render_html(alone, "en"), re.S)
    assert layers and not any("prev" in table for table in layers)


def test_legend_gives_every_status_its_own_mark(html: str) -> None:
    t = Texts("nl")
    assert set(Texts.statuses()) == {s.value for s in Status}  # every status of SPEC §3
    marks = [t.mark(s) for s in Texts.statuses()]
    assert len(set(marks)) == len(marks), marks
    legend = html.split(f'<h3>{t("legend")}</h3>')[1].split("</table>")[0]
    for status in Texts.statuses():
        assert f'<td class="s {status}">{t.mark(status)}</td>' in legend.replace("&#34;", '"')
