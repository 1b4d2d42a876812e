"""Re-tests on request: run at once through the round executor (same politeness limits
and retries as a round) and stored in the round beside the original result."""

from __future__ import annotations

import asyncio
import dataclasses
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


class RetestError(ValueError):
    """Re-tests cannot run as configured (the executor); the message says what to change."""


EXECUTORS = ("local", "celery")


def check_executor(settings: Settings) -> None:
    """Before anything is planned: the review executor can run here (RetestError)."""
    if settings.review_executor not in EXECUTORS:
        raise RetestError(f"review_executor {settings.review_executor!r}: local or celery")
    if settings.review_executor == "celery":
        from meting.run.celery_app import DistributedError, check_shared

        try:
            check_shared(settings)
        except DistributedError as exc:
            raise RetestError(str(exc)) from exc


def run_planned(review: ReviewStore, planned: list[PlannedTest], settings: Settings,
                round_id: int = 0) -> None:
    """Run planned re-tests to their outcome, in this process or (review_executor celery)
    on the Celery workers; each is stored the moment it is in."""
    if not planned:
        return
    check_executor(settings)
    if settings.review_executor == "celery":
        _on_celery(review, planned, settings, round_id)
        return
    executor = retest_executor(settings)

    def store(outcome: Outcome) -> None:
        review.save_retest(outcome.test.test_id, outcome.evidence, outcome.judged,
                           outcome.attempts)

    asyncio.run(executor.run(planned, store))


def retest_executor(settings: Settings) -> AsyncioExecutor:
    """In-process re-tests: no scan shared, a re-test measures the server as it is now."""
    return AsyncioExecutor(settings, routing_data(settings), share_scans=False)


def _on_celery(review: ReviewStore, planned: list[PlannedTest], settings: Settings,
               round_id: int) -> None:
    """The workers store each re-test; a re-test not run (broker away) stays planned and
    the scheduler runs it later."""
    import kombu.exceptions
    import redis.exceptions

    from meting.run.distributed import CeleryRetests

    executor = CeleryRetests(settings, round_id, review.finished_retests)
    try:
        asyncio.run(executor.run(planned, lambda _outcome: None))
    except (kombu.exceptions.OperationalError, redis.exceptions.ConnectionError) as exc:
        raise RetestError(f"the broker {settings.broker} cannot be reached ({exc}); the "
                          f"re-tests stay planned and meting scheduler runs them later") \
            from exc


def retest(review: ReviewStore, round_id: int, domain: str, requested_by: str,
           settings: Settings, today: dt.date, kinds: tuple[str, ...] = ("web", "mail"),
           in_review: bool = True) -> RetestRun:
    """Plan (refused outside the round, outside its open review, or past the
    organisation's limit), run and store the re-tests of one domain."""
    from meting.review.config import config

    check_executor(settings)
    rules = config()
    limit = None if requested_by == "schedule" else (rules.retest_limit, rules.retest_period)
    planned = review.plan_retests(round_id, domain, requested_by, today, limit, kinds,
                                  in_review)
    # judged under the round's norm, so that it stands beside the original
    settings = dataclasses.replace(settings, norm=review.store.round(round_id).norm)
    run_planned(review, planned, settings, round_id)
    done = review.retests(round_id, ids=[p.test_id for p in planned])
    before = {(kind, column): status for kind, column, status in
              review.original_statuses(round_id, domain)}
    return RetestRun(done, before)
