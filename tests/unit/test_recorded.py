"""The checks on evidence recorded from the lab's real servers (scripts/record-evidence):
judged again without the network, every recording gets the statuses its scenario
expects in the catalogue, under the norm it was probed with."""

from __future__ import annotations

from pathlib import Path

import pytest

from meting.checks.tests import MAIL_COLUMNS, WEB_COLUMNS
from meting.lab.plan import load_catalogue
from meting.tester import judge
from tests.unit.recorded import recorded_files, recording


def test_every_scenario_of_the_catalogue_is_recorded_for_both_kinds() -> None:
    names = {s["name"] for s in load_catalogue()["scenarios"]}
    recorded = {p.name.rsplit(".", 2)[0] for p in recorded_files()}
    assert names <= recorded
    assert len(recorded_files()) == 2 * len(recorded)


@pytest.mark.parametrize("path", recorded_files(), ids=lambda p: p.stem)
def test_recorded_evidence_is_judged_as_the_catalogue_expects(path: Path) -> None:
    found = recording(path.name)
    columns = WEB_COLUMNS if found["kind"] == "web" else MAIL_COLUMNS
    judged = judge(found["kind"], found["evidence"], found["norm"] or "current")
    assert {c: v["status"] for c, v in judged["columns"].items()} == found["expected"]
    assert set(found["expected"]) == set(columns)
