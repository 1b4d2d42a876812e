"""A round stored by an earlier meting (evidence version 1) still reports and is judged
again; evidence that does not match the schema stops a rejudge with one line, changing
nothing."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from meting.cli import app
from meting.evidence.upgrade import tls_scans
from meting.registry.lists import ListEntry
from meting.store import Store
from meting.store.models import Evidence
from meting.tester import judge
from tests.unit.recorded import evidence

# scenario -> its registered domain (the recordings' targets)
RECORDINGS = ("perfect", "tls-dhe-ffdhe2048", "hsts-six-months", "tls-legacy-versions")


def version_1(found: dict[str, Any]) -> dict[str, Any]:
    del found["evidence_version"]
    for scan in tls_scans(found):
        if "ffdhe" in scan:
            scan["ffdhe_bits"] = [g["bits"] for g in scan.pop("ffdhe")]
    return found


def stored_as(store: Store, test_id: int, found: dict[str, Any]) -> None:
    """Overwrite a test's evidence row as an older meting wrote it (no checks)."""
    raw = json.dumps(found).encode()
    with store.engine.begin() as connection:
        connection.execute(update(Evidence).where(Evidence.test_id == test_id).values(
            data=zlib.compress(raw), size=len(raw)))


def old_round(url: str) -> dict[int, dict[str, Any]]:
    """A round of the recordings' web tests, its evidence stored as version 1."""
    entries = []
    records = {}
    for line, name in enumerate(RECORDINGS, start=2):
        found = evidence(f"{name}.web")
        domain = found["target"].removeprefix("www.")
        records[domain] = found
        entries.append(ListEntry(line, f"Organisatie {line}", "gemeente", domain, True,
                                 found["target"], False, "VNG", None, ("kern",)))
    by_test = {}
    with Store.open(url) as store:
        store.import_entries(entries)
        round_id = store.create_round("kern", "current", "2026-05")
        store.plan_round(round_id)
        for test in store.pending_tests(round_id):
            found = records[test.domain]
            store.save_result(test.test_id, found, judge("web", found, "current"))
            stored_as(store, test.test_id, version_1(json.loads(json.dumps(found))))
            by_test[test.test_id] = found
    return by_test


@pytest.fixture()
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    database = f"sqlite:///{tmp_path / 'meting.db'}"
    monkeypatch.setenv("METING_DATABASE", database)
    return database


def test_a_version_1_round_is_judged_again_and_reported(url: str, tmp_path: Path) -> None:
    current = old_round(url)
    with Store.open(url) as store:
        for test_id in current:
            assert store.evidence(test_id)["evidence_version"] == 2
    result = CliRunner().invoke(app, ["rejudge", "--round", "1", "--norm", "2019"])
    assert result.exit_code == 0, result.output
    assert "4 tests judged again under norm 2019" in result.output
    with Store.open(url) as store:
        statuses = {r.target: r.columns for r in store.results(1)}
    # what version 1 recorded, judged as the checks judged it then (DH sizes, no groups)
    old = [version_1(json.loads(json.dumps(e))) for e in current.values()]
    expected = {e["target"]: {c: v["status"] for c, v in judge("web", e, "2019")[
        "columns"].items()} for e in old}
    assert statuses == expected
    assert statuses["www.hsts-halfjaar.nl"]["hsts"] == "passed"  # six months was enough
    out = tmp_path / "figures.json"
    result = CliRunner().invoke(app, ["report", "--round", "2026-05", "--format", "json",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["adoption"]["web"]["all"]["hsts"]["counted"] == 4


def test_evidence_off_the_schema_stops_a_rejudge_and_changes_nothing(url: str) -> None:
    current = old_round(url)
    broken_id = next(iter(current))
    broken = version_1(json.loads(json.dumps(current[broken_id])))
    broken["ports"] = broken.pop("site") | {"x": 1}
    with Store.open(url) as store:
        stored_as(store, broken_id, broken)
        before = {r.target: r.columns for r in store.results(1)}
    result = CliRunner().invoke(app, ["rejudge", "--round", "1", "--norm", "2019"])
    assert result.exit_code == 2
    assert "does not match evidence schema 2" in result.output
    assert "Traceback" not in result.output
    with Store.open(url) as store:
        assert {r.target: r.columns for r in store.results(1)} == before
        assert store.round(1).norm == "current"
