"""`meting import-results` on its own: domains the registry lacks are registered from the
file (category, and the organisation when the file names one); --no-register refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from meting.cli import app
from meting.store import Store

APPENDIX = ("category,domain,reaction,dnssec,hsts\n"
            "gemeente,gem-a.nl,0,passed,failed\n"
            "Gemeenten,gem-b.nl,1,failed,passed\n"
            "rijk,minbzk.nl,0,passed,passed\n")


class Ran:
    def __init__(self, exit_code: int, output: str) -> None:
        self.exit_code = exit_code
        self.output = " ".join(output.split())  # Rich wraps long lines


def run(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    return Ran(result.exit_code, result.output)


@pytest.fixture()
def empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'meting.db'}"
    monkeypatch.setenv("METING_DATABASE", url)
    return url


def test_a_published_appendix_loads_into_an_empty_registry(empty: str, tmp_path: Path) -> None:
    path = tmp_path / "appendix.csv"
    path.write_text(APPENDIX)
    result = run("import-results", str(path), "--kind", "web", "--round", "2021-03",
                 "--date", "2021-03-01")
    assert result.exit_code == 0, result.output
    assert "3 web results stored in round 2021-03" in result.output
    assert "3 domains added to the registry" in result.output
    with Store.open(empty) as store:
        entries = {e.domain: e for e in store.export_entries()}
    assert set(entries) == {"gem-a.nl", "gem-b.nl", "minbzk.nl"}
    assert entries["gem-b.nl"].category == "gemeente"  # the Dutch plural read as the id
    assert entries["gem-b.nl"].organisation == "gem-b.nl"  # no list: its own organisation
    assert entries["gem-b.nl"].umbrella == "VNG"  # the category's default umbrella
    assert entries["minbzk.nl"].umbrella == "CIO Rijk"
    # a second file of the same round registers nothing new
    mail = tmp_path / "mail.csv"
    mail.write_text("category,domain,reaction,dmarc\ngemeente,gem-a.nl,0,passed\n")
    result = run("import-results", str(mail), "--kind", "mail", "--round", "2021-03")
    assert result.exit_code == 0 and "0 domains added" in result.output


def test_the_file_may_name_the_organisation_umbrella_and_parent(empty: str,
                                                                tmp_path: Path) -> None:
    path = tmp_path / "appendix.csv"
    path.write_text("\ufefforganisation,umbrella,parent,category,domain,reaction,dnssec\n"
                    "Rijksdienst X,Manifestgroep,Ministerie van BZK,uitvoering,rdx.nl,0,passed\n"
                    "Rijksdienst X,Manifestgroep,Ministerie van BZK,uitvoering,rdx.eu,0,failed\n")
    result = run("import-results", str(path), "--kind", "web", "--round", "r")
    assert result.exit_code == 0, result.output
    assert "2 domains added to the registry" in result.output
    with Store.open(empty) as store:
        entries = store.export_entries()
    assert {(e.organisation, e.umbrella, e.parent) for e in entries} == {
        ("Rijksdienst X", "Manifestgroep", "Ministerie van BZK")}


def test_no_register_keeps_the_refusal_and_stores_nothing(empty: str, tmp_path: Path) -> None:
    path = tmp_path / "appendix.csv"
    path.write_text(APPENDIX)
    result = run("import-results", str(path), "--kind", "web", "--round", "r", "--no-register")
    assert result.exit_code == 2
    assert "3 domains are not in the registry" in result.output
    with Store.open(empty) as store:
        assert store.export_entries() == [] and store.rounds() == []


def test_a_bad_file_registers_nothing(empty: str, tmp_path: Path) -> None:
    path = tmp_path / "appendix.csv"
    path.write_text(APPENDIX + "gemeente,gem-c.nl,0,passed,groen\n")
    result = run("import-results", str(path), "--kind", "web", "--round", "r")
    assert result.exit_code == 2 and "unknown status 'groen'" in result.output
    with Store.open(empty) as store:
        assert store.export_entries() == []


def test_batch_results_without_category_are_refused(empty: str, tmp_path: Path) -> None:
    path = tmp_path / "batch.json"
    path.write_text('{"domains": {"www.nieuw.nl": {"status": "ok", "results": {}}}}')
    result = run("import-results", str(path), "--kind", "web", "--round", "r")
    assert result.exit_code == 2
    assert "gives no category" in result.output and "nieuw.nl" in result.output
    with Store.open(empty) as store:
        assert store.export_entries() == []
