"""Numbers as the reader's language writes them (Babel): Dutch '99,7%', '10.000' and
'+0,3'; English '99.7%', '10,000' and '+0.3'. The digits come from the counting rules'
rounding (analysis/rounding.py), from the exact fractions; only the writing is here."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from babel import Locale
from babel.lists import format_list
from babel.numbers import format_decimal

from meting.analysis.rounding import Rounding

NONE = "–"


@dataclass(frozen=True)
class Numbers:
    lang: str
    rounding: Rounding

    def decimal(self, value: Decimal | float | int) -> str:
        """A number with its own decimals, grouped: 10.000 / 99,7."""
        decimals = max(0, -Decimal(str(value)).as_tuple().exponent)  # type: ignore[operator]
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return str(format_decimal(value, format=pattern, locale=self.lang,
                                  decimal_quantization=False))

    def count(self, n: int) -> str:
        return self.decimal(n)

    def percent(self, value: Fraction | None) -> str:
        """A printed rate (the rules' print rounding): '63%', '99,7%'; '–' when none."""
        shown = self.rounding.shown(value)
        return NONE if shown is None else f"{self.decimal(shown)}%"

    def rate_n(self, value: Fraction | None, n: int) -> str:
        """'63% (n=8)', 'n' grouped: '71% (n=10.000)'."""
        return NONE if value is None or n == 0 else f"{self.percent(value)} (n={self.count(n)})"

    def points(self, value: Fraction | None, *, signed: bool = False) -> str:
        """Percentage points at the JSON precision: '0,3', signed '+0,3' / '−1,5'."""
        shown = self.rounding.points(value)
        if shown is None:
            return NONE
        text = self.decimal(Decimal(f"{abs(shown):.{self.rounding.json_decimals}f}"))
        if not signed or shown == 0:
            return text
        return ("+" if shown > 0 else "−") + text

    def join(self, items: list[str], style: str = "standard") -> str:
        """'a, b en c' / 'a, b and c'; style 'or': '0% of 100%' / '0% or 100%'."""
        return str(format_list(items, style=style, locale=self.lang))  # type: ignore[arg-type]

    def plural(self, n: int) -> str:
        """The CLDR plural category of n in the language ('one', 'other')."""
        return str(Locale.parse(self.lang).plural_form(n))
