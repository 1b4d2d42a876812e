"""The report for one organisation, umbrella or parent organisation: what it holds (pure
service over hand-built rounds), the files `meting report --umbrella/--organisation` writes,
and its PDF fitting the page."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from meting.analysis.scope import Scope, ScopeError, scope_round
from meting.cli import app
from meting.report.scoped import render_scope, render_scope_html
from tests.unit.analysis_data import rounds
from tests.unit.report_wide import MINISTRIES, wide_round
from tests.unit.test_report_cli import database  # noqa: F401  (a stored golden round)
from tests.unit.test_report_pdf_layout import broken_words, lonely_headings, overflows


def golden(scope: Scope) -> Any:
    r = rounds()
    return scope_round(r["2021-11"], r["2021-03"], scope)


def test_an_organisation_gets_its_domains_todos_and_changes() -> None:
    scoped = golden(Scope("organisation", "gemeente a"))  # any letter case
    assert {r.domain for r in scoped.rows} == {"gem-a.nl", "gem-b.nl"}
    todo = {(t.domain, t.kind, t.column): t for t in scoped.todos}
    assert set(todo) == {("gem-b.nl", "web", c) for c in ("dnssec", "hsts", "ipv6_webserver",
                                                          "ipv6_web")} | {
        ("gem-b.nl", "mail", c) for c in ("dmarc_policy", "dnssec_mx", "dane",
                                          "ipv6_mailserver", "ipv6_mail")}
    assert todo[("gem-b.nl", "web", "hsts")].advice["nl"].startswith("Stuur de header")
    # previous round (IPv6 mail only): gem-a.nl's ipv6_mail failed then, passed now
    changes = {(c.domain, c.column): c for c in scoped.changes}
    assert changes[("gem-a.nl", "ipv6_mail")].better is True
    assert changes[("gem-a.nl", "ipv6_mailserver")].better is None  # now not tested
    assert ("gem-b.nl", "ipv6_mail") not in changes  # failed both times
    # the scope's own figures: ipv6_mail 1 of 2 now, 0 of 2 before
    mail = scoped.current.kinds["mail"].adoption["all"]["ipv6_mail"]
    assert (mail.compliant, mail.counted) == (1, 2)
    assert scoped.previous is not None


def test_an_umbrella_gets_its_laggards_per_organisation() -> None:
    scoped = golden(Scope("umbrella", "VNG"))
    assert {o.organisation for orgs in scoped.laggards.values() for o in orgs} == {
        "Gemeente A", "Gemeente B"}
    assert {r.organisation for r in scoped.rows} == {"Gemeente A", "Gemeente B"}
    html = render_scope_html(scoped, "en")
    assert "Umbrella organisation: VNG" in html and "Laggards per organisation" in html
    assert "Change since the previous round" in html and "rijk-a.nl" not in html


def test_a_parent_holds_its_own_and_its_organisations_domains() -> None:
    current = wide_round(3, 24)
    scoped = scope_round(current, wide_round(2, 24), Scope("parent", MINISTRIES[1]))
    expected = {r.domain for r in current.rows if r.parent == MINISTRIES[1]}
    assert {r.domain for r in scoped.rows} == expected and expected


def test_an_unknown_name_is_one_line_with_close_names() -> None:
    with pytest.raises(ScopeError, match="no umbrella 'VGN' in this round; did you mean 'VNG'"):
        golden(Scope("umbrella", "VGN"))


def test_the_workbook_has_statuses_as_words_and_its_sheets() -> None:
    scoped = golden(Scope("umbrella", "VNG"))
    book = load_workbook(io.BytesIO(render_scope(scoped, "xlsx", "nl")))
    assert book.sheetnames == ["Cijfers", "Web", "Mail", "Wat te doen", "Veranderingen",
                               "Achterblijvers"]
    web = book["Web"]
    assert web.freeze_panes == "B2" and web.auto_filter.ref
    header = [c.value for c in web[1]]
    row = {h: c for h, c in zip(header, next(r for r in web.iter_rows(min_row=2)
                                             if r[0].value == "gem-b.nl"), strict=True)}
    assert row["DNSSEC"].value == "gezakt" and row["DNSSEC"].fill.fgColor.rgb.endswith("F6D3D3")
    assert row["Koepel"].value == "VNG"


def test_the_scope_pdf_fits_the_page() -> None:
    from weasyprint import HTML

    current = wide_round(3, 36)
    scoped = scope_round(current, wide_round(2, 36), Scope("umbrella", "Manifestgroep"))
    document = HTML(string=render_scope_html(scoped, "nl")).render()
    assert overflows(document) == [] and broken_words(document) == []
    assert lonely_headings(document) == []


def test_the_command_writes_an_umbrella_and_an_organisation_report(
        database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("METING_DATABASE", database)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["report", "--round", "2021-11", "--umbrella", "vng"])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "report-2021-11-vng.html").read_text()
    assert "Koepelorganisatie: vng" in html and "gem-c.nl" in html and "ws-a.nl" not in html
    out = tmp_path / "a.xlsx"
    result = CliRunner().invoke(app, ["report", "--round", "2021-11", "--organisation",
                                      "Gemeente A", "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Achterblijvers" not in load_workbook(out).sheetnames  # one organisation
    result = CliRunner().invoke(app, ["report", "--round", "2021-11", "--organisation", "X",
                                      "--umbrella", "VNG"])
    assert result.exit_code == 2 and "give one of" in result.output
    result = CliRunner().invoke(app, ["report", "--round", "2021-11", "--parent", "Nergens"])
    assert result.exit_code == 2 and "no parent 'Nergens'" in result.output
