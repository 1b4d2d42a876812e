"""A round run to its end: its pending tests executed, each result stored the moment it is in.

Nothing finished is redone (only pending tests are handed to the executor), nothing is
lost (every outcome is committed on its own, in order, before it counts: ``writer``),
nothing is stored twice (the store takes one result per test). Stopped by Ctrl-C or SIGTERM, the
round is marked ``interrupted``; killed outright, it stays ``running``. Either way
``meting run --round ID`` continues it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import zlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from meting import norms
from meting.checks import judgeable
from meting.errors import OperationError, explain
from meting.evidence.models import NotTestableEvidence
from meting.run.executor import Executor, Outcome
from meting.run.writer import ResultWriter, Stored
from meting.store import PlannedTest, RoundInfo, Store
from meting.tester import judge_typed, typed_evidence


class RoundInterrupted(Exception):
    """The round was stopped before every test was done; it can be resumed."""

    def __init__(self, info: RoundInfo) -> None:
        self.info = info
        super().__init__(f"round {info.label} interrupted with {info.done} of "
                         f"{info.planned} tests done")


@dataclass(frozen=True)
class Part:
    """One of ``of`` processes sharing a round: it takes the tests of the domains whose
    CRC-32 ≡ index (mod of). By domain, not by test id: a round plans each domain's web
    and mail test one after the other, so ids would give one process every web test, and
    with them all of a shared web server's tests under half of its politeness limit."""

    index: int = 0
    of: int = 1
    # The claims directory of the command's processes (``meting.run.claims``): with it, a
    # process that has started its own tests takes those of other parts nobody started.
    claims: str | None = None

    @classmethod
    def parse(cls, text: str) -> Part:
        index, _, of = text.partition("/")
        try:
            part = cls(int(index), int(of))
        except ValueError:
            raise ValueError(f"a part is I/P, e.g. 0/2, not {text!r}") from None
        if not 0 <= part.index < part.of:
            raise ValueError(f"part {text}: I must be from 0 to P-1")
        return part

    def select(self, tests: list[PlannedTest]) -> list[PlannedTest]:
        return [t for t in tests if self._owns(t)]

    def spare(self, tests: list[PlannedTest]) -> list[PlannedTest]:
        """The other parts' tests this process may take (with claims), last planned first
        (a process looks its own tests up in their planned order)."""
        if self.claims is None:
            return []
        return [t for t in reversed(tests) if not self._owns(t)]

    def _owns(self, test: PlannedTest) -> bool:
        return zlib.crc32(test.domain.encode()) % self.of == self.index


def _quiet(outcome: Outcome, stored: bool) -> None:
    """Default: say nothing about a stored outcome."""


async def run_round(store: Store, round_id: int, executor: Executor,
                    on_stored: Stored = _quiet, part: Part = Part()) -> RoundInfo:
    """Run the round's pending tests (of this part) and store each outcome at once."""
    info = store.round(round_id)
    if info.state == "finished":
        return info
    planned = store.pending_tests(round_id)
    pending, spare = part.select(planned), part.spare(planned)
    store.set_round_state(round_id, "running")

    main = asyncio.current_task()
    loop = asyncio.get_running_loop()
    if main is not None:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGTERM, main.cancel)

    def stop() -> None:
        if main is not None:
            main.cancel()

    writer = ResultWriter(store, on_stored, stop)
    try:
        await executor.run(pending, writer.report, spare)
        await writer.drain()
    except asyncio.CancelledError:
        writer.raise_failure()  # a failed write stopped the round: that is the reason
        raise
    finally:
        writer.close()
    info = store.round(round_id)
    if info.pending == 0:
        store.set_round_state(round_id, "finished")
        info = store.round(round_id)
    return info


def run_to_end(store: Store, round_id: int, executor: Executor, on_stored: Stored = _quiet,
               part: Part = Part()) -> RoundInfo:
    """``run_round`` in a fresh event loop; RoundInterrupted after Ctrl-C or SIGTERM."""
    try:
        return asyncio.run(run_round(store, round_id, executor, on_stored, part))
    except (KeyboardInterrupt, asyncio.CancelledError):
        store.set_round_state(round_id, "interrupted")
        raise RoundInterrupted(store.round(round_id)) from None
    except Exception as exc:
        lost = database_failure(exc)
        if lost is None:
            raise
        raise database_lost(store, round_id, lost) from exc


def database_failure(exc: BaseException) -> BaseException | None:
    """The database's (or the disk's) failure in what stopped a round, if it was one."""
    if isinstance(exc, BaseExceptionGroup):
        found = (database_failure(inner) for inner in exc.exceptions)
        return next((f for f in found if f is not None), None)
    return exc if isinstance(exc, SQLAlchemyError | OSError) else None


def database_lost(store: Store, round_id: int, failure: BaseException) -> OperationError:
    """Mark the round interrupted if the database still takes it; the line to show."""
    try:
        store.set_round_state(round_id, "interrupted")
        state = "marked interrupted"
    except Exception:  # the database is gone: nothing more can be written
        state = ("left marked running; `meting rounds` shows it as abandoned once its "
                 "runner is gone")
    return OperationError(f"round {round_id} stopped: {explain(failure)[1]}. Every result "
                          f"stored before is kept; the round is {state}; continue it with "
                          f"meting run --round {round_id} when the database works again")


def judge_stored(kind: str, evidence: dict[str, Any], norm: str) -> dict[str, Any]:
    """Judge stored evidence again (``meting rejudge``); a not_testable test stays so.
    ``judgeable.CannotJudge`` when the evidence cannot answer the norm's questions."""
    model = typed_evidence(kind, evidence)
    if not isinstance(model, NotTestableEvidence):
        judgeable.check(model, norms.load(norm))
    return judge_typed(model, norm)
