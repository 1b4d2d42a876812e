"""`meting report` over a stored round (SQLite store in a temporary directory)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from meting.analysis.model import DomainResult
from meting.cli import app
from meting.registry.lists import ListEntry
from meting.store import Store
from tests.unit.analysis_data import rounds
from tests.unit.recorded import dns_answer
from tests.unit.recorded import evidence as recorded

ALIASES = {"www.gem-a.nl": ["gem-a.azurewebsites.net"]}  # a CNAME names the web host's provider


def evidence(row: DomainResult) -> dict[str, Any]:
    """Recorded lab evidence with the row's hosts and addresses in it."""
    def host(name: str, addresses: tuple[str, ...]) -> dict[str, Any]:
        return {"name": name, "a": dns_answer(name, "A", addresses, ALIASES.get(name, [])),
                "aaaa": dns_answer(name, "AAAA")}
    nameservers = [host(n, ()) | {"reach6": {}} for n in row.nameservers]
    if row.kind == "mail":
        found = recorded("perfect.mail")
        template = found["mx"][0]
        found["mx"] = [template | host(m, row.addresses) for m in row.mx_hosts]
        return found | {"nameservers": nameservers}
    found = recorded("perfect.web")
    return found | {"host": host(row.web_host or "", ()), "nameservers": nameservers}


def judged(row: DomainResult) -> dict[str, Any]:
    return {"columns": {c: {"status": s, "explanation": {"nl": "", "en": ""}}
                        for c, s in row.columns.items()}, "subtests": {}}


@pytest.fixture()
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'meting.db'}"
    golden = rounds()["2021-11"]
    owners = {r.domain: r for r in golden.rows}
    entries = [ListEntry(n, r.organisation, r.category, r.domain, True, None, True, r.umbrella,
                         None, ("kern",)) for n, r in enumerate(owners.values(), start=2)]
    by_test = {(r.domain, r.kind): r for r in golden.rows}
    with Store.open(url) as store:
        store.import_entries(entries)
        round_id = store.create_round("kern", "current", "2021-11", datetime.date(2021, 11, 1))
        store.plan_round(round_id)
        for test in store.pending_tests(round_id):
            row = by_test[(test.domain, test.kind)]
            store.save_result(test.test_id, evidence(row), judged(row))
    return url


def test_report_json_of_a_stored_round(database: str, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METING_DATABASE", database)
    out = tmp_path / "figures.json"
    result = CliRunner().invoke(app, ["report", "--round", "2021-11", "--format", "json",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["round"] == "2021-11" and data["rules"] == "meting-telregels 2026.2"
    dnssec = data["adoption"]["web"]["all"]["dnssec"]
    assert (dnssec["rate"], dnssec["compliant"], dnssec["counted"], dnssec["excluded"]) == (
        71.4, 5, 7, 1)
    assert data["ipv6_with_mailserver"]["all"]["rate"] == 50.0
    mail = {p["provider"]: p["domains"] for p in data["providers"]["mail"]["providers"]}
    assert mail["Microsoft Exchange Online"] == 3  # two by MX name, one by MX address
    web = {p["provider"]: p["domains"] for p in data["providers"]["web"]["providers"]}
    assert web == {"Microsoft Azure": 1, "own domain": 7}


def test_round_figures_json_for_the_demo(database: str) -> None:
    """meting.analysis.round_figures_json: the same figures JSON, by round number or label."""
    from meting.analysis import round_figures_json
    with Store.open(database) as store:
        number = store.round_by_label("2021-11").id
        by_number = round_figures_json(store, number)
        by_label = round_figures_json(store, "2021-11")
    assert by_number == by_label
    assert by_number["round"] == "2021-11" and by_number["rules"] == "meting-telregels 2026.2"
    # hsts: rijk-c warning counts, gem-b failed, gem-a error left out → 6/7
    hsts = by_number["adoption"]["web"]["all"]["hsts"]
    assert (hsts["rate"], hsts["compliant"], hsts["counted"], hsts["excluded"]) == (
        85.7, 6, 7, 1)
    assert by_number["layer_average"]["web"]["all"] == 88.6
    assert set(by_number["fully_compliant"]) == {"web", "mail"}


def test_report_csv_writes_one_file_per_kind(database: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METING_DATABASE", database)
    out = tmp_path / "appendix.csv"
    result = CliRunner().invoke(app, ["report", "--round", "2021-11", "--format", "csv",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = (tmp_path / "appendix-web.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM: spreadsheets read UTF-8
    web = data.decode("utf-8-sig").splitlines()
    assert web[0].startswith("category,domain,reaction,dnssec,tls_available")
    assert web[0].endswith(",security_txt,organisation,umbrella,parent")
    assert "rijk,rijk-a.nl,0,passed," in web[1] and web[1].endswith(",Ministerie A,CIO Rijk,")
    assert len(web) == 1 + 8


def test_report_refuses_an_unknown_round(database: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METING_DATABASE", database)
    result = CliRunner().invoke(app, ["report", "--round", "1999-01", "--format", "json"])
    assert result.exit_code == 2
    assert "1999-01" in result.output


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def test_csv_round_trip_through_import_results(database: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METING_DATABASE", database)
    assert run("report", "--round", "2021-11", "--format", "csv", "--out",
               str(tmp_path / "a.csv")).exit_code == 0
    reactions = tmp_path / "reactions.csv"
    reactions.write_text('organisation,text\nWaterschap A,"=SUM(1) <b>we werken eraan</b>"\n')
    for kind in ("web", "mail"):
        result = run("import-results", str(tmp_path / f"a-{kind}.csv"), "--kind", kind,
                     "--round", "copy", "--date", "2022-04-01", "--set", "kern",
                     "--reactions", str(reactions))
        assert result.exit_code == 0, result.output
        assert f"8 {kind} results stored in round copy (2022-04-01)" in result.output
    for label in ("2021-11", "copy"):
        assert run("report", "--round", label, "--format", "json", "--out",
                   str(tmp_path / f"{label}.json")).exit_code == 0
    before = json.loads((tmp_path / "2021-11.json").read_text())
    after = json.loads((tmp_path / "copy.json").read_text())
    for key in ("adoption", "layer_average", "fully_compliant", "ipv6_with_mailserver",
                "growth_potential"):
        assert after[key] == before[key], key
    assert after["previous_round"] == "2021-11"  # the same set, an earlier date
    assert after["date"] == "2022-04-01"
    # the reaction gives Waterschap A's domains the asterisk (reaction 1 in the CSV)
    web = (tmp_path / "a-web.csv").read_text()
    assert "waterschap,ws-a.nl,0," in web  # the stored round had no reactions yet
    assert run("report", "--round", "copy", "--format", "csv", "--out",
               str(tmp_path / "b.csv")).exit_code == 0
    assert "waterschap,ws-a.nl,1," in (tmp_path / "b-web.csv").read_text()


def test_import_results_with_errors_stores_nothing(database: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METING_DATABASE", database)
    bad = tmp_path / "bad.csv"
    bad.write_text("category,domain,reaction,dnssec\ngemeente,gem-a.nl,0,passed\n"
                   "gemeente,onbekend.nl,0,failed\n")
    result = run("import-results", str(bad), "--kind", "web", "--round", "new", "--no-register")
    assert result.exit_code == 2
    assert "onbekend.nl" in result.output and "not in the registry" in result.output
    result = run("report", "--round", "new", "--format", "json")
    assert result.exit_code == 2  # no round was made


def test_import_internet_nl_batch_results_by_web_host(database: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METING_DATABASE", database)
    batch = tmp_path / "batch.json"
    tests = {"web_https_http_hsts": {"status": "failed"},
             "web_https_http_available": {"status": "passed"}}
    batch.write_text(json.dumps({"domains": {
        "www.rijk-a.nl": {"status": "ok", "results": {"tests": tests, "categories": {}}}}}))
    result = run("import-results", str(batch), "--kind", "web", "--round", "batch",
                 "--date", "2020-06-01", "--set", "kern")
    assert result.exit_code == 0, result.output
    assert run("report", "--round", "batch", "--format", "csv", "--out",
               str(tmp_path / "batch.csv")).exit_code == 0
    assert (tmp_path / "batch-web.csv").read_text("utf-8-sig").splitlines() == [
        "category,domain,reaction,tls_available,hsts,organisation,umbrella,parent",
        "rijk,rijk-a.nl,0,passed,failed,Ministerie A,CIO Rijk,"]
