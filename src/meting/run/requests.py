"""What both ways of running a round (in this process, on Celery workers) share: the
error for a request that cannot be carried out, and the settings it runs under."""

from __future__ import annotations

from typing import Any

from meting import norms
from meting.settings import Settings, load


class CommandError(Exception):
    """A request that cannot be carried out; the message says what to do."""


def checked_settings(overrides: dict[str, Any]) -> Settings:
    try:
        settings = load(overrides)
        norms.load(settings.norm)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    return settings
