"""What is wrong (or doubtful) in a list file, where the user can find it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """A reason at a line (CSV) or row (XLSX); line 0 is the file as a whole."""

    line: int
    column: str | None  # the header name as the file spells it
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.reason}"


@dataclass
class Problems:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def error(self, line: int, column: str | None, reason: str) -> None:
        self.errors.append(Problem(line, column, reason))

    def warn(self, line: int, column: str | None, reason: str) -> None:
        self.warnings.append(Problem(line, column, reason))
