"""The review cycle's choices (data/review.yaml), validated once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml


@dataclass(frozen=True)
class ReviewConfig:
    label: str
    retest_limit: int
    retest_period: dt.timedelta
    mail_attempts: int
    retry_minutes: tuple[int, ...]
    every: dict[str, str]
    laggard_day: int

    def retry_after(self, attempts: int) -> dt.timedelta:
        """The wait before the next attempt after `attempts` failed ones."""
        index = min(max(attempts, 1), len(self.retry_minutes)) - 1
        return dt.timedelta(minutes=self.retry_minutes[index])


@cache
def config() -> ReviewConfig:
    raw = yaml.safe_load((resources.files("meting.review") / "data/review.yaml").read_text(
        encoding="utf-8"))
    retests, mail = raw["retests"], raw["mail"]
    found = ReviewConfig(
        label=f"{raw['name']} {raw['version']}", retest_limit=int(retests["per_organisation"]),
        retest_period=dt.timedelta(hours=float(retests["hours"])),
        mail_attempts=int(mail["attempts"]),
        retry_minutes=tuple(int(m) for m in mail["retry_minutes"]),
        every={str(k): str(v) for k, v in raw["every"].items()},
        laggard_day=int(raw["laggard_retests"]["day_of_month"]))
    if found.retest_limit < 1 or found.mail_attempts < 1 or not found.retry_minutes:
        raise ValueError("review.yaml: limits and attempts must be at least 1")
    if not 1 <= found.laggard_day <= 28:
        raise ValueError("review.yaml: laggard_retests.day_of_month must be 1..28")
    return found
