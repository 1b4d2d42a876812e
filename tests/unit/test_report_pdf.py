"""The PDF report (WeasyPrint): A4, every section in order, page numbers, English too."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from meting.report.pdf import render_pdf
from tests.unit.report_data import hostile_analysis

SECTIONS = {
    "nl": ["Managementsamenvatting", "Per standaard", "Per overheidslaag", "IPv6",
           "Leveranciersafhankelijkheid", "Achtergrond", "Bijlage per domein",
           "Achterblijvers per koepelorganisatie", "Scorekaart per organisatie",
           "Gedetailleerde resultaten per domein"],
    "en": ["Management summary", "Per standard", "Per government layer", "IPv6",
           "Supplier dependency", "Background", "Appendix per domain",
           "Laggards per umbrella organisation", "Scorecard per organisation",
           "Detailed results per domain"],
}


@pytest.fixture(scope="module", params=["nl", "en"])
def pdf(request: pytest.FixtureRequest) -> tuple[str, PdfReader]:
    lang: str = request.param
    return lang, PdfReader(io.BytesIO(render_pdf(hostile_analysis(), lang)))


_texts: dict[int, list[str]] = {}


def page_texts(reader: PdfReader) -> list[str]:
    """The text of each page; extracted once per document (it takes seconds)."""
    if id(reader) not in _texts:
        _texts[id(reader)] = [" ".join(page.extract_text().split()) for page in reader.pages]
    return _texts[id(reader)]


def test_a4_with_page_numbers(pdf: tuple[str, PdfReader]) -> None:
    lang, reader = pdf
    first = reader.pages[0].mediabox
    assert (round(float(first.width) * 25.4 / 72), round(float(first.height) * 25.4 / 72)) == (
        210, 297)
    total = len(reader.pages)
    word = {"nl": "pagina", "en": "page"}[lang]
    texts = page_texts(reader)
    assert all(f"{word} {n} / {total}" in text for n, text in enumerate(texts, start=1))


def test_every_section_in_order_after_the_contents(pdf: tuple[str, PdfReader]) -> None:
    lang, reader = pdf
    texts = page_texts(reader)
    body = " ".join(texts[1:])  # page 1 holds the table of contents
    positions = [body.find(f"{n}. {title}") for n, title in enumerate(SECTIONS[lang], start=1)]
    assert -1 not in positions, dict(zip(SECTIONS[lang], positions, strict=True))
    assert positions == sorted(positions)
    for title in SECTIONS[lang]:
        assert title in texts[0]  # listed in the table of contents


def test_figures_and_laggards_are_in_the_text(pdf: tuple[str, PdfReader]) -> None:
    _, reader = pdf
    text = " ".join(page_texts(reader))
    assert "63% (n=8)" in text  # ipv6_mail 5/8 printed whole, half up
    assert "gem-b.nl" in text and "ws-b.nl *" in text
    assert "meting-telregels 2026.2" in text


def test_a_large_round_draws_its_long_tables_after_the_document(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Above the limits the appendix and the laggard lists are drawn on landscape pages
    after the document (report/pdf_tables.py); every page counts in every footer."""
    monkeypatch.setattr("meting.report.pdf.limits", lambda: {
        "appendix_up_to_domains": 7, "details_up_to_organisations": 4})  # the round has 8, 5
    reader = PdfReader(io.BytesIO(render_pdf(hostile_analysis(), "en")))
    texts = page_texts(reader)
    total = len(texts)
    assert all(f"page {n} / {total}" in text for n, text in enumerate(texts, start=1))
    text = " ".join(texts)
    assert "The tables per domain are at the end of this document" in text
    assert "Scorecard per organisation" not in text  # 5 organisations > 4: in the HTML
    landscape = [p for p in reader.pages if float(p.mediabox.width) > float(p.mediabox.height)]
    drawn = " ".join(" ".join(p.extract_text().split()) for p in landscape)
    assert "Appendix per domain: Municipalities — Web" in drawn
    assert "gem-b.nl" in drawn and "ws-b.nl *" in drawn  # the reaction's asterisk
    assert "Laggards per umbrella organisation: VNG" in drawn and "gem-c.nl" in drawn
    for page in landscape:  # A4 landscape
        assert (round(float(page.mediabox.width) * 25.4 / 72),
                round(float(page.mediabox.height) * 25.4 / 72)) == (297, 210)
