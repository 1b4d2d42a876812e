"""What `meting run` shows: a progress bar while the round runs, a table of statuses after."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Column, Table
from rich.text import Text

from meting.checks.verdict import Status
from meting.run.executor import Outcome
from meting.store import RoundInfo

STATUS_ORDER = [str(s) for s in Status]
STYLE = {"passed": "green", "failed": "red", "warning": "yellow", "info": "cyan",
         "not_testable": "magenta", "error": "bold red", "unreachable": "bright_red"}


class RateColumn(ProgressColumn):
    """Tests per minute, from Rich's recent-speed estimate."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("– tests/min" if speed is None else f"{speed * 60:,.0f} tests/min",
                    style="blue")


def status_counts(info: RoundInfo) -> Counter[str]:
    """Column statuses of the round's done tests, over every column."""
    found: Counter[str] = Counter()
    for columns in info.counts.values():
        for per_status in columns.values():
            found.update(per_status)
    return found


def counts_text(counts: Counter[str]) -> str:
    parts = [f"[{STYLE.get(s, 'white')}]{s} {counts[s]:,}[/]" for s in STATUS_ORDER
             if counts.get(s)]
    return " · ".join(parts) or "no results yet"


class _RoundBar(Progress):
    """The bar, and under it the column statuses counted so far (the task's ``counts``)."""

    def get_renderables(self) -> Iterable[RenderableType]:
        yield self.make_tasks_table(self.tasks)
        for task in self.tasks:
            yield Text.from_markup(str(task.fields.get("counts", "")))


class RoundProgress:
    """A progress bar over a round's tests with counts per status of the columns judged."""

    def __init__(self, console: Console, info: RoundInfo) -> None:
        self.counts = status_counts(info)
        self.counted: set[int] = set()  # tests counted since the start (see catch_up)
        self.new = 0
        self.not_testable = 0
        self.progress = _RoundBar(
            TextColumn("[bold]round {task.fields[label]}"), BarColumn(bar_width=30),
            MofNCompleteColumn(), RateColumn(), TimeElapsedColumn(), TextColumn("ETA"),
            TimeRemainingColumn(), console=console, transient=False)
        self.task = self.progress.add_task("round", total=info.planned, completed=info.done,
                                           label=info.label, counts=counts_text(self.counts))

    def stored(self, outcome: Outcome, new: bool) -> None:
        if not new:
            return
        self.new += 1
        self.not_testable += outcome.not_testable
        self.counted.add(outcome.test.test_id)
        self.counts.update(c["status"] for c in outcome.judged["columns"].values())
        self.progress.update(self.task, advance=1, counts=counts_text(self.counts))

    def catch_up(self, done: int, results: Iterable[tuple[int, dict[str, str]]]) -> None:
        """Results stored by other processes (test id, column statuses): those not yet
        counted are added; ``done`` is the round's number of done tests."""
        for test_id, columns in results:
            if test_id not in self.counted:
                self.counted.add(test_id)
                self.counts.update(columns.values())
        self.progress.update(self.task, completed=done, counts=counts_text(self.counts))

    @contextmanager
    def shown(self) -> Iterator[RoundProgress]:
        with self.progress:
            yield self


def summary_table(info: RoundInfo) -> Table:
    """Per column of each test kind: how many tests ended in each status."""
    title = (f"round {info.label} ({info.state}, {info.done} of {info.planned} tests, "
             f"norm {info.norm})")
    table = Table("test", Column("column", no_wrap=True, min_width=16), "tests per status",
                  title=title)
    for kind in ("web", "mail"):
        for column, per_status in info.counts.get(kind, {}).items():
            table.add_row(kind, column, counts_text(Counter(per_status)))
    return table
