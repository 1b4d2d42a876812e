"""Percentages from exact fractions, rounded as the counting rules say (SPEC §6; the
``rounding`` block of ``data/counting-rules.yaml``): e.g. JSON one decimal, print whole,
half up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal
from fractions import Fraction
from typing import Any

# The rounding modes a rules file may name, and decimal's names for them.
MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}


def percentage(part: int, whole: int) -> Fraction | None:
    return None if whole == 0 else Fraction(100 * part, whole)


@dataclass(frozen=True)
class Rounding:
    json_decimals: int  # `rate` in the figures JSON, percentage points
    print_decimals: int  # percentages in the report (SPEC §6: whole)
    mode: str  # a key of MODES
    # A printed rate never shows a target it has not reached (``near_target`` in the rules):
    # it gets ``near_decimals`` more decimals, rounded toward its exact value.
    near_targets: tuple[int, ...] = ()
    near_decimals: int = 1

    @classmethod
    def from_data(cls, raw: Mapping[str, Any]) -> Rounding:
        near = raw.get("near_target") or {}
        rounding = cls(int(raw["json_decimals"]), int(raw["print_decimals"]), str(raw["mode"]),
                       tuple(int(t) for t in near.get("targets", ())),
                       int(near.get("decimals", 1)))
        if rounding.mode not in MODES:
            raise ValueError(f"rounding mode {rounding.mode!r}; known: {', '.join(MODES)}")
        if min(rounding.json_decimals, rounding.print_decimals) < 0:
            raise ValueError("rounding decimals must not be negative")
        return rounding

    def round(self, value: Fraction, decimals: int) -> Decimal:
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        return exact.quantize(Decimal(1).scaleb(-decimals), rounding=MODES[self.mode])

    def rate(self, value: Fraction | None) -> float | None:
        """For JSON (one decimal, half up: 1/3 → 33.3, 5/8 → 62.5)."""
        return None if value is None else float(self.round(value, self.json_decimals))

    def shown(self, value: Fraction | None) -> Decimal | None:
        """For print (whole, half up: 1/3 → 33, 5/8 → 63), from the exact value; a rate
        that rounding would print as a target it has not reached (363/364 → 100) gets more
        decimals, rounded toward the exact value (99.7; 9999/10000 → 99.9, never 100.0)."""
        if value is None:
            return None
        printed = self.round(value, self.print_decimals)
        if printed not in self.near_targets or value == printed:
            return printed
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        toward = ROUND_DOWN if value < printed else ROUND_UP
        return exact.quantize(Decimal(1).scaleb(-(self.print_decimals + self.near_decimals)),
                              rounding=toward)

    def text(self, value: Fraction | None) -> str:
        """A printed percentage without the sign, '–' when there is none."""
        shown = self.shown(value)
        return "–" if shown is None else str(shown)

    def points(self, value: Fraction | None) -> float | None:
        """A difference of percentages at JSON precision, rounded away from zero alike."""
        if value is None:
            return None
        sign = -1 if value < 0 else 1
        return sign * float(self.round(abs(value), self.json_decimals))

    def points_text(self, value: Fraction | None, *, signed: bool = False) -> str:
        shown = self.points(value)
        if shown is None:
            return "–"
        return f"{shown:{'+' if signed else ''}.{self.json_decimals}f}"
