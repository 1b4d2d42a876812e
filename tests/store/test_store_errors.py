"""Issue #14's table: every failure a user can cause or meet is one clear line and an exit
status (2 bad input or configuration, 1 a failed operation), never a traceback, and leaves
the database as it was. Each case runs on a SQLite file and on a real PostgreSQL server
(the cases about a SQLite file only where PostgreSQL has no such file)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from meting.cli import app
from meting.store import Store

LIST = "organisation,category,domain\nGemeente Goed,gemeente,goed.nl\n"
STATUS_HEADER = "category,domain,reaction,dnssec,hsts\n"
STATUS = STATUS_HEADER + "gemeente,goed.nl,,passed,failed\n"


@dataclass(frozen=True)
class Case:
    name: str
    # (directory, database URL) -> the command's arguments; may prepare files and state
    make: Callable[[Path, str], list[str]]
    code: int
    message: str  # a regular expression the one error line must match
    once: bool = False  # about a SQLite file or the setting itself: run once, on SQLite
    env: tuple[tuple[str, str], ...] = ()


def meting(args: list[str], url: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, args, env={"METING_DATABASE": url,
                                              "METING_CONFIG": "/nonexistent.toml",
                                              "METING_DEBUG": "", **(env or {})})


def registry(tmp: Path, url: str) -> None:
    listed = tmp / "registry.csv"
    listed.write_text(LIST)
    assert meting(["import", str(listed)], url).exit_code == 0


def with_round(tmp: Path, url: str) -> None:
    registry(tmp, url)
    status = tmp / "status.csv"
    status.write_text(STATUS)
    result = meting(["import-results", str(status), "--kind", "web", "--round", "2021-03",
                     "--date", "2021-03-01"], url)
    assert result.exit_code == 0, result.stderr


def results_file(name: str, data: bytes) -> Callable[[Path, str], list[str]]:
    def make(tmp: Path, url: str) -> list[str]:
        registry(tmp, url)
        path = tmp / name
        path.write_bytes(data)
        return ["import-results", str(path), "--kind", "web", "--round", "nieuw"]
    return make


def batch(data: Any) -> bytes:
    return json.dumps(data).encode()


def list_file(text: str, name: str = "list.csv") -> Callable[[Path, str], list[str]]:
    def make(tmp: Path, url: str) -> list[str]:
        path = tmp / name
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
        return ["import", str(path)]
    return make


def latin1_reactions(tmp: Path, url: str) -> list[str]:
    args = results_file("status.csv", STATUS.encode())(tmp, url)
    reactions = tmp / "reactions.csv"
    reactions.write_bytes(b"organisation,text\nGemeente Goed,reactie ontvangen\n"
                          + "Gemeente Goed,één\n".encode("latin-1"))
    return [*args, "--reactions", str(reactions)]


def twice_in_batch(tmp: Path, url: str) -> list[str]:
    ok = {"status": "ok", "results": {"tests": {}, "categories": {}}}
    return results_file("batch.json", batch({"domains": {"goed.nl": ok, "GOED.nl.": ok}}))(
        tmp, url)


def workbook(sheet_xml: bytes) -> Callable[[Path, str], list[str]]:
    """A real workbook whose first sheet is replaced by ``sheet_xml``."""
    def make(tmp: Path, url: str) -> list[str]:
        import openpyxl

        plain = tmp / "plain.xlsx"
        book = openpyxl.Workbook()
        book.active.append(["organisation", "category", "domain"])
        book.save(plain)
        path = tmp / "list.xlsx"
        with zipfile.ZipFile(plain) as source, zipfile.ZipFile(
                path, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                data = source.read(item)
                target.writestr(item, sheet_xml if item.filename.endswith("sheet1.xml")
                                else data)
        return ["import", str(path)]
    return make


SHEET = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
         b'<sheetData>%s</sheetData></worksheet>')
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;")
                                                  * 10) for i in range(1, 10))
          + b']>' + SHEET % b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c>'
          b'</row>')
EXTERNAL = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            + SHEET % b'<row r="1"><c r="A1" t="inlineStr"><is><t>&e;</t></is></c></row>')
ROWS = SHEET % b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>'
                        % (i, i) for i in range(1, 2001))


def report(*extra: str) -> Callable[[Path, str], list[str]]:
    def make(tmp: Path, url: str) -> list[str]:
        with_round(tmp, url)
        return ["report", "--round", "2021-03",
                *(a.replace("TMP", str(tmp)) for a in extra)]
    return make


def sqlite_file(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def damaged(how: Callable[[Path], None]) -> Callable[[Path, str], list[str]]:
    def make(tmp: Path, url: str) -> list[str]:
        with_round(tmp, url)
        how(sqlite_file(url))
        listed = tmp / "more.csv"
        listed.write_text("organisation,category,domain\nGemeente Ander,gemeente,ander.nl\n")
        return ["import", str(listed)]
    return make


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])


def corrupt_pages(path: Path) -> None:
    # the last connection closed has checkpointed the WAL into the file
    data = bytearray(path.read_bytes())
    page = 4096
    for start in range(page, len(data) - page, page * 2):
        data[start:start + 600] = os.urandom(600)  # b-tree page headers and cell pointers
    path.write_bytes(bytes(data))


def not_sqlite(path: Path) -> None:
    path.write_text("organisation,category,domain\n")


def unknown_revision(tmp: Path, url: str) -> list[str]:
    with_round(tmp, url)
    with Store.open(url) as store, store.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'zz99'")
    return ["rounds"]


def immutable(tmp: Path, url: str) -> list[str]:
    args = damaged(lambda path: None)(tmp, url)
    path = sqlite_file(url)
    for extra in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if extra.exists():
            subprocess.run(["chattr", "+i", str(extra)], check=True)
    return args


def postgres_down(tmp: Path, url: str) -> list[str]:
    return ["rounds"]


def full_disk(tmp: Path, url: str) -> list[str]:
    with_round(tmp, url)
    full = tmp / "full"
    full.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(full)], check=True)
    filler = os.open(full / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(filler, b"\0" * 1024):
            pass
    except OSError:
        pass
    finally:
        os.close(filler)
    return ["report", "--round", "2021-03", "--format", "json", "--out",
            str(full / "figures.json")]


CASES = [
    # import-results: Internet.nl JSON of an unexpected shape, and text it cannot read
    Case("batch domain entry a string", results_file("b.json", batch({"domains": {
        "goed.nl": "ok"}})), 2, r"domains\['goed\.nl'\]: expected an object with status and "
        r"results, not str"),
    Case("batch top-level list", results_file("b.json", batch([1, 2])), 2,
         r"the file has no 'domains' object"),
    Case("batch top-level string", results_file("b.json", batch("domains")), 2,
         r"the file has no 'domains' object"),
    Case("batch results a list", results_file("b.json", batch({"domains": {"goed.nl": {
        "status": "ok", "results": []}}})), 2, r"'results' is a list, not an object"),
    Case("batch tests a list", results_file("b.json", batch({"domains": {"goed.nl": {
        "status": "ok", "results": {"tests": []}}}})), 2,
         r"'results\.tests' is a list, not an object"),
    Case("100,000 nested brackets", results_file("b.json", b"[" * 100_000 + b"]" * 100_000),
         2, r"b\.json is nested too deeply to be Internet\.nl batch results"),
    Case("Latin-1 in a status CSV", results_file("s.csv", STATUS_HEADER.encode()
                                                  + "gemeente,goed.nl,,passé,\n".encode(
                                                      "latin-1")), 2,
         r"nothing imported: .*s\.csv line 2, byte 23: not valid utf-8 \(byte 0xe9\).*--encoding"),
    Case("Latin-1 in batch JSON", results_file("b.json", '{"domains": {"goed.nl": '
                                                '{"status": "é"}}}'.encode("latin-1")), 2,
         r"b\.json line 1, byte 37: not valid utf-8"),
    Case("Latin-1 in a reactions CSV", latin1_reactions, 2,
         r"reactions\.csv line 3, byte 15: not valid utf-8"),
    Case("a CSV cell over 131,072 characters", results_file(
        "s.csv", (STATUS_HEADER + "gemeente,goed.nl,,\"" + "x" * 140_000 + "\",\n").encode()),
         2, r"line 2: not readable as CSV \(field larger than field limit"),
    Case("domains given twice", twice_in_batch, 2,
         r"nothing imported: domains given twice: goed\.nl"),
    Case("a header-only status file", results_file("s.csv", STATUS_HEADER.encode()), 2,
         r"the file has no rows under its header line"),
    # import: workbooks the XML parser refuses, workbooks over the limits, names
    Case("XLSX billion laughs", workbook(LAUGHS), 2,
         r"list\.xlsx: the sheet's XML is refused|not a readable XLSX workbook"),
    Case("XLSX external entity", workbook(EXTERNAL), 2,
         r"list\.xlsx: the sheet's XML is refused|not a readable XLSX workbook"),
    Case("XLSX unpacking over the limit", workbook(ROWS), 2,
         r"list\.xlsx unpacks to [\d,]+ bytes, more than the 20,000 allowed "
         r"\(setting max_xlsx_bytes\)", env=(("METING_MAX_XLSX_BYTES", "20000"),)),
    Case("XLSX over the cell limit", workbook(ROWS), 2,
         r"nothing imported: list\.xlsx has more than 1,000 cells \(setting max_xlsx_cells\)",
         env=(("METING_MAX_XLSX_CELLS", "1000"),)),
    Case("a list over the size limit", list_file(LIST * 50), 2,
         r"list\.csv has [\d,]+ bytes, more than the 100 allowed",
         env=(("METING_MAX_FILE_BYTES", "100"),)),
    Case("a header-only list", list_file("organisation,category,domain\n"), 2,
         r"nothing imported: .*list\.csv has no rows with a domain under its header"),
    Case("NUL in an organisation name", list_file(
        "organisation,category,domain\nGemeente\x00Goed,gemeente,goed.nl\n"), 2,
         r"nothing imported: 1 error\(s\)"),
    Case("a name longer than the column", list_file(
        f"organisation,category,domain\n{'G' * 301},gemeente,goed.nl\n"), 2,
         r"nothing imported: 1 error\(s\)"),
    Case("a list mixing UTF-8 and Latin-1", list_file(
        LIST + "Gemeente \udcc4nder,gemeente,ander.nl\n"), 2,
         r"list\.csv line 3, byte 10: not valid utf-8 \(byte 0xc4\)"),
    Case("a round label with NUL", lambda tmp, url: [*results_file("s.csv", STATUS.encode())(
        tmp, url)[:-1], "nieuw\x00"], 2,
         r"--round: the round label holds a NUL character"),
    Case("a round label longer than the column", lambda tmp, url: [*results_file(
        "s.csv", STATUS.encode())(tmp, url)[:-1], "x" * 101], 2,
         r"--round: the round label has 101 characters, more than the 100 allowed"),
    # report and the command line
    Case("report into a missing directory", report("--out", "TMP/nowhere/r.html"), 2,
         r"--out .*nowhere/r\.html: there is no directory .*nowhere; make it first"),
    Case("report onto a directory", report("--out", "TMP"), 2,
         r"--out .* is a directory; name a file in it"),
    Case("format contradicting --out", report("--format", "json", "--out", "TMP/x.pdf"), 2,
         r"--format json contradicts --out .*x\.pdf \(a pdf name\)"),
    Case("unknown round", lambda tmp, url: (with_round(tmp, url), [
        "rejudge", "--round", "demo"])[1], 2, r"no round 'demo'; `meting rounds` lists"),
    Case("report without a database", lambda tmp, url: ["report", "--round", "1"], 2,
         r"there is no database .*meting\.db", once=True),
    # the database itself
    Case("a truncated database file", damaged(truncate), 1,
         r"the database file is damaged|not a meting \(SQLite\) database", once=True),
    Case("a database with corrupted pages", damaged(corrupt_pages), 1,
         r"the database file.* is damaged|not a meting \(SQLite\) database",
         once=True),
    Case("a new round on a database with corrupted pages", lambda tmp, url: [
        "run", "--label", "nieuw"] if damaged(corrupt_pages)(tmp, url) else [], 1,
         r"the database file.* is damaged", once=True),
    Case("a file that is no SQLite database", damaged(not_sqlite), 1,
         r"the database file is not a meting \(SQLite\) database", once=True),
    Case("an immutable database file", immutable, 1,
         r"the database is read-only|cannot be opened", once=True),
    Case("an unknown migration revision", unknown_revision, 1,
         r"the database's schema is unknown to this meting \(.*zz99.*\)"),
    Case("a full disk", full_disk, 1,
         r"figures\.json: the report was not written: No space left on device",
         once=True),
    Case("a malformed database URL", postgres_down, 2,
         r"the database setting \('not a url', METING_DATABASE\) is not a database URL",
         env=(("METING_DATABASE", "not a url"),), once=True),
    Case("an unreachable PostgreSQL", postgres_down, 1,
         r"cannot reach the database \(.*\); check that the server runs",
         env=(("METING_DATABASE", "postgresql://meting@/meting?host=/nonexistent"),),
         once=True),
]


def snapshot(url: str) -> Any:
    """What the database holds, as the user sees it; a damaged SQLite file's bytes."""
    try:
        with Store.open(url, create=False) as store:
            return ([(r.label, r.state, r.planned, r.done) for r in store.rounds()],
                    store.export_entries(), [store.reactions(r.id) for r in store.rounds()])
    except Exception:
        path = sqlite_file(url)
        return path.read_bytes() if path.exists() else None


@pytest.fixture
def cleanup(tmp_path: Path) -> Iterator[None]:
    yield
    full = tmp_path / "full"
    if full.is_mount():
        subprocess.run(["umount", str(full)], check=True)
    for path in tmp_path.glob("meting.db*"):
        subprocess.run(["chattr", "-i", str(path)], check=False)


def check(case: Case, url: str, tmp_path: Path) -> None:
    args = case.make(tmp_path, url)
    before = snapshot(url)
    result = meting(args, url, dict(case.env))
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.output + result.stderr
    assert result.exit_code == case.code, result.stderr
    assert lines and lines[-1].startswith("error: "), result.stderr
    assert re.search(case.message, lines[-1]), lines[-1]
    for path in tmp_path.glob("meting.db*"):
        subprocess.run(["chattr", "-i", str(path)], check=False)
    assert snapshot(url) == before


EVERY_DATABASE = [c for c in CASES if not c.once]
ONCE = [c for c in CASES if c.once]


@pytest.mark.parametrize("case", EVERY_DATABASE, ids=[c.name for c in EVERY_DATABASE])
def test_each_failure_is_one_line_and_changes_nothing(
        case: Case, store_url: str, tmp_path: Path, cleanup: None) -> None:
    check(case, store_url, tmp_path)


@pytest.mark.parametrize("case", ONCE, ids=[c.name for c in ONCE])
def test_each_failure_of_a_file_or_setting(case: Case, tmp_path: Path, cleanup: None) -> None:
    check(case, f"sqlite:///{tmp_path / 'meting.db'}", tmp_path)


def test_a_reading_command_makes_no_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'meting.db'}"
    for args in (["report", "--round", "1"], ["rounds"], ["export", str(tmp_path / "x.csv")],
                 ["rejudge", "--round", "1"]):
        result = meting(args, url)
        assert result.exit_code == 2 and "there is no database" in result.stderr, args
    assert list(tmp_path.iterdir()) == []


def test_debug_shows_the_traceback() -> None:
    env = {"METING_DATABASE": "postgresql://meting@/meting?host=/nonexistent",
           "METING_CONFIG": "/nonexistent.toml"}
    result = CliRunner().invoke(app, ["--debug", "rounds"], env=env)
    assert result.exception is not None and not isinstance(result.exception, SystemExit)
    result = CliRunner().invoke(app, ["rounds"], env={**env, "METING_DEBUG": "1"})
    assert result.exception is not None and not isinstance(result.exception, SystemExit)


def test_uploaded_workbooks_are_read_through_defusedxml() -> None:
    """openpyxl picks its XML parser when imported: defusedxml if installed, lxml if
    installed. Uploads must stay on defusedxml (no entity expansion, no external entities)."""
    from openpyxl.worksheet import _reader
    from openpyxl.xml import DEFUSEDXML, LXML, functions

    assert DEFUSEDXML and not LXML
    for parse in (functions.fromstring, functions.iterparse, _reader.iterparse):
        assert parse.__module__.startswith("defusedxml"), parse
