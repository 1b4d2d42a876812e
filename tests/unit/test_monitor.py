"""The annual monitor: tender and facility lists (tests/unit/data/monitor/, made up) into the
store, their figures computed by hand here, and malformed lists that import nothing."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from meting.cli import app
from meting.monitor.figures import figures_json, monitor_figures
from meting.monitor.lists import read_facilities, read_tenders
from meting.store import Store
from meting.store.monitor import MonitorStore

DATA = Path(__file__).parent / "data" / "monitor"


def figures(year: int = 2024) -> dict:  # type: ignore[type-arg]
    tenders = read_tenders(DATA / "tenders.csv")
    facilities = read_facilities(DATA / "facilities.csv")
    assert not tenders.errors and not facilities.errors
    return figures_json(monitor_figures(year, tenders.records, facilities.records))


def test_tenders_share_asking_a_relevant_standard() -> None:
    t = figures()["tenders"]
    # 2024 has 8 tenders; Ministerie X's furniture has no relevant standard: left out (7).
    # Asking ≥1 relevant: Utrecht (https_hsts, dnssec), Provincie Utrecht (ipv6),
    # Waterschap Y, Rijksdienst Z (dmarc), Zeeland (dnssec) = 5. Not: Zwolle (asked none),
    # Delft (asked rpki, which is not relevant there: not counted). 5/7 = 71.43 → 71.4.
    assert (t["tenders"], t["left_out"]) == (8, 1)
    assert t["asking"] == {"rate": 71.4, "part": 5, "whole": 7}
    assert t["target"] == 95 and t["met"] is False


def test_tenders_per_standard_asked_where_relevant() -> None:
    per = {k: (v["part"], v["whole"]) for k, v in figures()["tenders"]["per_standard"].items()}
    assert per == {
        "https_hsts": (2, 3),     # relevant: Utrecht, Waterschap Y, Delft; asked: first two
        "dnssec": (2, 2),         # Utrecht, Zeeland
        "security_txt": (0, 1),   # Utrecht did not ask it
        "spf": (0, 2),            # Zwolle, Rijksdienst Z
        "dkim": (0, 1), "starttls_dane": (0, 1),  # Zwolle
        "dmarc": (1, 2),          # Rijksdienst Z asked, Zwolle not
        "ipv6": (1, 1), "rpki": (0, 1),  # Provincie Utrecht; Delft's rpki was not relevant
        "tls_ncsc": (1, 1),       # Waterschap Y
    }
    assert figures()["tenders"]["per_standard"]["https_hsts"]["rate"] == 66.7  # 2/3


def test_tenders_per_layer_and_trend() -> None:
    t = figures()["tenders"]
    per = {k: (v["part"], v["whole"]) for k, v in t["per_layer"].items()}
    # gemeente: Utrecht yes, Zwolle no, Delft no; rijk's only tender was left out
    assert per == {"gemeente": (1, 3), "provincie": (2, 2), "uitvoering": (1, 1),
                   "waterschap": (1, 1)}
    # 2023: Utrecht no, Provincie Utrecht yes, Rijksdienst Z yes → 2/3 = 66.7
    assert [(y["year"], y["part"], y["whole"], y["rate"]) for y in t["trend"]] == [
        (2023, 2, 3, 66.7), (2024, 5, 7, 71.4)]
    # per layer over the years: gemeente 2023 Utrecht did not ask (0/1), 2024 1/3
    assert [(y["year"], y["per_layer"]["gemeente"]["part"], y["per_layer"]["gemeente"]["whole"])
            for y in t["trend"]] == [(2023, 0, 1), (2024, 1, 3)]


def test_facilities_at_or_above_eighty_percent() -> None:
    f = figures()["facilities"]
    per = {x["facility"]: (x["part"], x["whole"], x["rate"], x["at_target"])
           for x in f["per_facility"]}
    assert per == {
        "DigiD": (4, 5, 80.0, True),         # 4/5 = 80%: at the target counts as met
        "Digipoort": (4, 6, 66.7, False),    # dkim and ipv6 not applied
        "MijnOverheid": (2, 4, 50.0, False),
        "PDOK": (3, 3, 100.0, True),
    }
    assert f["at_target"] == {"rate": 50.0, "part": 2, "whole": 4}  # DigiD, PDOK of 4
    applying = {k: (v["part"], v["whole"]) for k, v in f["per_standard"].items()}
    assert applying["dnssec"] == (3, 4)  # all but MijnOverheid
    assert applying["ipv6"] == (1, 3)    # DigiD; not MijnOverheid, Digipoort
    assert applying["https_hsts"] == (3, 3) and applying["security_txt"] == (0, 1)
    # 2023: DigiD 2/3 (66.7%, below), PDOK 2/2 → 1 of 2 facilities at the target
    assert [(y["year"], y["part"], y["whole"]) for y in f["trend"]] == [(2023, 1, 2),
                                                                        (2024, 2, 4)]
    digid = next(x for x in f["per_facility"] if x["facility"] == "DigiD")
    assert digid["missing"] == ["security_txt"]


def test_a_year_without_data_has_no_shares() -> None:
    data = figures(2022)
    assert data["tenders"]["asking"] == {"rate": None, "part": 0, "whole": 0}
    assert data["tenders"]["met"] is None and data["facilities"]["per_facility"] == []


def test_malformed_tenders_name_every_line_and_give_nothing() -> None:
    listed = read_tenders(DATA / "tenders-bad.csv")
    assert listed.records == ()
    assert [str(p) for p in listed.errors] == [
        "line 3, column relevant: 'PDF/A' is no standard of the register "
        "(meting standards list)",
        "line 4, column date: '31 april 2024' is no date (2025-03-31 or 31-03-2025)",
        "line 5, column layer: 'stadsdeel' is no government layer (rijk, uitvoering, "
        "provincie, gemeente, waterschap, overig)",
        "line 6, column asking_text: a tender that asked for a standard names the document "
        "or text that asked",
        "line 6, column cpv: '1234' is no CPV code (8 digits, e.g. 72000000-5)",
    ]


def test_malformed_facilities_name_every_line_and_give_nothing() -> None:
    listed = read_facilities(DATA / "facilities-bad.csv")
    assert listed.records == ()
    assert [str(p) for p in listed.errors] == [
        "line 2, column applied: 'misschien': expected yes or no (ja/nee)",
        "line 4, column standard: dnssec for PDOK (2024) is already on line 3",
        "line 5, column year: '24' is no year",
    ]


def test_an_unknown_column_is_named() -> None:
    path = DATA.parent.parent / "monitor-columns.csv"
    try:
        path.write_text("year,facility,standard,applied,colour\n2024,DigiD,dnssec,yes,red\n")
        listed = read_facilities(path)
    finally:
        path.unlink()
    assert [str(p) for p in listed.errors] == [
        "line 1, column colour: unknown column; the columns are: year, facility, steward, "
        "standard, applied, note"]


def test_xlsx_gives_the_same_tenders(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for line in (DATA / "tenders.csv").read_text("utf-8").splitlines():
        import csv
        sheet.append(next(csv.reader([line])))
    book.save(tmp_path / "tenders.xlsx")
    assert read_tenders(tmp_path / "tenders.xlsx").records == \
        read_tenders(DATA / "tenders.csv").records


@pytest.fixture()
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'meting.db'}"
    monkeypatch.setenv("METING_DATABASE", url)
    monkeypatch.chdir(tmp_path)
    return url


def test_import_stores_and_a_bad_list_changes_nothing(database: str) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["monitor", "import-tenders", str(DATA / "tenders.csv")])
    assert done.exit_code == 0, done.output
    assert "imported 11 tender(s)" in done.output and "2023, 2024" in done.output
    done = runner.invoke(app, ["monitor", "import-facilities", str(DATA / "facilities.csv")])
    assert done.exit_code == 0, done.output
    with Store.open(database) as store:
        before = (MonitorStore(store).tenders(), MonitorStore(store).facilities())
    # the stored records give the same figures as the files
    assert figures_json(monitor_figures(2024, *before)) == figures()
    for command, bad in (("import-tenders", "tenders-bad.csv"),
                         ("import-facilities", "facilities-bad.csv")):
        failed = runner.invoke(app, ["monitor", command, str(DATA / bad)])
        assert failed.exit_code == 2
        assert "line 3" in failed.output and "nothing imported" in failed.output
        assert "Traceback" not in failed.output
    # importing again replaces the years: the same store
    runner.invoke(app, ["monitor", "import-tenders", str(DATA / "tenders.csv")])
    with Store.open(database) as store:
        assert (MonitorStore(store).tenders(), MonitorStore(store).facilities()) == before


def test_report_json_and_both_languages(database: str, tmp_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(app, ["monitor", "import-tenders", str(DATA / "tenders.csv")])
    runner.invoke(app, ["monitor", "import-facilities", str(DATA / "facilities.csv")])
    done = runner.invoke(app, ["monitor", "report", "--year", "2024", "--format", "json"])
    assert done.exit_code == 0, done.output
    data = json.loads((tmp_path / "monitor-2024.json").read_text("utf-8"))
    assert data["tenders"]["asking"]["rate"] == 71.4 and data["information_security"] == []
    for lang, words in (("nl", ["Monitor Open Standaarden 2024", "71% (n=7)",
                                "Aanbestedingen", "Generieke voorzieningen (GDI)",
                                "Gemeenten", "Geen meetronde in dit jaar."]),
                        ("en", ["Open Standards Monitor 2024", "71% (n=7)", "Tenders",
                                "Municipalities", "No round in this year."])):
        out = tmp_path / f"m-{lang}.html"
        done = runner.invoke(app, ["monitor", "report", "--year", "2024", "--lang", lang,
                                   "--out", str(out)])
        assert done.exit_code == 0, done.output
        html = out.read_text("utf-8")
        for word in words:
            assert word in html, (lang, word)
        assert html.count("<svg") == 4  # per standard, per layer, per facility, trend
        assert 'id="layer-trend"' in html
    done = runner.invoke(app, ["monitor", "report", "--year", "2024", "--format", "xlsx"])
    assert done.exit_code == 0, done.output
    book = openpyxl.load_workbook(tmp_path / "monitor-2024.xlsx")
    assert book.sheetnames[0] == "Aanbestedingen"
    assert [c.value for c in book["Aanbestedingen"][3]] == [2024, 71.4, 7, 95, "nee"]


def test_report_pdf(database: str, tmp_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(app, ["monitor", "import-tenders", str(DATA / "tenders.csv")])
    done = runner.invoke(app, ["monitor", "report", "--year", "2024", "--format", "pdf"])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "monitor-2024.pdf").read_bytes().startswith(b"%PDF")


def test_report_refuses_a_bad_format(database: str) -> None:
    done = CliRunner().invoke(app, ["monitor", "report", "--year", "2024", "--format", "doc"])
    assert done.exit_code == 2 and "unknown format 'doc'" in done.output


def test_report_shows_the_years_latest_finished_round(database: str, tmp_path: Path) -> None:
    """The golden round (1 Nov 2021) stored and finished; the monitor of 2021 shows its
    agreements from the standards register, analysed as the round report does."""
    import datetime

    from meting.registry.lists import ListEntry
    from tests.unit.analysis_data import rounds
    from tests.unit.test_report_cli import evidence, judged

    golden = rounds()["2021-11"]
    owners = {r.domain: r for r in golden.rows}
    by_test = {(r.domain, r.kind): r for r in golden.rows}
    with Store.open(database) as store:
        store.import_entries([ListEntry(n, r.organisation, r.category, r.domain, True, None,
                                        True, r.umbrella, None, ("kern",))
                              for n, r in enumerate(owners.values(), start=2)])
        round_id = store.create_round("kern", "current", "2021-11", datetime.date(2021, 11, 1))
        store.plan_round(round_id)
        store.set_round_state(round_id, "running")
        for test in store.pending_tests(round_id):
            store.save_result(test.test_id, evidence(by_test[(test.domain, test.kind)]),
                              judged(by_test[(test.domain, test.kind)]))
        store.set_round_state(round_id, "finished")
    runner = CliRunner()
    done = runner.invoke(app, ["monitor", "report", "--year", "2021", "--format", "json"])
    assert done.exit_code == 0, done.output
    iv = json.loads((tmp_path / "monitor-2021.json").read_text("utf-8"))["information_security"]
    assert [(r["set"], r["round"]) for r in iv] == [("kern", "2021-11")]
    dnssec = next(a for a in iv[0]["agreements"] if a["column"] == "dnssec")
    # as in test_analysis_agreements: 5 of 7 compliant, deadline end 2017 (the register's)
    assert (dnssec["deadline"], dnssec["rate"], dnssec["met"]) == ("2017-12-31", 71.4, False)
    assert len(iv[0]["agreements"]) == 16  # 6 web + 10 mail agreements
    done = runner.invoke(app, ["monitor", "report", "--year", "2021", "--out", "m.html"])
    html = (tmp_path / "m.html").read_text("utf-8")
    assert "Meetronde 2021-11" in html and "Web: DNSSEC" in html and "71% (n=7)" in html
    # nothing of 2022 in the monitor of 2021
    runner.invoke(app, ["monitor", "report", "--year", "2022", "--format", "json"])
    assert json.loads((tmp_path / "monitor-2022.json").read_text())["information_security"] == []


def test_every_monitor_text_in_dutch_without_english_words_and_in_english() -> None:
    from meting.monitor.texts import _texts
    from tests.unit.explanation_rules import english_words

    for group in ("text", "lists", "steps"):
        for key, entry in _texts()[group].items():
            assert entry["nl"] and entry["en"], key
            assert english_words(entry["nl"]) == [], (key, entry["nl"])


def test_an_empty_required_cell_is_named_not_dropped(tmp_path: Path) -> None:
    path = tmp_path / "tenders.csv"
    path.write_text("organisation,layer,date,subject,relevant\n"
                    "Gemeente Aa,,2024-01-02,Website,dnssec\n"
                    "Gemeente Bee,gemeente,,Website,dnssec\n", "utf-8")
    listed = read_tenders(path)
    assert listed.records == ()
    assert [str(p) for p in listed.errors] == [
        "line 2, column layer: empty; this column is required",
        "line 3, column date: empty; this column is required"]


def test_a_share_just_below_a_target_is_not_printed_as_the_target() -> None:
    from meting.monitor.figures import Share, monitor_rules
    from meting.monitor.report import printed
    from meting.report.numbers import Numbers

    num = Numbers("nl", printed(monitor_rules()))
    # 18/19 = 94.74%: whole it would read 95%, the target it misses → one decimal, down
    assert num.percent(Share(18, 19).fraction) == "94,7%"
    assert num.percent(Share(19, 20).fraction) == "95%"  # exactly the target
    assert num.percent(Share(79, 99).fraction) == "79,7%"  # 79.797 (whole: 80%), cut down
    assert num.percent(Share(7, 10).fraction) == "70%"  # far from a target: whole
