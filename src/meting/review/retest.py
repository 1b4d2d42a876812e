"""Re-tests on request: run at once through the round executor (same politeness limits
and retries as a round) and stored in the round beside the original result."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

from meting.run.executor import AsyncioExecutor, Outcome
from meting.settings import Settings
from meting.store import PlannedTest
from meting.store.review import ReviewStore
from meting.store.review_records import RetestResult
from meting.tester import routing_data


@dataclass(frozen=True)
class RetestRun:
    retests: list[RetestResult]
    before: dict[tuple[str, str], str]  # (kind, column) -> status in the round's result


def run_planned(review: ReviewStore, planned: list[PlannedTest], settings: Settings) -> None:
    """Run planned re-tests to their outcome; each is stored the moment it is in."""
    if not planned:
        return
    executor = AsyncioExecutor(settings, routing_data(settings))

    def store(outcome: Outcome) -> None:
        review.save_retest(outcome.test.test_id, outcome.evidence, outcome.judged,
                           outcome.attempts)

    asyncio.run(executor.run(planned, store))


def retest(review: ReviewStore, round_id: int, domain: str, requested_by: str,
           settings: Settings, today: dt.date, kinds: tuple[str, ...] = ("web", "mail"),
           in_review: bool = True) -> RetestRun:
    """Plan (refused outside the round, outside its open review, or past the
    organisation's limit), run and store the re-tests of one domain."""
    from meting.review.config import config

    rules = config()
    limit = None if requested_by == "schedule" else (rules.retest_limit, rules.retest_period)
    planned = review.plan_retests(round_id, domain, requested_by, today, limit, kinds,
                                  in_review)
    run_planned(review, planned, settings)
    done = review.retests(round_id, ids=[p.test_id for p in planned])
    before = {(kind, column): status for kind, column, status in
              review.original_statuses(round_id, domain)}
    return RetestRun(done, before)
