"""Loads the hand-built rounds of tests/unit/data/analysis_rounds.yaml."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import yaml

from meting.analysis.model import DomainResult, RoundResults

DATA = Path(__file__).parent / "data" / "analysis_rounds.yaml"
NOT_COLUMNS = {"domain", "org", "mx", "addresses"}


def rounds() -> dict[str, RoundResults]:
    raw = yaml.safe_load(DATA.read_text())
    return {r["id"]: _round(r, raw["organisations"]) for r in raw["rounds"]}


def _round(r: dict[str, Any], organisations: dict[str, list[str]]) -> RoundResults:
    rows = [_row(kind, row, r["columns"][kind], organisations)
            for kind in ("web", "mail") for row in r.get(kind, [])]
    date = r["date"] if isinstance(r["date"], datetime.date) else datetime.date.fromisoformat(
        r["date"])
    return RoundResults(r["id"], r["label"], date, r["set"], "current", rows,
                        r.get("reactions", {}))


def _row(kind: str, row: dict[str, Any], columns: list[str],
         organisations: dict[str, list[str]]) -> DomainResult:
    category, umbrella = organisations[row["org"]]
    statuses = {c: row.get(c, "passed") for c in columns}
    unknown = set(row) - NOT_COLUMNS - set(columns)
    assert not unknown, f"{row['domain']}: columns not in the round: {unknown}"
    return DomainResult(
        domain=row["domain"], organisation=row["org"], category=category, umbrella=umbrella,
        kind=kind, columns=statuses, mx_hosts=tuple(row.get("mx", ())),
        nameservers=(f"ns1.{row['domain']}", f"ns2.{row['domain']}"),
        web_host=f"www.{row['domain']}" if kind == "web" else None,
        addresses=tuple(row.get("addresses", ())))
