"""`meting import` and `meting export` end to end: a list file into the store and out again."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from meting.registry.lists import ListEntry, read_list
from tests.unit.cli_support import meting, store_env

GOOD = """organisatie;categorie;domein;webhost;mail;koepel;dienstverlener;sets
Gemeente Bücherstad;Gemeenten;bücher.nl;mijn.bücher.nl;ja;;ICT Noord;kern, breed
Gemeente Bücherstad;Gemeenten;bücherstad.nl;geen;ja;;;breed
Ministerie van Lab;Rijk;lab-ministerie.nl;;nee;;;kern
"""

BAD = """organisation,category,domain,web_host,mail,umbrella,sets
Gemeente Goed,gemeente,goed.nl,,,,kern
Gemeente Fout,gemeente,https://www.fout.nl/,,,,kern
Gemeente Fout,gemeente,fout.nl,,misschien,,kern
Ministerie X,rijk,gedeeld.nl,,,,kern
Ministerie Y,rijk,gedeeld.nl,,,,kern
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return store_env(tmp_path)


def comparable(entries: tuple[ListEntry, ...]) -> set[ListEntry]:
    """Entries without what the store need not keep: line numbers and the order of sets."""
    return {replace(e, line=0, sets=tuple(sorted(e.sets))) for e in entries}


def test_import_then_export_gives_the_list_back(tmp_path: Path, env: dict[str, str]) -> None:
    source = tmp_path / "lijst.csv"
    source.write_text(GOOD, encoding="utf-8")
    imported = meting("import", str(source), env=env)
    assert imported.exit_code == 0, imported.stderr
    assert "imported 3 domain(s)" in imported.stdout
    for name in ("export.csv", "export.xlsx"):
        exported = meting("export", str(tmp_path / name), env=env)
        assert exported.exit_code == 0, exported.stderr
        assert "exported 3 domain(s)" in exported.stdout
        back = read_list(tmp_path / name)
        assert back.errors == ()
        assert comparable(back.entries) == comparable(read_list(source).entries)
    assert "bücher.nl" in (tmp_path / "export.csv").read_text("utf-8-sig")


def test_export_of_one_set(tmp_path: Path, env: dict[str, str]) -> None:
    source = tmp_path / "lijst.csv"
    source.write_text(GOOD, encoding="utf-8")
    assert meting("import", str(source), env=env).exit_code == 0
    assert meting("export", str(tmp_path / "kern.csv"), "--set", "Kern", env=env).exit_code == 0
    assert sorted(e.domain for e in read_list(tmp_path / "kern.csv").entries) == [
        "lab-ministerie.nl", "xn--bcher-kva.nl"]
    unknown = meting("export", str(tmp_path / "x.csv"), "--set", "nergens", env=env)
    assert unknown.exit_code == 2
    assert "no domain set 'nergens'" in unknown.stderr
    assert not (tmp_path / "x.csv").exists()


def test_a_list_with_errors_imports_nothing(tmp_path: Path, env: dict[str, str]) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(BAD, encoding="utf-8")
    result = meting("import", str(source), env=env)
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: line")]
    assert [line.split(":")[1] for line in errors] == [
        " line 3, column domain", " line 4, column mail", " line 6"]
    assert "is a web address; give the domain name only, e.g. fout.nl" in errors[0]
    assert "'misschien' is not yes or no" in errors[1]
    assert "gedeeld.nl is on line 5 for 'Ministerie X' and here for 'Ministerie Y'" in errors[2]
    assert "nothing imported: 3 error(s)" in result.stderr
    exported = meting("export", str(tmp_path / "out.csv"), env=env)
    assert exported.exit_code == 2  # nothing was stored: not even an empty database
    assert "there is no database" in exported.stderr
    assert not (tmp_path / "out.csv").exists()


def test_good_rows_imports_the_rest(tmp_path: Path, env: dict[str, str]) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(BAD, encoding="utf-8")
    result = meting("import", str(source), "--good-rows", env=env)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("error: line") == 3
    assert "imported 1 domain(s)" in result.stdout
    assert meting("export", str(tmp_path / "out.csv"), env=env).exit_code == 0
    assert [e.domain for e in read_list(tmp_path / "out.csv").entries] == ["goed.nl"]


def test_files_that_are_no_list(tmp_path: Path, env: dict[str, str]) -> None:
    absent = meting("import", str(tmp_path / "absent.csv"), env=env)
    assert absent.exit_code == 2
    assert "No such file" in absent.stderr
    wrong = meting("export", str(tmp_path / "out.txt"), env=env)
    assert wrong.exit_code == 2
    assert ".csv or .xlsx" in wrong.stderr


def test_a_domain_of_another_stored_organisation_imports_nothing(
        tmp_path: Path, env: dict[str, str]) -> None:
    first = tmp_path / "first.csv"
    first.write_text("organisation,category,domain\nGemeente A,gemeente,a.nl\n")
    assert meting("import", str(first), env=env).exit_code == 0
    second = tmp_path / "second.csv"
    second.write_text("organisation,category,domain\nGemeente B,gemeente,b.nl\n"
                      "Gemeente B,gemeente,a.nl\n")
    result = meting("import", str(second), env=env)
    assert result.exit_code == 2
    assert "nothing imported" in result.stderr
    assert "a.nl: Gemeente A and Gemeente B" in result.stderr
    assert meting("export", str(tmp_path / "out.csv"), env=env).exit_code == 0
    assert [(e.organisation, e.domain) for e in read_list(tmp_path / "out.csv").entries] == [
        ("Gemeente A", "a.nl")]


def test_a_list_broken_on_every_row_is_not_printed_whole(tmp_path: Path,
                                                         env: dict[str, str]) -> None:
    source = tmp_path / "bad.csv"
    source.write_text("organisation,category,domain\n"
                      + "".join(f"Org {n},gemeente,https://d{n}.nl/\n" for n in range(250)))
    result = meting("import", str(source), env=env)
    assert result.exit_code == 2
    assert result.stderr.count("error: line") == 200
    assert "error: and 50 more errors" in result.stderr
    assert "nothing imported: 250 error(s)" in result.stderr
