"""Percentages from exact fractions, rounded half up (SPEC §6): JSON one decimal, print whole."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction


def percentage(part: int, whole: int) -> Fraction | None:
    return None if whole == 0 else Fraction(100 * part, whole)


def half_up(value: Fraction, decimals: int) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def rate(value: Fraction | None) -> float | None:
    """One decimal, for JSON (e.g. 1/3 → 33.3, 5/8 → 62.5)."""
    return None if value is None else float(half_up(value, 1))


def whole(value: Fraction | None) -> int | None:
    """Whole percentage for print (e.g. 1/3 → 33, 5/8 → 63), from the exact value."""
    return None if value is None else int(half_up(value, 0))


def points(value: Fraction | None) -> float | None:
    """A difference of percentages, one decimal, half up away from zero."""
    if value is None:
        return None
    sign = -1 if value < 0 else 1
    return sign * float(half_up(abs(value), 1))
