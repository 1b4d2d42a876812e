"""Which domains there are against which were measured (issue 16): per organisation and
layer, the domains the registry knows, those the round measured, what discovery found, and
what it found that the round did not measure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

ALL = "all"


@dataclass(frozen=True)
class Coverage:
    organisation: str  # a layer's identifier in a layer row, "all" for the total
    category: str
    known: int  # registry domains
    measured: int  # of them, measured in the round
    found: int  # discovery's candidates not ignored (new or accepted)
    found_not_measured: int  # of them, not measured in the round

    def to_json(self) -> dict[str, Any]:
        return {"known": self.known, "measured": self.measured, "found": self.found,
                "found_not_measured": self.found_not_measured}


def per_layer(rows: Iterable[Coverage]) -> list[Coverage]:
    """One row per layer (category), then the total."""
    sums: dict[str, list[int]] = {}
    for row in rows:
        for key in (row.category, ALL):
            total = sums.setdefault(key, [0, 0, 0, 0])
            for i, n in enumerate((row.known, row.measured, row.found,
                                   row.found_not_measured)):
                total[i] += n
    return [Coverage(key, key, *values) for key, values in
            sorted(sums.items(), key=lambda item: item[0] == ALL)]


def coverage_json(rows: Iterable[Coverage]) -> dict[str, Any]:
    rows = list(rows)
    return {"per_layer": {r.category: r.to_json() for r in per_layer(rows)},
            "per_organisation": {r.organisation: {"category": r.category, **r.to_json()}
                                 for r in rows}}
