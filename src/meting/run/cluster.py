"""Who works on distributed rounds: the Celery workers that answer now, and the tests each is
running (for the scan monitor). Asked through the Celery app's control API with a short
timeout; a broker that does not answer is reported, not raised."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import kombu.exceptions
import redis.exceptions
from celery import Celery

from meting.run.celery_app import TASK

ASK_TIMEOUT = 1.0  # seconds a worker has to answer


@dataclass(frozen=True)
class WorkerInfo:
    name: str
    running: int  # tests it is running now
    rounds: dict[int, int] = field(default_factory=dict)  # round id -> tests running


@dataclass(frozen=True)
class Cluster:
    workers: list[WorkerInfo]
    problem: str | None = None  # why the broker could not be asked

    def of_round(self, round_id: int) -> list[str]:
        return [w.name for w in self.workers if round_id in w.rounds]


def ask(app: Celery, timeout: float = ASK_TIMEOUT) -> Cluster:
    """The workers that answer a ping, with their active tests per round."""
    try:
        answers = app.control.ping(timeout=timeout) or []
        names = sorted(name for answer in answers for name in answer)
        active: dict[str, Any] = {}
        if names:
            active = app.control.inspect(destination=names, timeout=timeout).active() or {}
    except (kombu.exceptions.OperationalError, redis.exceptions.RedisError, OSError) as exc:
        return Cluster([], f"{type(exc).__name__}: {exc}")
    return Cluster([_info(name, active.get(name) or []) for name in names])


def _info(name: str, tasks: list[dict[str, Any]]) -> WorkerInfo:
    rounds: Counter[int] = Counter()
    for task in tasks:
        if task.get("name") != TASK:
            continue
        kwargs = task.get("kwargs") or {}
        if isinstance(kwargs, dict) and isinstance(kwargs.get("round_id"), int):
            rounds[kwargs["round_id"]] += 1
    return WorkerInfo(name, len(tasks), dict(rounds))
