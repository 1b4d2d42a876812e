"""`meting rounds`, `meting doctor`, `--round` by id or label, and one rule for organisation
names across imports: on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from meting.cli import app
from meting.store import Store

LIST = "organisation,category,domain\ngemeente goed,gemeente,goed.nl\n"
STATUS = "category,domain,reaction,dnssec\ngemeente,goed.nl,,passed\n"


def meting(url: str, *args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"METING_DATABASE": url,
                                                    "METING_CONFIG": "/nonexistent.toml"})


def filled(url: str, tmp_path: Path) -> None:
    (tmp_path / "list.csv").write_text(LIST)
    (tmp_path / "status.csv").write_text(STATUS)
    assert meting(url, "import", str(tmp_path / "list.csv")).exit_code == 0
    result = meting(url, "import-results", str(tmp_path / "status.csv"), "--kind", "web",
                    "--round", "2021-03", "--date", "2021-03-01")
    assert result.exit_code == 0, result.stderr
    with Store.open(url) as store:
        planned = store.create_round(None, "current", "najaar")
        store.plan_round(planned)
        store.set_round_state(planned, "running")


def test_rounds_lists_every_round(store_url: str, tmp_path: Path) -> None:
    filled(store_url, tmp_path)
    result = meting(store_url, "rounds", "--json")
    assert result.exit_code == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [(r["label"], r["state"], r["done"], r["planned"], r["norm"], r["abandoned"])
            for r in listed] == [("2021-03", "finished", 1, 1, "", False),
                                 ("najaar", "running", 0, 2, "current", False)]
    table = meting(store_url, "rounds")
    assert "2021-03" in table.stdout and "1/1 (100%)" in table.stdout
    assert "0/2 (0%)" in table.stdout


def test_a_round_whose_runner_is_gone_is_shown_abandoned(store_url: str,
                                                         tmp_path: Path) -> None:
    filled(store_url, tmp_path)
    result = CliRunner().invoke(app, ["rounds", "--json"], env={
        "METING_DATABASE": store_url, "METING_CONFIG": "/nonexistent.toml",
        "METING_ABANDONED_AFTER": "-1"})
    assert [r["abandoned"] for r in json.loads(result.stdout)] == [False, True]
    table = CliRunner().invoke(app, ["rounds"], env={
        "METING_DATABASE": store_url, "METING_CONFIG": "/nonexistent.toml",
        "METING_ABANDONED_AFTER": "-1"})
    assert "abandoned" in table.stdout and "meting run --round ID" in table.stdout


def test_round_by_label_or_id_in_every_command(store_url: str, tmp_path: Path) -> None:
    filled(store_url, tmp_path)
    by_label = meting(store_url, "rejudge", "--round", "2021-03", "--norm", "2021")
    assert by_label.exit_code == 0, by_label.stderr
    by_id = meting(store_url, "report", "--round", "1", "--out", str(tmp_path / "r.json"))
    assert by_id.exit_code == 0, by_id.stderr
    assert json.loads((tmp_path / "r.json").read_text())  # format from the suffix
    (tmp_path / "mail.csv").write_text("category,domain,dmarc\ngemeente,goed.nl,passed\n")
    into = meting(store_url, "import-results", str(tmp_path / "mail.csv"), "--kind", "mail",
                  "--round", "1")
    assert into.exit_code == 0, into.stderr
    with Store.open(store_url) as store:
        assert [(r.label, r.done) for r in store.rounds()] == [("2021-03", 2), ("najaar", 0)]
    unknown = meting(store_url, "run", "--round", "voorjaar")
    assert unknown.exit_code == 2 and "no round 'voorjaar'" in unknown.stderr


def test_organisation_names_match_across_imports(store_url: str, tmp_path: Path) -> None:
    filled(store_url, tmp_path)
    (tmp_path / "more.csv").write_text("organisation,category,domain\n"
                                       "Gemeente  Goed,gemeente,goed-twee.nl\n")
    assert meting(store_url, "import", str(tmp_path / "more.csv")).exit_code == 0
    with Store.open(store_url) as store:
        assert {(e.organisation, e.domain) for e in store.export_entries()} == {
            ("gemeente goed", "goed.nl"), ("gemeente goed", "goed-twee.nl")}
    (tmp_path / "reactions.csv").write_text("organisation,text\nGEMEENTE GOED,gezien\n")
    (tmp_path / "mail.csv").write_text("category,domain,dmarc\ngemeente,goed.nl,passed\n")
    result = meting(store_url, "import-results", str(tmp_path / "mail.csv"), "--kind", "mail",
                    "--round", "2021-03", "--reactions", str(tmp_path / "reactions.csv"))
    assert result.exit_code == 0, result.stderr
    with Store.open(store_url) as store:
        assert store.reactions(store.find_round("2021-03").id) == {"gemeente goed": "gezien"}


def test_doctor_on_a_sound_database(store_url: str, tmp_path: Path) -> None:
    filled(store_url, tmp_path)
    result = meting(store_url, "doctor")
    assert result.exit_code == 0, result.stdout
    assert "ok schema" in result.stdout and "ok tests" in result.stdout


def test_doctor_names_damage_and_what_to_do(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'meting.db'}"
    filled(url, tmp_path)
    path = tmp_path / "meting.db"
    data = bytearray(path.read_bytes())
    for start in range(4096, len(data) - 4096, 8192):
        data[start:start + 600] = bytes(range(256)) * 2 + bytes(88)
    path.write_bytes(bytes(data))
    result = meting(url, "doctor")
    assert result.exit_code == 1
    assert result.stdout.startswith("wrong "), result.stdout
    assert "damaged" in result.stdout and "backup" in result.stdout
    assert "Traceback" not in result.stdout


def test_doctor_names_an_unknown_schema(store_url: str, tmp_path: Path) -> None:
    filled(store_url, tmp_path)
    with Store.open(store_url) as store, store.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'zz99'")
    result = meting(store_url, "doctor")
    assert result.exit_code == 1
    assert "wrong schema: schema revision 'zz99' is unknown to this meting" in result.stdout
