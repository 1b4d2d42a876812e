"""A registry list read row by row: the file is never held whole.

``read_drafts`` yields each row as a draft entry and whether it is good, as the file is
read; the problems of each row go to the caller's ``Problems`` (which may keep only the
first ones). The checks across rows (one organisation over many rows, one domain given
twice) need every row: ``merge.settle_group`` and ``merge.merge_rows`` do them one
organisation or one domain at a time, over rows that the store has staged and sorted.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

from meting.limits import FileLimits
from meting.registry.cells import ListFileError, iter_table
from meting.registry.entry import ListEntry
from meting.registry.messages import said
from meting.registry.problems import Problems
from meting.registry.rows import Header, read_header, read_row
from meting.words import Message

PROBLEMS_KEPT = 200  # of each kind, those of the first lines; the rest are counted


def read_drafts(path: Path, problems: Problems, encoding: str | None = None,
                limits: FileLimits | None = None) -> Iterator[tuple[ListEntry, bool]]:
    """Every row under the header as (draft entry, good). The header and the first row are
    read at once: ``ListFileError`` here when the file is no readable list at all, or
    later, from the iterator, when that shows only further on (a bad byte on line 900,000).
    """
    notes: list[Message | str] = []
    rows = iter_table(path, encoding, limits, notes)
    first = next(rows, None)
    for note in notes:
        problems.warn(0, None, note)
    if first is None:
        raise ListFileError(said("file_empty", name=path.name))
    header = read_header(*first, problems)
    if header is None:
        for _ in rows:  # the file is still read to its end: an unreadable file says so
            pass
        return iter(())
    ahead = next(rows, None)
    return _drafts(header, itertools.chain([ahead] if ahead else [], rows), problems)


def _drafts(header: Header, rows: Iterator[tuple[int, list[str]]],
            problems: Problems) -> Iterator[tuple[ListEntry, bool]]:
    for line, cells in rows:
        yield read_row(header, line, cells, problems)
