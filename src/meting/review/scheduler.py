"""``meting scheduler``: the long-running process of the review cycle.

Every tick it (1) continues a scheduled round whose runner stopped, (2) starts the round
of each schedule that is due — once, however many times were missed while it was down —,
(3) runs the monthly re-tests of laggards where a schedule asks for them, (4) finishes
re-tests whose process stopped, (5) closes reviews past their closing date and (6)
delivers due mails (retrying failed ones).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import signal
import threading
from collections.abc import Callable

from rich.console import Console

from meting.analysis.agreements import laggards
from meting.analysis.load import round_results
from meting.analysis.rules import counting_rules
from meting.review.config import config
from meting.review.cron import Cron
from meting.review.cycle import Cycle
from meting.review.mailer import deliver_due
from meting.review.retest import run_planned
from meting.run.command import execute
from meting.run.round import Part, RoundInterrupted
from meting.settings import Settings
from meting.store import RoundInfo, Store, StoreError
from meting.store.review_records import ScheduleInfo

Now = Callable[[], dt.datetime]
# Runs (or continues) a round to its end: the store, console, round, settings, executor.
Runner = Callable[[Store, Console, RoundInfo, Settings, str], RoundInfo]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def run_round(store: Store, console: Console, info: RoundInfo, settings: Settings,
              executor: str) -> RoundInfo:
    """A scheduled round run as ``meting run`` runs it (in this process or on Celery)."""
    settings = dataclasses.replace(settings, norm=info.norm)
    try:
        return execute(store, console, info, settings, Part(), executor)
    except RoundInterrupted as stop:
        return stop.info


def tick(store: Store, settings: Settings, console: Console, now: Now = utc_now,
         executor: str = "local", runner: Runner = run_round) -> list[str]:
    """One pass over everything that is due; what was done, in words. The executor runs
    the scheduled rounds and every re-test of this pass."""
    settings = dataclasses.replace(settings, review_executor=executor)
    cycle = Cycle(store, settings, now().date())
    done: list[str] = []
    for schedule in cycle.review.schedules():
        done += _schedule(cycle, schedule, console, now, executor, runner)
    stale = now() - dt.timedelta(seconds=2 * settings.test_budget * (settings.retries + 1))
    pending = cycle.review.pending_retests(stale)
    if pending:
        run_planned(cycle.review, pending, settings)
        done.append(f"{len(pending)} interrupted re-tests run")
    done += [f"review of round {w.label} closed (closing date {w.closes_on})"
             for w in cycle.close_expired()]
    delivery = deliver_due(cycle.review, settings, now)
    if delivery.stopped:
        done.append(f"mails stopped: {delivery.stopped}")
    elif delivery.sent or delivery.failed or delivery.uncertain:
        done.append(f"mails: {delivery.sent} sent, {delivery.failed} failed, "
                    f"{delivery.uncertain} uncertain")
    return done


def _schedule(cycle: Cycle, schedule: ScheduleInfo, console: Console, now: Now,
              executor: str, runner: Runner) -> list[str]:
    done = []
    store, settings = cycle.store, cycle.settings
    if schedule.last_round_id is not None:
        last = store.round(schedule.last_round_id)
        if last.state != "finished":
            runner(store, console, last, settings, executor)
            done.append(f"schedule {schedule.id}: round {last.label} continued")
    due = Cron.parse(schedule.cron).due(schedule.last_due or schedule.created_at, now())
    if due is not None:
        label = _label(store, due, schedule.label_pattern)
        round_id = store.create_round(schedule.set_name, settings.norm, label, date=due.date())
        store.plan_round(round_id)
        # recorded before running: a restart continues this round instead of starting one
        cycle.review.schedule_acted(schedule.id, due=due, round_id=round_id)
        info = runner(store, console, store.round(round_id), settings, executor)
        done.append(f"schedule {schedule.id}: round {info.label} for {due:%Y-%m-%d %H:%M} "
                    f"({info.state})")
    if schedule.retest_laggards:
        done += _laggard_retests(cycle, schedule, now())
    return done


def _label(store: Store, due: dt.datetime, pattern: str | None) -> str | None:
    if not pattern:
        return None  # the store's default: the month, with -2, -3 … when taken
    base = due.strftime(pattern)
    taken = {r.label for r in store.rounds()}
    label, n = base, 1
    while label in taken:
        n += 1
        label = f"{base}-{n}"
    return label


def _laggard_retests(cycle: Cycle, schedule: ScheduleInfo, moment: dt.datetime) -> list[str]:
    """Once a month (on review.yaml's day), re-test the laggards of the schedule's last
    finished round; re-tests, not rounds: that round's figures stay as they were."""
    if schedule.last_round_id is None or moment.day < config().laggard_day:
        return []
    last = cycle.store.round(schedule.last_round_id)
    month = (moment.year, moment.month)
    if last.state != "finished" or (last.date.year, last.date.month) == month:
        return []
    if schedule.last_retests and (schedule.last_retests.year,
                                  schedule.last_retests.month) == month:
        return []
    cycle.review.schedule_acted(schedule.id, retests=moment)
    behind = laggards(round_results(cycle.store, last, evidence_kinds=()), counting_rules())
    domains = sorted({d.domain for orgs in behind.values() for o in orgs for d in o.domains})
    for domain in domains:
        try:
            cycle.retest(last.label, domain, "schedule", in_review=False)
        except StoreError:
            continue  # the domain left the registry since the round
    return [f"schedule {schedule.id}: {len(domains)} laggards of round {last.label} re-tested"]


def run_forever(store: Store, settings: Settings, console: Console, interval: float,
                executor: str = "local") -> None:
    """Tick every `interval` seconds until SIGTERM or Ctrl-C."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.is_set():
            for line in tick(store, settings, console, executor=executor):
                console.print(f"{utc_now():%Y-%m-%d %H:%M:%S} {line}")
            stop.wait(interval)
    except KeyboardInterrupt:
        pass
    console.print("scheduler stopped")
