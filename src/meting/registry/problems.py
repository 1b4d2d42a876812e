"""What is wrong (or doubtful) in a list file, where the user can find it."""

from __future__ import annotations

from dataclasses import dataclass, field

from meting.words import Message, in_language


@dataclass(frozen=True, eq=False)
class Problem:
    """A reason at a line (CSV) or row (XLSX); line 0 is the file as a whole."""

    line: int
    column: str | None  # the header name as the file spells it
    words: Message | str  # a Message is worded where it is shown; a str is English only

    @property
    def reason(self) -> str:
        """The reason in English (the command line's words)."""
        return str(self.words)

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.reason}"

    def _said(self) -> tuple[int, str | None, str]:
        return self.line, self.column, self.reason

    def __eq__(self, other: object) -> bool:  # the same words, given as a Message or not
        return isinstance(other, Problem) and self._said() == other._said()

    def __hash__(self) -> int:
        return hash(self._said())

    def said(self, lang: str) -> str:
        """The reason in ``lang`` (the place is worded by who shows it)."""
        return in_language(self.words, lang)


@dataclass
class Problems:
    """The problems found, in full, or (with ``keep``) those of the first lines of each
    kind and the count of all, so that a list broken on every row costs bounded memory."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    keep: int | None = None
    error_count: int = 0
    warning_count: int = 0

    def error(self, line: int, column: str | None, reason: Message | str) -> None:
        self.error_count += 1
        self._add(self.errors, Problem(line, column, reason))

    def warn(self, line: int, column: str | None, reason: Message | str) -> None:
        self.warning_count += 1
        self._add(self.warnings, Problem(line, column, reason))

    def _add(self, kept: list[Problem], problem: Problem) -> None:
        kept.append(problem)
        if self.keep is not None and len(kept) >= 2 * self.keep:
            kept[:] = ordered(kept)[:self.keep]

    def first_errors(self) -> tuple[Problem, ...]:
        return ordered(self.errors)[:self.keep]

    def first_warnings(self) -> tuple[Problem, ...]:
        return ordered(self.warnings)[:self.keep]


def ordered(problems: list[Problem]) -> tuple[Problem, ...]:
    """By line, then column (the file as a whole, line 0, first)."""
    return tuple(sorted(problems, key=lambda p: (p.line, p.column or "")))
