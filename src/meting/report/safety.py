"""Text from the wild (TXT records, reactions, organisation names) made safe for spreadsheets:
a cell that starts with =, +, - or @ (or a tab / carriage return before one) would be read as
a formula, so it is prefixed with an apostrophe-like quote character and kept as text."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: object) -> object:
    """Numbers and None pass; text that a spreadsheet would take for a formula gets a '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
