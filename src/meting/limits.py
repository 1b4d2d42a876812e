"""Limits on names and texts, the same on every database (the store's columns hold them:
``tests/unit/test_errors_limits.py`` checks that they agree with ``store/models.py``)."""

from __future__ import annotations

from dataclasses import dataclass

ORGANISATION = 300  # organisation name, characters
UMBRELLA = 100
PROVIDER = 300
SET_NAME = 100
ROUND_LABEL = 100
REACTION_TEXT = 10_000  # a formal reaction's text
CSV_CELL = 10_000  # any one cell of a list or status CSV


@dataclass(frozen=True)
class FileLimits:
    """What a list or result file may cost to read (settings of the same names)."""

    max_file_bytes: int = 256 * 2**20  # a CSV or JSON file, or an XLSX file as stored
    max_xlsx_bytes: int = 256 * 2**20  # a workbook's parts, uncompressed
    max_xlsx_cells: int = 10_000_000  # cells read from a workbook's sheet


def file_limits() -> FileLimits:
    from meting import settings

    found = settings.load()
    return FileLimits(found.max_file_bytes, found.max_xlsx_bytes, found.max_xlsx_cells)
