"""Percentages from exact fractions, rounded as the counting rules say (SPEC §6; the
``rounding`` block of ``data/counting-rules.yaml``): e.g. JSON one decimal, print whole,
half up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
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

    @classmethod
    def from_data(cls, raw: Mapping[str, Any]) -> Rounding:
        rounding = cls(int(raw["json_decimals"]), int(raw["print_decimals"]), str(raw["mode"]))
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
        """For print (whole, half up: 1/3 → 33, 5/8 → 63), from the exact value."""
        return None if value is None else self.round(value, self.print_decimals)

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
