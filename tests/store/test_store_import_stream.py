"""`meting import` reads a list row by row and stages it in the database (issue #14): a
bad row anywhere, also the last of thousands or one beyond the problems shown, imports
nothing; the checks across rows still hold over the staged rows; and the staged import
stores what the import of a list read whole stores. On SQLite and on PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from typer.testing import CliRunner, Result

from meting.cli import app
from meting.registry.entry import ListEntry
from meting.registry.problems import Problems
from meting.store import ImportSummary, Store

from .test_store_registry import ENTRIES, _without_lines

HEADER = "organisation,category,domain,sets\n"


def meting(args: list[str], url: str) -> Result:
    return CliRunner().invoke(app, args, env={"METING_DATABASE": url,
                                              "METING_CONFIG": "/nonexistent.toml",
                                              "METING_DEBUG": ""})


def rows(count: int, start: int = 0) -> str:
    """``count`` good rows: organisations of five domains."""
    return "".join(f"Gemeente {n // 5:05d},gemeente,domein-{n:05d}.nl,breed\n"
                   for n in range(start, start + count))


def exported(tmp_path: Path, url: str) -> str:
    out = tmp_path / "out.csv"
    result = meting(["export", str(out)], url)
    assert result.exit_code == 0, result.stderr
    return out.read_text("utf-8-sig")


def registry(tmp_path: Path, url: str) -> None:
    first = tmp_path / "first.csv"
    first.write_text(HEADER + rows(10))
    assert meting(["import", str(first)], url).exit_code == 0


def test_a_bad_last_row_of_2000_imports_nothing(store_url: str, tmp_path: Path) -> None:
    registry(tmp_path, store_url)
    before = exported(tmp_path, store_url)
    listed = tmp_path / "list.csv"
    # the first 10 rows again, now in another set (an update), 1,989 new rows, one bad row
    listed.write_text(HEADER + rows(10).replace(",breed", ",kern") + rows(1989, 10)
                      + "Gemeente Fout,geen-categorie,fout.nl,breed\n")
    result = meting(["import", str(listed)], store_url)
    assert result.exit_code == 2
    assert "error: line 2001, column category: unknown category 'geen-categorie'" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: nothing imported: 1 error(s)")
    assert exported(tmp_path, store_url) == before


def test_a_problem_beyond_those_shown_still_blocks_the_import(store_url: str,
                                                             tmp_path: Path) -> None:
    registry(tmp_path, store_url)
    before = exported(tmp_path, store_url)
    listed = tmp_path / "list.csv"
    bad = "".join(f"Gemeente Fout,gemeente,www.fout-{n}.nl,breed\n" for n in range(450))
    listed.write_text(HEADER + rows(1000) + bad)
    result = meting(["import", str(listed)], store_url)
    assert result.exit_code == 2
    shown = [line for line in result.stderr.splitlines() if line.startswith("error: line")]
    assert len(shown) == 200
    assert shown[0].startswith("error: line 1002, column domain: 'www.fout-0.nl' is a web host")
    assert "error: and 250 more errors" in result.stderr
    assert "nothing imported: 450 error(s)" in result.stderr
    assert exported(tmp_path, store_url) == before


def test_checks_across_rows_hold_over_the_staged_rows(store_url: str, tmp_path: Path) -> None:
    listed = tmp_path / "list.csv"
    listed.write_text(HEADER + rows(1500) + "Gemeente Anders,gemeente,domein-00001.nl,breed\n"
                      + "gemeente  00002,provincie,nog-een.nl,breed\n")
    result = meting(["import", str(listed)], store_url)
    assert result.exit_code == 2
    assert ("error: line 1502: domain domein-00001.nl is on line 3 for 'Gemeente 00000' and "
            "here for 'Gemeente Anders'") in result.stderr
    assert ("error: line 1503: organisation 'gemeente 00002' has category 'gemeente' on line "
            "12 and 'provincie' here") in result.stderr
    good = meting(["import", str(listed), "--good-rows"], store_url)
    assert good.exit_code == 0, good.stderr
    # the domain given twice is dropped whole; so are the rows of the organisation in conflict
    assert "imported 1494 domain(s)" in good.stdout
    assert "the rows named in the 2 error(s) were left out" in good.stdout


def test_a_bad_byte_on_the_last_line_imports_nothing(store_url: str, tmp_path: Path) -> None:
    registry(tmp_path, store_url)
    before = exported(tmp_path, store_url)
    listed = tmp_path / "list.csv"
    listed.write_bytes((HEADER + rows(3000)).encode() + b"Gemeente \xc4nder,gemeente,a.nl,\n")
    result = meting(["import", str(listed)], store_url)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1].startswith(
        f"error: nothing imported: {listed} line 3002, byte 10: not valid utf-8 (byte 0xc4)")
    assert exported(tmp_path, store_url) == before


def staged(store: Store, entries: list[ListEntry]) -> ImportSummary:
    problems = Problems()
    result = store.import_list(((e, True) for e in entries), problems, good_rows=False)
    assert problems.error_count == 0 and result.summary is not None
    return result.summary


def test_the_staged_import_stores_what_the_whole_import_stores(store: Store) -> None:
    summary = staged(store, ENTRIES)
    assert (summary.organisations_added, summary.domains_added, summary.sets_added) == (2, 4, 2)
    assert _without_lines(store.export_entries()) == _without_lines(ENTRIES)
    again = staged(store, ENTRIES)
    assert (again.added, again.updated) == (0, 0)
    newer = [replace(ENTRIES[0], web_host=None, sets=("breed",), line=2),
             replace(ENTRIES[2], umbrella="Manifestgroep", line=3),
             replace(ENTRIES[3], mail=False, umbrella="Manifestgroep", line=4),
             replace(ENTRIES[1], organisation="GEMEENTE  voorbeeld", line=5)]
    summary = staged(store, newer)
    assert (summary.organisations_updated, summary.domains_updated, summary.added) == (1, 2, 0)
    by_domain = {e.domain: e for e in store.export_entries()}
    assert by_domain["voorbeeld.nl"].web_host is None
    assert by_domain["voorbeeld.nl"].sets == ("breed",)
    assert by_domain["xn--bcher-kva.nl"].mail is False
    assert by_domain["minvb.nl"].umbrella == "Manifestgroep"
    assert by_domain["voorbeeld-mail.nl"].organisation == "Gemeente Voorbeeld"  # as stored
    assert store.domain_sets() == {"breed": 3, "kerndomeinen": 1}
