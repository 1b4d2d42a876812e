"""Scanner settings: a config file, then METING_* environment variables, then flags.

Flags override the environment, which overrides the file (``meting.toml`` in the
working directory, or the file named by ``METING_CONFIG``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Settings:
    resolver: str = "127.0.0.1"  # a validating resolver (the lab sets its own)
    trust_store: str = ""  # PEM file of trusted roots; empty: the system's
    rpki_vrps: str = ""  # VRP JSON (rpki-client / Routinator export)
    rpki_routes: str = ""  # RIS whois dump of prefix-to-origin routes
    database: str = "sqlite:///meting.db"
    norm: str = "current"
    concurrency: int = 200
    per_address: int = 4  # concurrent tests per server address
    dns_timeout: float = 3.0
    connect_timeout: float = 5.0
    smtp_banner_timeout: float = 10.0
    test_budget: float = 120.0  # seconds for one whole web or mail test
    retries: int = 2  # a test that raises or overruns its budget is run again
    retry_backoff: float = 5.0  # seconds before the first retry; doubles each time
    # Celery broker of `meting run --executor celery` and `meting worker`; it also keeps
    # the politeness limits shared by all workers (redis://HOST:PORT/DB or unix:///PATH)
    broker: str = "redis://127.0.0.1:6379/0"
    # Mail of the review cycle (meting.review): the SMTP relay that takes it, how to talk
    # to it (security: none, starttls or tls), who it is from, and the dashboard it links to
    smtp_host: str = ""  # empty: mails are queued and recorded, not sent
    smtp_port: int = 25
    smtp_security: str = "starttls"
    smtp_user: str = ""
    smtp_password: str = ""
    mail_sender: str = "meting@localhost"
    mail_interval: float = 0.0  # seconds between two mails (a relay's rate limit)
    dashboard_url: str = "http://localhost:8000"


def load(overrides: dict[str, Any] | None = None) -> Settings:
    settings = Settings()
    config = Path(os.environ.get("METING_CONFIG", "meting.toml"))
    if config.is_file():
        settings = apply(settings, tomllib.loads(config.read_text()).get("meting", {}))
    env = {f.name: os.environ[f"METING_{f.name.upper()}"] for f in fields(Settings)
           if f"METING_{f.name.upper()}" in os.environ}
    settings = apply(settings, env)
    return apply(settings, {k: v for k, v in (overrides or {}).items() if v is not None})


def apply(settings: Settings, values: dict[str, Any]) -> Settings:
    known = {f.name: f for f in fields(Settings)}
    unknown = set(values) - set(known)
    if unknown:
        raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
    converted: dict[str, Any] = {}
    for name, value in values.items():
        kind = type(getattr(Settings(), name))
        try:
            converted[name] = kind(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"setting {name}: {value!r} is not a {kind.__name__}") from exc
    return replace(settings, **converted)
