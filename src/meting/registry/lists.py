"""Registry list files (CSV and XLSX): one row per domain of an organisation (SPEC §2).

``read_list`` checks every row and reports each problem with the line the user
sees (the header is line 1; in XLSX the row number), the column and the reason.
A file with errors gives no entries unless the caller asks for the good rows.
``write_list`` writes entries so that reading the file gives them back.
Which words the columns accept is data: ``registry/data/columns.yaml`` and
``registry/data/categories.yaml``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from meting.registry import vocabulary as words
from meting.registry.cells import ListFileError, write_table
from meting.registry.entry import ListEntry
from meting.registry.merge import merge_domains, settle_organisations
from meting.registry.names import display
from meting.registry.problems import Problem, Problems, ordered
from meting.registry.stream import read_drafts

__all__ = ["ListEntry", "ListFile", "ListFileError", "Problem", "read_list", "write_list"]

NO_WEB = "none"  # what write_list puts in the web host column of a domain without web role


@dataclass(frozen=True)
class ListFile:
    path: Path
    good: tuple[ListEntry, ...]  # the rows without errors, duplicates merged
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def entries(self) -> tuple[ListEntry, ...]:
        """Every entry of the list, or none at all when the list has errors."""
        return self.good if self.ok else ()

    def good_entries(self) -> tuple[ListEntry, ...]:
        """The entries of the rows without errors, also when other rows have errors."""
        return self.good


def read_list(path: Path | str, encoding: str | None = None) -> ListFile:
    """Read and check a list; ``ListFileError`` when the file is no readable list at all.
    ``encoding`` is that of a CSV file (default UTF-8; UTF-16 and -32 by their BOM)."""
    path = Path(path)
    problems = Problems()
    drafts = list(read_drafts(path, problems, encoding))
    entries = merge_domains(settle_organisations(drafts, problems), problems)
    return ListFile(path, tuple(entries), ordered(problems.errors), ordered(problems.warnings))


def write_list(entries: Iterable[ListEntry], path: Path | str) -> None:
    """A CSV or XLSX list (by the suffix) of the entries; domains shown in Unicode."""
    write_table(Path(path), [list(words.FIELDS), *(list_row(e) for e in entries)])


def list_row(entry: ListEntry) -> list[str]:
    web_host = display(entry.web_host) if entry.web_host else ("" if entry.web else NO_WEB)
    return [entry.organisation, entry.category, display(entry.domain), web_host,
            "yes" if entry.mail else "no", entry.umbrella or "", entry.provider or "",
            ";".join(entry.sets), entry.parent or ""]
