"""The dashboard's words and numbers per language: Dutch pages without English words, the
register's texts in the reader's language, dates and percentages written as the report
writes them (Babel, the counting rules' rounding)."""

from __future__ import annotations

import html
import re
from fractions import Fraction

from fastapi import FastAPI
from fastapi.testclient import TestClient

from meting.analysis.rules import counting_rules
from meting.report.numbers import Numbers
from meting.web.texts import WebTexts
from tests.web.conftest import csrf_of, signed_in
from tests.web.dashboard_data import Dashboard


def in_language(c: TestClient, lang: str) -> TestClient:
    """The client's pages in ``lang`` (kept with the account: every test says which)."""
    c.post("/lang", data={"lang": lang, "csrf": csrf_of(c.get("/standards").text),
                          "next": "/"})
    assert c.cookies.get("meting_lang") == lang
    return c


def in_dutch(app: FastAPI, dashboard: Dashboard) -> TestClient:
    return in_language(signed_in(app, dashboard, "coordinator"), "nl")


def in_english(c: TestClient) -> TestClient:
    return in_language(c, "en")


def section(page: str, marker: str, end: str = "</table>") -> str:
    start = page.index(marker)
    return page[start:page.index(end, start)]


def organisation_id(c: TestClient, name: str) -> int:
    found: int = {o["name"]: o["id"] for o in c.get("/api/v1/organisations").json()}[name]
    return found


def test_dutch_pages_say_uiterste_datum_where_english_says_deadline(
        app: FastAPI, dashboard: Dashboard) -> None:
    c = in_dutch(app, dashboard)
    bee = organisation_id(c, "Gemeente Bee")
    pages = [c.get(f"/rounds/{dashboard.rounds[1]}").text,
             c.get(f"/organisations/{bee}").text, c.get("/laggards").text]
    assert "<th>Uiterste datum</th>" in pages[0]
    for page in pages[1:]:
        assert re.search(r"\(gezakt, uiterste datum eind 20\d\d\)", page), page[-3000:]
    for page in pages:
        assert not re.search(r"deadline", re.sub(r"<[^>]*>", " ", page), re.I)
    english = in_english(c)
    assert "<th>Deadline</th>" in english.get(f"/rounds/{dashboard.rounds[1]}").text
    assert "deadline end of 20" in english.get(f"/organisations/{bee}").text


def test_the_domain_page_names_subtests_and_introduces_the_evidence_keys_as_code(
        app: FastAPI, dashboard: Dashboard) -> None:
    c = in_dutch(app, dashboard)
    page = c.get("/domains/aa.nl").text
    subtests = section(page, 'id="subtests-web"')
    assert '<td title="dnssec_exists">DNSSEC aanwezig</td>' in subtests
    assert ">dnssec_exists<" not in subtests
    evidence = section(page, 'id="evidence-intro-web"', "</section>")
    assert "technische veldnamen" in evidence
    assert "<summary><code>dns_queries</code></summary>" in evidence
    assert "<summary><code>evidence_version</code></summary>" in evidence
    english = in_english(c).get("/domains/aa.nl").text
    assert '<td title="dnssec_exists">DNSSEC present</td>' in section(english,
                                                                      'id="subtests-web"')
    assert "technical field names" in english


def test_the_standards_page_gives_the_registers_texts_in_the_readers_language(
        app: FastAPI, dashboard: Dashboard) -> None:
    c = in_dutch(app, dashboard)
    dutch = html.unescape(c.get("/standards").text)
    english = html.unescape(in_english(c).get("/standards").text)
    for nl, en in (("ingesteld volgens de ICT-beveiligingsrichtlijnen voor TLS van het NCSC",
                    "configured according to the NCSC's IT Security Guidelines for TLS"),
                   ("IETF; richtlijnen NCSC", "IETF; NCSC guidelines"),
                   ("RFC 7672 (DANE voor SMTP)", "RFC 7672 (DANE for SMTP)"),
                   ("(consultatie tot 12 maart) en mei 2023 (opgenomen)",
                    "(consultation until 12 March) and May 2023 (admitted)")):
        assert nl in dutch and en not in dutch
        assert en in english and nl not in english


ISO_DATE = re.compile(r">\s*\d{4}-\d\d-\d\d\b")  # an ISO date as a cell's or item's text


def test_dates_are_written_one_way_per_locale(app: FastAPI, dashboard: Dashboard) -> None:
    c = in_dutch(app, dashboard)
    overview = c.get(f"/rounds/{dashboard.rounds[1]}").text
    agreements = section(overview, 'id="agreements"')
    assert '<td data-sort="2017-12-31">31 dec 2017</td>' in agreements
    standards = c.get("/standards").text
    assert "<td>9 mei 2017</td>" in section(standards, 'id="standards"')
    assert "<td>1 jul 2023</td>" in section(standards, 'id="agreements"')
    made = section(c.get("/shares").text, 'id="share-list"')
    assert re.search(r"<td>\d{1,2} [a-z]{3}\.? 20\d\d \d\d:\d\d UTC</td>", made), made
    for page in (overview, standards, made):
        assert not ISO_DATE.search(page), ISO_DATE.search(page)
    english = in_english(c)
    assert "31 Dec 2017</td>" in english.get(f"/rounds/{dashboard.rounds[1]}").text
    assert "<td>9 May 2017</td>" in english.get("/standards").text


SORTABLE = re.compile(r'<table class="[^"]*\bsortable\b[^"]*" id="([^"]+)">(.*?)</table>', re.S)
NUMBER_CELL = re.compile(r'<td class="num"([^>]*)>')


def test_every_figure_of_a_sortable_table_sorts_by_its_number(
        app: FastAPI, dashboard: Dashboard) -> None:
    """app.js sorts a cell by its data-sort when it has one, else by its text: '103' before
    '28' as text. Every figure of a sortable table carries its number."""
    c = in_dutch(app, dashboard)
    pages = {"overview": c.get(f"/rounds/{dashboard.rounds[1]}").text,
             "suppliers": c.get("/suppliers").text}
    tables = {f"{name}#{table}": body for name, page in pages.items()
              for table, body in SORTABLE.findall(page)}
    assert {"overview#layers", "overview#umbrellas", "overview#organisations",
            "suppliers#providers-mail"} <= set(tables)
    for where, body in tables.items():
        for attributes in NUMBER_CELL.findall(body):
            assert re.fullmatch(r' data-sort="-?\d+(\.\d+)?"', attributes), (where, attributes)
    layers = tables["overview#layers"]
    assert re.search(r'<td class="num" data-sort="(\d+)">\1</td>', layers)  # an n column


def test_the_headline_change_is_in_percentage_points_with_one_decimal(
        app: FastAPI, dashboard: Dashboard) -> None:
    c = in_dutch(app, dashboard)
    # web layer average (100 + 4 × 2/3) / 5 now, (100 + 4/3) / 5 before: 26 2/3 points up
    headline = section(c.get(f"/rounds/{dashboard.rounds[1]}").text, 'id="headline"')
    assert "<th>Verandering (procentpunt)</th>" in headline
    assert '<td class="num">73%</td><td class="num">47%</td><td class="num">+26,7</td>' in (
        headline)
    english = section(in_english(c).get(f"/rounds/{dashboard.rounds[1]}").text,
                      'id="headline"')
    assert "(percentage points)</th>" in english and ">+26.7</td>" in english


def test_percentages_round_as_the_report_never_to_a_target_not_reached() -> None:
    """366 of 368 is 99.46%: the figures JSON keeps 99.5, which rounded again gave 100%."""
    nl, en = WebTexts("nl"), WebTexts("en")
    report = Numbers("nl", counting_rules().rounding)
    for compliant, counted in ((366, 368), (363, 364), (1, 300), (2, 3), (0, 5), (5, 5)):
        assert nl.share({"rate": 99.5, "compliant": compliant, "counted": counted}) == (
            report.percent(Fraction(100 * compliant, counted)))
    assert nl.share({"rate": 99.5, "compliant": 366, "counted": 368}) == "99%"
    assert nl.share({"rate": 99.7, "compliant": 363, "counted": 364}) == "99,7%"
    assert en.share({"rate": 99.7, "compliant": 363, "counted": 364}) == "99.7%"
    assert nl.share({"rate": 0.3, "compliant": 1, "counted": 300}) not in ("0%", "0,0%")
    assert nl.percent(99.5) == "99,5%" and nl.percent(0.3) == "0,3%"  # JSON rates only
    assert nl.percent(100.0) == "100%" and nl.percent(62.5) == "63%"
    assert nl.change(Fraction(464, 10), Fraction(42)) == "+4,4"
    assert en.change(Fraction(40), Fraction(41)) == "−1.0"


def test_the_results_table_of_an_organisation_fits_by_wrapping_or_scrolling(
        app: FastAPI, dashboard: Dashboard) -> None:
    c = in_dutch(app, dashboard)
    page = c.get(f"/organisations/{organisation_id(c, 'Gemeente Aa')}").text
    assert '<div class="wide"><table class="figures sortable results" id="results-web">' in page
    css = c.get("/static/app.css").text
    rules = dict(re.findall(r"^([^{}\n/]+?)\s*\{([^}]*)\}", css, re.M))
    assert "overflow-x: auto" in rules[".wide"]
    assert "white-space: normal" in rules["table.results th"]
    assert "max-width" in rules["table.results th"]
