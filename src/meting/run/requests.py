"""What both ways of running a round (in this process, on Celery workers) share: the
error for a request that cannot be carried out, and the settings it runs under."""

from __future__ import annotations

from typing import Any

from meting import norms
from meting.norms import resolution
from meting.settings import Settings, load


class CommandError(Exception):
    """A request that cannot be carried out; the message says what to do."""


def checked_settings(overrides: dict[str, Any]) -> Settings:
    try:
        settings = load(overrides)
        split = resolution.splits(norms.load(settings.norm))
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    if split:
        raise CommandError(f"norm {settings.norm} asks finer questions than the TLS probe "
                           f"answers: {split[0]}; split that bucket in "
                           "norms/tls-buckets.yaml (see docs/norms.md)")
    return settings
