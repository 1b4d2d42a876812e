"""The standards register: the one source of the agreements, checked when loaded, as lists
in and out, and shown by `meting standards`."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path, PurePath

import pytest
from typer.testing import CliRunner

from meting import standards
from meting.analysis.analysis import analysis_json
from meting.analysis.rules import columns
from meting.cli import app
from meting.norms.schema import read
from meting.report.html import render_html
from meting.standards.lists import export_lists, import_lists
from meting.standards.schema import Register
from tests.unit.report_data import hostile_analysis

BEFORE = Path(__file__).parent / "data" / "agreements-before-18.json"
TEXT = (Path(standards.__file__).parent / "data" / "standards.yaml").read_text("utf-8")


def test_the_agreements_table_is_as_before_the_register() -> None:
    """agreements-before-18.json was written by the code before the deadlines moved from
    norms/columns.yaml into the register (commit fc5620d); the same analysis and report must
    give the same columns, agreements, laggards, fully compliant and table, in nl and en."""
    before = json.loads(BEFORE.read_text("utf-8"))
    a = hostile_analysis()
    data = analysis_json(a)
    now = {k: [dataclasses.asdict(c) for c in v] for k, v in columns().items()}
    assert json.loads(json.dumps(now, default=str)) == before["columns"]
    assert data["agreements"] == before["agreements"]
    assert data["laggards"] == before["laggards"]
    assert data["fully_compliant"] == before["fully_compliant"]
    for lang in ("nl", "en"):
        found = re.search(r'<h2 id="background">.*?</table>', render_html(a, lang), re.S)
        assert found is not None and found.group(0) == before[f"table_{lang}"]


def test_the_register_drives_the_agreements() -> None:
    """A deadline changed in the register is the deadline the analysis uses."""
    register = standards.register()
    changed = register.model_copy(update={"agreements": [
        a.model_copy(update={"deadline": 2030}) if a.column == "dnssec" else a
        for a in register.agreements]})
    standards.register.cache_clear()
    columns.cache_clear()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(standards, "register", lambda: changed)
            web = {c.column: c for c in columns()["web"]}
            assert web["dnssec"].deadline == 2030 and web["hsts"].deadline == 2018
    finally:
        columns.cache_clear()
    assert {c.column: c for c in columns()["web"]}["dnssec"].deadline == 2017


def test_the_measured_standards_of_the_list() -> None:
    register = standards.register()
    assert [s.id for s in register.standards] == [
        "ipv6", "dnssec", "https_hsts", "tls_ncsc", "spf", "dkim", "dmarc", "starttls_dane",
        "rpki", "security_txt"]
    assert all(s.on_list == "pas_toe_of_leg_uit" and s.sources for s in register.standards)
    txt = register.standard("security_txt")
    assert txt is not None and str(txt.admitted) == "2023-05-25"
    assert txt.step("obdo_decision") is not None and txt.review_for_new_version() == "light"
    web = {a.column: a for a in register.agreements if a.kind == "web"}
    for column in ("tls_available", "tls_ncsc_web", "https_redirect", "hsts"):
        legal = web[column].legal
        assert legal is not None and legal.since.isoformat() == "2023-07-01"
        assert "Wet digitale overheid" in legal.law and legal.source.startswith("https://")
    assert (web["rpki_web"].deadline, web["rpki_web"].in_table) == (2024, True)
    assert web["security_txt"].listed_since == 2023 and web["security_txt"].deadline is None


@pytest.mark.parametrize(("old", "new", "message"), [
    ("{standard: dnssec,        kind: web,  column: dnssec,", "{standard: dns, kind: web, "
     "column: dnssec,", "agreements: web/dnssec names standard 'dns', which the register lacks"),
    ("  - id: dkim\n", "  - id: dmarc\n", "standards: an id occurs twice (dmarc)"),
    ("    list: pas_toe_of_leg_uit\n", "    list: verplicht\n",
     "standards[0].list: expected 'pas_toe_of_leg_uit' or 'aanbevolen'"),
    ("{step: intake, date: 2011-10-26", "{step: forum_advice, date: 2011-10-26",
     "procedure: each step at most once, in the order"),
])
def test_register_mistakes_are_named(old: str, new: str, message: str) -> None:
    assert old in TEXT
    with pytest.raises(standards.RegisterError, match=re.escape(message)):
        read(PurePath("standards.yaml"), TEXT.replace(old, new, 1), Register)


def test_an_agreement_on_an_unknown_column(tmp_path: Path) -> None:
    path = tmp_path / "register.yaml"
    path.write_text(TEXT.replace("column: dane,", "column: danish,"), "utf-8")
    with pytest.raises(standards.RegisterError, match="mail/danish is not a report column"):
        standards.load_file(path)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_lists_round_trip(tmp_path: Path, suffix: str) -> None:
    register = standards.register()
    s, a = tmp_path / f"standards{suffix}", tmp_path / f"agreements{suffix}"
    export_lists(register, s, a)
    found = import_lists(s, a, "register.yaml", register.version)
    assert found.problems == () and found.register is not None
    assert found.register.standards == register.standards
    assert found.register.agreements == register.agreements


def test_bad_lists_give_line_numbered_problems_and_no_register(tmp_path: Path) -> None:
    s, a = tmp_path / "standards.csv", tmp_path / "agreements.csv"
    export_lists(standards.register(), s, a)
    rows = s.read_text("utf-8-sig").splitlines()
    rows[2] = rows[2].replace("pas_toe_of_leg_uit", "verplicht", 1)  # line 3: dnssec
    s.write_text("\n".join(rows) + "\n", "utf-8")
    rows = a.read_text("utf-8-sig").splitlines()
    rows[4] = rows[4].replace(",2018,", ",eind 2018,", 1)  # line 5: https_redirect
    rows[5] = rows[5].replace(",yes,", ",misschien,", 1)  # line 6: hsts
    a.write_text("\n".join(rows) + "\n", "utf-8")
    found = import_lists(s, a, "register.yaml", "1")
    assert found.register is None
    assert [str(p) for p in found.problems] == [
        "standards.csv: line 3: list: expected 'pas_toe_of_leg_uit' or 'aanbevolen' "
        "(found 'verplicht')",
        "agreements.csv: line 5: deadline: expected a valid integer, unable to parse string "
        "as an integer (found 'eind 2018')",
        "agreements.csv: line 6: streefbeeld: expected yes or no (found 'misschien')",
    ]
    out = tmp_path / "register.yaml"
    result = CliRunner().invoke(app, ["standards", "import", str(s), str(a), "--out", str(out)])
    assert result.exit_code == 2 and "nothing written: 3 problem(s)" in result.output
    assert not out.exists()


def test_import_writes_a_register_that_loads(tmp_path: Path) -> None:
    s, a, out = tmp_path / "s.xlsx", tmp_path / "a.xlsx", tmp_path / "register.yaml"
    runner = CliRunner()
    assert runner.invoke(app, ["standards", "export", str(s), str(a)]).exit_code == 0
    result = runner.invoke(app, ["standards", "import", str(s), str(a), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert standards.load_file(out).agreements == standards.register().agreements


def test_standards_list_and_show() -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["standards", "list"], env={"COLUMNS": "250"})
    assert listed.exit_code == 0, listed.output
    assert "STARTTLS en DANE" in listed.output and "pas toe of leg uit" in listed.output
    assert "Mail: DANE (eind 2019)" in listed.output
    shown = runner.invoke(app, ["standards", "show", "security_txt", "--lang", "en"],
                          env={"COLUMNS": "250"})
    assert shown.exit_code == 0, shown.output
    assert "OBDO decision" in shown.output and "2023-05-25" in shown.output
    assert "light procedure" in shown.output
    unknown = runner.invoke(app, ["standards", "show", "odf"])
    assert unknown.exit_code == 2 and "no standard 'odf'" in unknown.output


def test_version_steward_and_sources_are_read_in_the_language_asked() -> None:
    runner = CliRunner()
    shown = {lang: runner.invoke(app, ["standards", "show", "tls_ncsc", "--lang", lang],
                                 env={"COLUMNS": "250"}).output for lang in ("nl", "en")}
    assert "IETF; richtlijnen NCSC" in shown["nl"] and "NCSC guidelines" not in shown["nl"]
    assert "IETF; NCSC guidelines" in shown["en"] and "richtlijnen" not in shown["en"]
    assert "ingesteld volgens" not in shown["en"]


def test_english_sources_in_a_list_go_one_to_one_with_the_dutch(tmp_path: Path) -> None:
    s, a = tmp_path / "standards.csv", tmp_path / "agreements.csv"
    export_lists(standards.register(), s, a)
    text = s.read_text("utf-8-sig")
    assert "(consultation until 12 March) and May 2023 (admitted)" in text
    s.write_text(text.replace(" | dutchitchannel.nl, 31 May 2023: added to the list as of "
                              "25 May 2023", ""), "utf-8")
    found = import_lists(s, a, "register.yaml", "1")
    assert found.register is None
    assert [str(p) for p in found.problems] == [
        "standards.csv: line 11: sources_en: 2 source(s) where sources has 3; give each "
        "source in English, in the same order"]
