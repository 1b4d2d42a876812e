"""`meting run` and `meting rejudge`: rounds from the command line."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
import time
from typing import Any

from rich.console import Console

from meting.checks.judgeable import CannotJudge
from meting.errors import explain
from meting.evidence import EvidenceError
from meting.run import processes
from meting.run.claims import Claims
from meting.run.collector import round_collection
from meting.run.console import RoundProgress, summary_table
from meting.run.executor import AsyncioExecutor, Outcome
from meting.run.requests import CommandError, checked_settings
from meting.run.round import Part, RoundInterrupted, judge_stored, run_to_end
from meting.settings import Settings
from meting.store import RoundInfo, Store, StoreError
from meting.tester import routing_data

INTERRUPTED_EXIT = 130
SYNC_SECONDS = 5.0  # how often the bar of a round on several processes reads the store
# A result's finish time is taken just before its transaction: a result is looked for again
# for this long after the latest finish time seen (counted once, by its id).
COMMIT_MARGIN = dt.timedelta(seconds=60)
EXECUTORS = ("local", "celery")  # in this process; on Celery workers (meting.run.distributed)
__all__ = ["CommandError", "checked_settings", "rejudge", "run"]


def start_or_resume(store: Store, console: Console, set_name: str | None, round_id: int | None,
                    norm: str, label: str | None, executor: str = "local") -> RoundInfo:
    """A new round of the set, planned; or the round to continue, checked."""
    if round_id is None:
        new = store.create_round(set_name, norm, label, executor=executor)
        planned = store.plan_round(new)
        info = store.round(new)
        console.print(f"round {info.label} (id {info.id}): {planned} tests planned on "
                      f"{'set ' + set_name if set_name else 'every domain'}, norm {norm}")
        return info
    info = store.round(round_id)
    if set_name is not None and set_name != info.set_name:
        raise CommandError(f"round {info.label} runs on set {info.set_name or '(all)'}, "
                           f"not {set_name}")
    if info.planned == 0:  # the run that created it stopped before planning it
        store.plan_round(round_id)
        info = store.round(round_id)
    going = "continuing" if info.done else "starting"
    console.print(f"round {info.label} (id {info.id}, {info.state}): {info.done} of "
                  f"{info.planned} tests done; {going}")
    if info.state == "running":
        console.print("[yellow]note[/]: the round is marked running (its runner was killed, "
                      "or still runs); a runner that still runs would do the same tests "
                      "again (each result is stored once): stop it first.")
    return info


def run(console: Console, set_name: str | None, round_id: int | None,
        overrides: dict[str, Any], label: str | None = None, part: str | None = None,
        executor: str = "local") -> int:
    """Run (or continue) a round to its end; the exit code."""
    settings = checked_settings(overrides)
    if executor not in EXECUTORS:
        raise CommandError(f"unknown executor {executor!r}: one of {', '.join(EXECUTORS)}")
    if executor == "celery":
        from meting.run.distributed import check_cluster
        check_cluster(settings)
    try:
        which = Part.parse(part) if part else None
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    with Store.open(settings.database, create=round_id is None, verify=True) as store:
        try:
            info = start_or_resume(store, console, set_name, round_id, settings.norm, label,
                                   executor)
        except StoreError as exc:
            raise CommandError(str(exc)) from exc
        if round_id is not None and overrides.get("norm") not in (None, info.norm):
            raise CommandError(f"round {info.label} is judged under norm {info.norm}; "
                               f"judge it again with: meting rejudge --round {info.id} "
                               f"--norm {overrides['norm']}")
        settings = dataclasses.replace(settings, norm=info.norm)
        try:
            info = execute(store, console, info, settings, which, executor)
        except RoundInterrupted as stop:
            console.print(summary_table(stop.info))
            console.print(f"[yellow]round {stop.info.label} interrupted[/]: {stop.info.done} "
                          f"of {stop.info.planned} tests done and stored.")
            console.print(f"Resume with: [bold]meting run --round {stop.info.id}[/]",
                          soft_wrap=True)
            return INTERRUPTED_EXIT
    console.print(summary_table(info))
    return 0


def execute(store: Store, console: Console, info: RoundInfo, settings: Settings,
            part: Part | None, executor_name: str = "local") -> RoundInfo:
    """Run the round to its end: on Celery, on one given part, or on every core here."""
    if executor_name == "celery":
        from meting.run.distributed import execute_distributed
        return execute_distributed(store, console, info, settings, part or Part())
    with round_collection():
        return _execute_local(store, console, info, settings, part)


def _execute_local(store: Store, console: Console, info: RoundInfo, settings: Settings,
                   part: Part | None) -> RoundInfo:
    if part is not None:  # one of P processes the user started; they share the limits
        return _execute_here(store, console, info, processes.share(settings, part.of), part)
    of = processes.how_many(settings, info.pending)
    if of == 1:
        return _execute_here(store, console, info, settings, Part())
    progress = RoundProgress(console, info)
    follow = Follower(store, info.id, progress)
    done = processes.run_parts(
        store, info, settings, of,
        lambda own, part: _run_part(store, info, own, part, progress, follow),
        _helper_part(info.id), follow, progress.shown)
    console.print(f"round {done.label}: {done.done - info.done} tests run now by {of} runner "
                  f"processes; {done.done} of {done.planned} done, {done.state}")
    return done


class Follower:
    """Brings the bar of a round on several processes up to date with the results the other
    processes stored, reading only those finished since the last look: reading the whole
    round every few seconds made a long round cost more per test the further it got."""

    def __init__(self, store: Store, round_id: int, progress: RoundProgress) -> None:
        self.store, self.round_id, self.progress = store, round_id, progress
        _, before = store.done_since(round_id, None)  # counted in the bar already
        progress.counted.update(test_id for test_id, _, _ in before)
        self.since = self._moved(None, before)

    def __call__(self) -> None:
        done, found = self.store.done_since(self.round_id, self.since, self.progress.counted)
        self.progress.catch_up(done, ((test_id, columns) for test_id, _, columns in found))
        self.since = self._moved(self.since, found)

    @staticmethod
    def _moved(since: dt.datetime | None,
               found: list[tuple[int, dt.datetime, dict[str, str]]]) -> dt.datetime | None:
        if not found:
            return since
        latest = max(finished for _, finished, _ in found) - COMMIT_MARGIN
        return latest if since is None else max(since, latest)


def _run_part(store: Store, info: RoundInfo, settings: Settings, part: Part,
              progress: RoundProgress, follow: Follower) -> RoundInfo:
    """This process's part of a round on several processes; the bar shows the whole round."""
    last = time.monotonic()

    def stored(outcome: Outcome, new: bool) -> None:
        nonlocal last
        progress.stored(outcome, new)
        if time.monotonic() - last > SYNC_SECONDS:
            follow()
            last = time.monotonic()

    return run_to_end(store, info.id, local_executor(settings, part), stored, part)


def _helper_part(round_id: int) -> processes.RunPart:
    """What a forked helper process runs: its part of the round with the part's settings,
    as ``meting run --round ID --part I/P`` would, without output; a failure as error
    lines on its standard error."""
    def run(settings: Settings, part: Part) -> int:
        try:
            with Store.open(settings.database, create=False) as store:
                _execute_here(store, Console(quiet=True), store.round(round_id), settings,
                              part)
        except (RoundInterrupted, KeyboardInterrupt):
            return INTERRUPTED_EXIT
        except Exception as exc:
            code, message = explain(exc)
            for line in message.splitlines():
                print(f"error: {line}", file=sys.stderr)
            return code
        return 0
    return run


def local_executor(settings: Settings, part: Part) -> AsyncioExecutor:
    """The in-process executor of a part, with the claims of its command's processes."""
    claims = Claims(part.claims) if part.claims is not None else None
    return AsyncioExecutor(settings, routing_data(settings), claims=claims)


def _execute_here(store: Store, console: Console, info: RoundInfo, settings: Settings,
                  part: Part) -> RoundInfo:
    executor = local_executor(settings, part)
    progress = RoundProgress(console, info)
    with progress.shown():
        done = run_to_end(store, info.id, executor, progress.stored, part)
    note = f", {progress.not_testable} not testable after retries" if progress.not_testable \
        else ""
    console.print(f"round {done.label}: {progress.new} tests run now{note}; "
                  f"{done.done} of {done.planned} done, {done.state}; "
                  f"{executor.shared_dns.hits:,} DNS answers and "
                  f"{executor.shared_scans.hits if executor.shared_scans else 0:,} TLS scans "
                  "shared between tests")
    return done


def rejudge(console: Console, round_id: int, norm: str | None) -> int:
    """Judge a round's stored evidence again under a norm; no network."""
    settings = checked_settings({"norm": norm})
    with Store.open(settings.database, create=False, verify=True) as store:
        try:
            before = store.round(round_id)
            judged = store.rejudge(round_id, settings.norm, judge_stored)
        except (StoreError, EvidenceError) as exc:
            raise CommandError(str(exc)) from exc
        except CannotJudge as exc:
            raise CommandError(f"round {round_id} was not judged again (nothing changed): "
                               f"{exc}; judge it under the norm it was measured with "
                               f"({before.norm}), or measure it again") from exc
        after = store.round(round_id)
    console.print(f"round {after.label}: {judged} tests judged again under norm "
                  f"{settings.norm} (was {before.norm})")
    console.print(summary_table(after))
    return 0
