"""Pieces of a round that need no network: parts, judging stored evidence again."""

from __future__ import annotations

import zlib

import pytest

from meting.checks.not_testable import judge_not_testable
from meting.checks.tests import WEB_COLUMNS
from meting.evidence.models import NotTestableEvidence
from meting.run.retry import not_testable_evidence
from meting.run.round import Part, judge_stored
from meting.store import PlannedTest


def test_parts_split_a_round_without_overlap_or_gaps() -> None:
    tests = [PlannedTest(i, f"d{i}.nl", "web", f"www.d{i}.nl") for i in range(1, 11)]
    parts = [Part.parse(f"{i}/3").select(tests) for i in range(3)]
    ids = sorted(t.test_id for part in parts for t in part)
    assert ids == list(range(1, 11))
    # by domain (its CRC-32), so a domain's web and mail test go to the same part
    assert parts[1] and all(zlib.crc32(t.domain.encode()) % 3 == 1 for t in parts[1])
    for bad in ("3/3", "x/2", "1"):
        with pytest.raises(ValueError):
            Part.parse(bad)


def test_stored_not_testable_evidence_is_judged_not_testable_again() -> None:
    evidence = not_testable_evidence("web", "www.a.nl", ["reset", "timeout"])
    judged = judge_stored("web", evidence, "2021")
    assert judged == judge_not_testable(NotTestableEvidence.model_validate(evidence))
    assert {c: v["status"] for c, v in judged["columns"].items()} == dict.fromkeys(
        WEB_COLUMNS, "not_testable")
    assert "2 attempts" in judged["columns"]["dnssec"]["explanation"]["en"]
    assert "2 pogingen" in judged["columns"]["dnssec"]["explanation"]["nl"]
