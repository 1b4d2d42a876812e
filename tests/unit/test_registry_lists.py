"""Registry list files: reading CSV and XLSX, every bad row reported where the user sees it."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from meting.lab.lab import write_registry
from meting.lab.plan import build_plan
from meting.registry.lists import (
    ListEntry,
    ListFileError,
    Problem,
    read_list,
    write_list,
)

HEADER = "organisation,category,domain,web_host,mail,umbrella,sets\n"


def csv_file(tmp_path: Path, text: str, name: str = "list.csv",
             encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def entry(line: int, organisation: str, category: str, domain: str, **more: object) -> ListEntry:
    fields: dict[str, object] = {"web": True, "web_host": None, "mail": True,
                                 "umbrella": None, "provider": None, "sets": ()}
    fields.update(more)
    return ListEntry(line, organisation, category, domain, **fields)  # type: ignore[arg-type]


def test_good_csv(tmp_path: Path) -> None:
    path = csv_file(tmp_path, HEADER
                    + "Ministerie van Financiën,rijk,Rijksoverheid.NL.,,yes,CIO Rijk,kern;breed\n"
                    + "Gemeente Utrecht,gemeente,utrecht.nl,mijn.utrecht.nl,no,,breed\n"
                    + "Waterschap Aa,waterschap,aa.nl,geen,ja,UvW,\n")
    listed = read_list(path)
    assert listed.errors == ()
    assert listed.warnings == ()
    assert listed.entries == (
        entry(2, "Ministerie van Financiën", "rijk", "rijksoverheid.nl", umbrella="CIO Rijk",
              sets=("kern", "breed")),
        entry(3, "Gemeente Utrecht", "gemeente", "utrecht.nl", web_host="mijn.utrecht.nl",
              mail=False, umbrella="VNG", sets=("breed",)),
        entry(4, "Waterschap Aa", "waterschap", "aa.nl", web=False,
              umbrella="Unie van Waterschappen"),
    )
    assert [e.web_target for e in listed.entries] == ["www.rijksoverheid.nl",
                                                      "mijn.utrecht.nl", None]
    assert [e.mail_target for e in listed.entries] == ["rijksoverheid.nl", None, "aa.nl"]


def test_dutch_headers_semicolons_and_bom(tmp_path: Path) -> None:
    text = ("Organisatie;Categorie;Domein;Web host;E-mail;Koepel;Dienstverlener;Verzamelingen\n"
            "Gemeente Den Haag;Gemeenten;denhaag.nl;;Nee;VNG;ICT Haaglanden;Kern, Breed\n"
            "Provincie Utrecht;Provincies;provincie-utrecht.nl;-;1;;;\n")
    listed = read_list(csv_file(tmp_path, "\ufeff" + text))
    assert listed.errors == ()
    assert listed.entries == (
        entry(2, "Gemeente Den Haag", "gemeente", "denhaag.nl", mail=False, umbrella="VNG",
              provider="ICT Haaglanden", sets=("kern", "breed")),
        entry(3, "Provincie Utrecht", "provincie", "provincie-utrecht.nl", web=False,
              umbrella="IPO"),
    )


def test_good_xlsx_with_row_numbers_and_typed_cells(tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["ORGANISATIE", "categorie", "domeinnaam", "webhost", "mail", "koepel"])
    sheet.append(["Rijkswaterstaat", "Uitvoeringsorganisaties", "rws.nl", None, True, None])
    sheet.append([])  # an empty row 3: the next row is still row 4
    sheet.append(["Gemeente Ede", "gemeente", "ede.nl", None, 0, "vng"])
    sheet.append(["Gemeente Ede", "gemeente", "https://ede.nl", None, 1, None])
    book.save(path)
    listed = read_list(path)
    assert listed.good_entries() == (
        entry(2, "Rijkswaterstaat", "uitvoering", "rws.nl", umbrella="Manifestgroep"),
        entry(4, "Gemeente Ede", "gemeente", "ede.nl", mail=False, umbrella="VNG"),
    )
    assert [(p.line, p.column) for p in listed.errors] == [(5, "domeinnaam")]


@pytest.mark.parametrize("label, category", [
    ("rijk", "rijk"), ("Rijk", "rijk"), ("Uitvoeringsorganisaties", "uitvoering"),
    ("uitvoeringsorganisatie", "uitvoering"), ("Provincies", "provincie"),
    ("Gemeente", "gemeente"), ("GEMEENTEN", "gemeente"), ("Waterschappen", "waterschap"),
    ("waterschap", "waterschap"), ("Overig", "overig")])
def test_category_labels_and_plurals(tmp_path: Path, label: str, category: str) -> None:
    listed = read_list(csv_file(tmp_path, HEADER + f"Org,{label},org.nl,,,,\n"))
    assert [e.category for e in listed.entries] == [category]


@pytest.mark.parametrize("word, mail", [
    ("", True), ("yes", True), ("Ja", True), ("1", True), ("TRUE", True),
    ("no", False), ("nee", False), ("0", False), ("false", False)])
def test_mail_words(tmp_path: Path, word: str, mail: bool) -> None:
    listed = read_list(csv_file(tmp_path, HEADER + f"Org,rijk,org.nl,,{word},,\n"))
    assert [e.mail for e in listed.entries] == [mail]


@pytest.mark.parametrize("word", ["-", "geen", "none", "Geen"])
def test_no_web_role(tmp_path: Path, word: str) -> None:
    listed = read_list(csv_file(tmp_path, HEADER + f"Org,rijk,org.nl,{word},yes,,\n"))
    assert [(e.web, e.web_host, e.web_target) for e in listed.entries] == [(False, None, None)]


# Two good rows precede the bad one: the first with a line break inside a quoted
# name (lines 2-3), an empty line 4, the second on line 5: the bad row is line 6
# as an editor shows it.
PREAMBLE = HEADER + '"Gemeente\nOost",gemeente,oost.nl,,,,\n\nGemeente West,gemeente,west.nl,,,,\n'


@pytest.mark.parametrize("row, column, reason", [
    (",rijk,a.nl,,,,", "organisation", "the organisation is empty"),
    ("Org,,a.nl,,,,", "category", "the category is empty"),
    ("Org,ministry,a.nl,,,,", "category", "unknown category 'ministry'; use one of rijk"),
    ("Org,rijk,,,,,", "domain", "the domain is empty"),
    ("Org,rijk,https://www.a.nl/contact,,,,", "domain",
     "'https://www.a.nl/contact' is a web address; give the domain name only, e.g. a.nl"),
    ("Org,rijk,a.nl/,,,,", "domain", "is a web address"),
    ("Org,rijk,www.a.nl,,,,", "domain", "'www.a.nl' is a web host; give the registered "
     "domain a.nl"),
    ("Org,rijk,info@a.nl,,,,", "domain", "'info@a.nl' is an e-mail address"),
    ("Org,rijk,192.0.2.1,,,,", "domain", "'192.0.2.1' is an IP address"),
    ("Org,rijk,a_b.nl,,,,", "domain", "'a_b.nl' is not a valid domain name"),
    ("Org,rijk,a..nl,,,,", "domain", "'a..nl' is not a valid domain name"),
    ("Org,rijk,localhost,,,,", "domain", "'localhost' has no dot"),
    ("Org,rijk,a.123,,,,", "domain", "its top-level domain is a number"),
    ("Org,rijk,a.nl,https://mijn.a.nl/,,,", "web_host",
     "'https://mijn.a.nl/' is a web address; give the host name only, e.g. mijn.a.nl"),
    ("Org,rijk,a.nl,mijn a.nl,,,", "web_host", "'mijn a.nl' is not a valid domain name"),
    ("Org,rijk,a.nl,,misschien,,", "mail", "'misschien' is not yes or no"),
    ("Org,rijk,a.nl,geen,nee,,", "web_host", "the domain has neither a web nor a mail role"),
    ("Org, Team X,rijk,a.nl,,,,kern", None, "the row has more cells than the header has columns"),
])
def test_bad_row_reported_at_its_line(tmp_path: Path, row: str, column: str | None,
                                      reason: str) -> None:
    listed = read_list(csv_file(tmp_path, PREAMBLE + row + "\n"))
    assert [(p.line, p.column) for p in listed.errors] == [(6, column)]
    assert reason in listed.errors[0].reason
    assert listed.entries == ()
    assert [(e.line, e.domain) for e in listed.good_entries()] == [(2, "oost.nl"),
                                                                    (5, "west.nl")]
    assert str(listed.errors[0]).startswith("line 6" + (f", column {column}: " if column
                                                         else ": "))


def test_missing_and_doubled_columns(tmp_path: Path) -> None:
    missing = read_list(csv_file(tmp_path, "organisation,domain\nOrg,a.nl\n"))
    assert [(p.line, p.column) for p in missing.errors] == [(1, None)]
    assert "no category column" in missing.errors[0].reason
    assert missing.good_entries() == ()
    doubled = read_list(csv_file(tmp_path, "organisation,category,domain,domein\n"
                                 "Org,rijk,a.nl,a.nl\n"))
    assert [(p.line, p.column) for p in doubled.errors] == [(1, "domein")]
    assert "columns 'domain' and 'domein' both give the domain" in doubled.errors[0].reason


def test_unknown_column_and_umbrella_warn(tmp_path: Path) -> None:
    listed = read_list(csv_file(tmp_path, "organisation,category,domain,umbrella,contact\n"
                                "Org,overig,a.nl,Koepel Zuid,jan@a.nl\n"))
    assert listed.errors == ()
    assert [(p.line, p.column) for p in listed.warnings] == [(1, "contact"), (2, "umbrella")]
    assert listed.entries[0].umbrella == "Koepel Zuid"


def test_web_host_outside_domain_warns_and_www_is_the_default(tmp_path: Path) -> None:
    listed = read_list(csv_file(tmp_path, HEADER + "Org,rijk,a.nl,login.portaal.nl,,,\n"
                                + "Org,rijk,b.nl,WWW.B.NL,,,\n"))
    assert listed.errors == ()
    assert [(e.domain, e.web_host) for e in listed.entries] == [("a.nl", "login.portaal.nl"),
                                                                 ("b.nl", None)]
    assert [(p.line, p.column) for p in listed.warnings] == [(2, "web_host")]
    assert "not under the domain a.nl" in listed.warnings[0].reason


def test_idn_stored_in_punycode_and_written_in_unicode(tmp_path: Path) -> None:
    listed = read_list(csv_file(tmp_path, HEADER + "Gemeente Bücherstad,gemeente,Bücher.nl,"
                                "mijn.bücher.nl,,,\n"))
    assert [(e.domain, e.web_host) for e in listed.entries] == [
        ("xn--bcher-kva.nl", "mijn.xn--bcher-kva.nl")]
    out = tmp_path / "out.csv"
    write_list(listed.entries, out)
    text = out.read_text("utf-8-sig")
    assert "bücher.nl,mijn.bücher.nl" in text
    assert "xn--" not in text
    assert read_list(out).entries == listed.entries


def test_duplicate_domain_merged_with_warning(tmp_path: Path) -> None:
    listed = read_list(csv_file(tmp_path, HEADER + "Gemeente Ede,gemeente,ede.nl,,,,kern\n"
                                + "Gemeente Ede,gemeente,other.nl,,,,\n"
                                + "gemeente  ede,gemeente,EDE.nl,,,,breed;kern\n"))
    assert listed.errors == ()
    assert listed.entries == (
        entry(2, "Gemeente Ede", "gemeente", "ede.nl", umbrella="VNG", sets=("kern", "breed")),
        entry(3, "Gemeente Ede", "gemeente", "other.nl", umbrella="VNG"),
    )
    assert [(p.line, p.column) for p in listed.warnings] == [(4, None)]
    assert "ede.nl is also on line 2; the rows are merged" in listed.warnings[0].reason


def test_duplicate_domain_with_other_roles_is_an_error(tmp_path: Path) -> None:
    listed = read_list(csv_file(tmp_path, HEADER + "Org,rijk,a.nl,,yes,,\n"
                                + "Org,rijk,a.nl,,no,,\n"))
    assert [(p.line, p.column) for p in listed.errors] == [(3, None)]
    assert "a.nl is also on line 2 with other roles" in listed.errors[0].reason
    assert listed.good_entries() == ()


def test_domain_in_two_organisations_is_an_error(tmp_path: Path) -> None:
    listed = read_list(csv_file(tmp_path, HEADER + "Gemeente A,gemeente,a.nl,,,,\n"
                                + "Gemeente A,gemeente,shared.nl,,,,\n"
                                + "Gemeente B,gemeente,shared.nl,,,,\n"))
    assert listed.errors == (Problem(4, None, "domain shared.nl is on line 3 for 'Gemeente A' "
                                     "and here for 'Gemeente B'; a domain belongs to one "
                                     "organisation"),)
    assert listed.entries == ()
    assert [e.domain for e in listed.good_entries()] == ["a.nl"]


def test_organisation_has_one_category_and_umbrella(tmp_path: Path) -> None:
    conflict = read_list(csv_file(tmp_path, HEADER + "Org,rijk,a.nl,,,,\n"
                                  + "Org,rijk,www.b.nl,,,,\n"  # bad domain, category counts
                                  + "Other,overig,c.nl,,,,\n"
                                  + "Org,provincie,d.nl,,,,\n"))
    assert [(p.line, p.column) for p in conflict.errors] == [(3, "domain"), (5, None)]
    assert "'Org' has category 'rijk' on line 2 and 'provincie' here" in conflict.errors[1].reason
    assert [e.domain for e in conflict.good_entries()] == ["c.nl"]
    filled = read_list(csv_file(tmp_path, "organisation,category,domain,umbrella,provider\n"
                                "Agentschap X,uitvoering,a.nl,,\n"
                                "Agentschap X,uitvoering,b.nl,Klein LEF,SSC-ICT\n"
                                "Agentschap Y,uitvoering,c.nl,,\n"))
    assert filled.errors == ()
    assert [(e.umbrella, e.provider) for e in filled.entries] == [
        ("Klein LEF", "SSC-ICT"), ("Klein LEF", "SSC-ICT"), ("Manifestgroep", None)]


SPREADSHEET_TRAPS = [
    entry(2, '=HYPERLINK("http://evil.example","klik")', "overig", "a.nl",
          umbrella="Klein LEF", provider="@provider", sets=("-min", "=is", "+plus")),
    entry(3, "'s-Hertogenbosch", "gemeente", "s-hertogenbosch.nl", umbrella="VNG",
          provider="'=kept as typed"),
    entry(4, "-Org", "rijk", "b.nl", web=False, mail=True, umbrella="+Koepel",
          provider="''two quotes"),
]


@pytest.mark.parametrize("name", ["out.csv", "out.xlsx"])
def test_formulas_neutralised_and_read_back(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    write_list(SPREADSHEET_TRAPS, path)
    if name.endswith(".xlsx"):
        sheet = openpyxl.load_workbook(path).worksheets[0]
        cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
        assert all(c.data_type == "s" for c in cells)
        texts = [str(c.value) for c in cells]
    else:
        rows = csv.reader(io.StringIO(path.read_text("utf-8-sig"), newline=""))
        texts = [cell for row in rows for cell in row]
    assert not [t for t in texts if t.startswith(("=", "+", "-", "@"))]
    assert "'=HYPERLINK" in "".join(texts)
    assert "'s-Hertogenbosch" in texts
    listed = read_list(path)
    assert listed.errors == ()
    assert listed.entries == tuple(SPREADSHEET_TRAPS)


def test_round_trip_of_every_field(tmp_path: Path) -> None:
    entries = [
        entry(2, "Gemeente Zürich-Nord", "gemeente", "xn--zrich-kva.nl",
              web_host="portal.example.nl", mail=False, umbrella="VNG",
              provider="Dimpact", sets=("breed", "kern")),
        entry(3, "Gemeente Zürich-Nord", "gemeente", "b.nl", web=False, umbrella="VNG",
              provider="Dimpact"),
        entry(4, "Rijk, Ministerie; Kamer \"X\"", "rijk", "c.nl", web_host="mijn.c.nl",
              umbrella="CIO Rijk"),
    ]
    for name in ("round.csv", "round.xlsx"):
        write_list(entries, tmp_path / name)
        assert read_list(tmp_path / name).entries == tuple(entries)


def test_the_labs_registry_list(tmp_path: Path) -> None:
    plan = build_plan("zz-", generated=12)
    path = tmp_path / "registry.csv"
    write_registry(plan, path)
    listed = read_list(path)
    assert listed.errors == ()
    assert len(listed.entries) == len(plan.domains)
    for domain, listed_entry in zip(plan.domains, listed.entries, strict=True):
        assert (listed_entry.organisation, listed_entry.category, listed_entry.domain,
                listed_entry.web_target, listed_entry.mail_target) == (
            domain.organisation, domain.category, domain.domain, domain.web_host,
            domain.domain)
        assert listed_entry.sets == ("lab", "generated" if domain.generated else "scenarios")


def test_windows_1252_file_is_refused_with_line_and_byte_or_read_as_named(
        tmp_path: Path) -> None:
    path = csv_file(tmp_path, HEADER + "Gemeente Súdwest-Fryslân,gemeente,"
                    "sudwestfryslan.nl,,,,\n", encoding="cp1252")
    with pytest.raises(ListFileError, match=r"line 2, byte 11: not valid utf-8 \(byte 0xfa\)"
                       r".*--encoding"):
        read_list(path)
    listed = read_list(path, encoding="cp1252")
    assert listed.errors == listed.warnings == ()
    assert [e.organisation for e in listed.entries] == ["Gemeente Súdwest-Fryslân"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-8-sig"])
def test_a_bom_names_the_encoding(tmp_path: Path, encoding: str) -> None:
    listed = read_list(csv_file(tmp_path, HEADER + "Gemeente Súdwest-Fryslân,gemeente,"
                                "sudwestfryslan.nl,,,,\n", encoding=encoding))
    assert [e.organisation for e in listed.entries] == ["Gemeente Súdwest-Fryslân"]


def test_a_mixed_file_is_refused_at_its_first_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes((HEADER + "Gemeente Ä,gemeente,a.nl,,,,\n").encode()
                     + "Gemeente Ö,gemeente,b.nl,,,,\n".encode("latin-1"))
    with pytest.raises(ListFileError, match="line 3, byte 10"):
        read_list(path)


@pytest.mark.parametrize(("cell", "reason"), [
    ("Gemeente\x00Goed", "the organisation holds a NUL character"),
    ("Gemeente\x07Goed", "the organisation holds the control character U+0007"),
    ("Gemeente \u202egoeD", "the organisation holds the control character U+202E"),
    ("G" * 301, "the organisation has 301 characters, more than the 300 allowed")])
def test_names_are_checked_at_the_door(tmp_path: Path, cell: str, reason: str) -> None:
    listed = read_list(csv_file(tmp_path, HEADER + f"{cell},gemeente,goed.nl,,,VNG\x01,kern\n"
                                "Ander,gemeente,ander.nl,,,,\x1b[31m\n"))
    problems = [(p.line, p.column, p.reason) for p in listed.errors]
    assert (2, "organisation", reason) in problems
    assert (2, "umbrella", "the umbrella holds the control character U+0001") in problems
    assert (3, "sets", "the set name holds the control character U+001B") in problems
    assert listed.entries == ()


def test_files_that_are_no_list(tmp_path: Path) -> None:
    with pytest.raises(ListFileError, match=r"\.csv or \.xlsx"):
        read_list(csv_file(tmp_path, HEADER, name="list.txt"))
    with pytest.raises(ListFileError, match="empty"):
        read_list(csv_file(tmp_path, "\n\n"))
    with pytest.raises(ListFileError, match="not a readable XLSX"):
        read_list(csv_file(tmp_path, HEADER, name="list.xlsx"))
    with pytest.raises(ListFileError, match="No such file"):
        read_list(tmp_path / "absent.csv")


def test_a_big_list(tmp_path: Path) -> None:
    categories = ["rijk", "uitvoering", "provincie", "gemeente", "waterschap", "overig"]
    rows = [f"Organisatie {i // 3},{categories[(i // 3) % 6]},domein-{i:05d}.nl,,,,breed"
            for i in range(10_000)]
    listed = read_list(csv_file(tmp_path, HEADER + "\n".join(rows) + "\n"))
    assert listed.errors == ()
    assert len(listed.entries) == 10_000
    assert listed.entries[-1] == entry(10_001, "Organisatie 3333", "gemeente",
                                       "domein-09999.nl", umbrella="VNG",
                                       sets=("breed",))
    out = tmp_path / "big.xlsx"
    write_list(listed.entries, out)
    assert read_list(out).entries == listed.entries


def test_written_entries_keep_their_order_not_their_line(tmp_path: Path) -> None:
    moved = [replace(e, line=e.line + 40) for e in SPREADSHEET_TRAPS]
    write_list(moved, tmp_path / "out.csv")
    assert read_list(tmp_path / "out.csv").entries == tuple(SPREADSHEET_TRAPS)
