"""Five-field cron expressions (minute hour day month weekday) for schedules: lists,
ranges, steps and ``*``; weekday 0 or 7 is Sunday. When both day and weekday are
restricted, either matches (as cron does). All times are UTC."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12),
          ("weekday", 0, 7))
LOOK_BACK_DAYS = 800  # a schedule missed for longer than this runs for its last time anyway


class CronError(ValueError):
    pass


@dataclass(frozen=True)
class Cron:
    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, text: str) -> Cron:
        parts = text.split()
        if len(parts) != 5:
            raise CronError(f"a cron expression has five fields (minute hour day month "
                            f"weekday), e.g. \"0 2 1 3,9 *\"; not {text!r}")
        sets = [_field(p, name, low, high) for p, (name, low, high) in zip(parts, FIELDS,
                                                                            strict=True)]
        weekdays = frozenset(d % 7 for d in sets[4])
        return cls(" ".join(parts), sets[0], sets[1], sets[2], sets[3], weekdays,
                   parts[2] == "*", parts[4] == "*")

    def day_matches(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        by_day = day.day in self.days
        by_weekday = (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return by_day and by_weekday
        return by_day or by_weekday

    def latest(self, until: dt.datetime) -> dt.datetime | None:
        """The latest time the expression matches at or before `until` (UTC)."""
        until = until.astimezone(dt.UTC).replace(second=0, microsecond=0)
        for back in range(LOOK_BACK_DAYS):
            day = until.date() - dt.timedelta(days=back)
            if not self.day_matches(day):
                continue
            times = [dt.datetime.combine(day, dt.time(h, m), tzinfo=dt.UTC)
                     for h in self.hours for m in self.minutes]
            fitting = [t for t in times if t <= until]
            if fitting:
                return max(fitting)
        return None

    def due(self, after: dt.datetime, now: dt.datetime) -> dt.datetime | None:
        """The one time to act on now: the latest match after `after` and not after `now`
        (several missed times give one run, not one per time)."""
        latest = self.latest(now)
        return latest if latest is not None and latest > after else None


def _field(text: str, name: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if base == "*":
                start, end = low, high
            elif "-" in base:
                first, last = base.split("-", 1)
                start, end = int(first), int(last)
            else:
                start = end = int(base)
        except ValueError:
            raise CronError(f"cron {name} field {text!r} is not understood") from None
        if step < 1 or not low <= start <= end <= high:
            raise CronError(f"cron {name} field {text!r}: values must be {low}..{high}")
        if step_text and "-" not in base and base != "*":
            end = high
        values.update(range(start, end + 1, step))
    return frozenset(values)
