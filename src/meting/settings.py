"""Scanner settings: a config file, then METING_* environment variables, then flags.

Flags override the environment, which overrides the file (``meting.toml`` in the
working directory, or the file named by ``METING_CONFIG``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Settings:
    resolver: str = "127.0.0.1"  # a validating resolver (the lab sets its own)
    trust_store: str = ""  # PEM file of trusted roots; empty: the system's
    rpki_vrps: str = ""  # VRP JSON (rpki-client / Routinator export)
    rpki_routes: str = ""  # RIS whois dump of prefix-to-origin routes
    database: str = "sqlite:///meting.db"
    norm: str = "2025"  # new rounds: NCSC TLS guidelines 2025-05 (norms/versions/2025.yaml)
    lang: str = "nl"  # language of `meting check` (nl or en)
    concurrency: int = 200  # tests at once in a round, over all its runner processes
    processes: int = 0  # runner processes of `meting run`; 0: one per core of the machine
    # Exchanges at once with one server address (and tests at once of one organisational
    # domain). 12: a browser opens 6 connections per host name, and only a hosting
    # server that serves many of a round's domains ever sees more than a few (one test's
    # handshakes go one after the other). At 50 ms round-trip time the lab's population
    # of shared hosts measured 284 domains/min with 10 and 323-329 with 12, where 300 is
    # wanted (docs/round-model.md: the model promises more; the runner reaches about
    # three quarters of it). 12 divides among 1, 2, 3, 4 or 6 runner processes (each
    # takes 1/P, rounded down) without losing a slot.
    per_address: int = 12
    dns_timeout: float = 3.0
    connect_timeout: float = 5.0
    smtp_banner_timeout: float = 10.0
    test_budget: float = 120.0  # seconds for one whole web or mail test
    retries: int = 2  # a test that raises or overruns its budget is run again
    retry_backoff: float = 5.0  # seconds before the first retry; doubles each time
    # Celery broker of `meting run --executor celery` and `meting worker`; it also keeps
    # the politeness limits shared by all workers (redis://HOST:PORT/DB or unix:///PATH)
    broker: str = "redis://127.0.0.1:6379/0"
    # the executor of the rounds a coordinator starts in the dashboard (meting serve):
    # local (a background thread of the server) or celery (meting worker processes)
    dashboard_executor: str = "local"
    # a running round without a new result for this long is shown as abandoned (its
    # runner is gone); longer than one test with all its retries
    abandoned_after: float = 900.0
    # what reading a file may cost (docs/errors-and-limits.md)
    max_file_bytes: int = 256 * 2**20  # a CSV or JSON file, or an XLSX file as stored
    max_xlsx_bytes: int = 256 * 2**20  # a workbook's parts, uncompressed
    max_xlsx_cells: int = 10_000_000  # cells read from a workbook's sheet
    # records kept of one DNS answer: so at most this many addresses of a host (A and
    # AAAA each) are tested, as Internet.nl tests at most 10 MX hosts
    max_answers: int = 32
    # seconds a round shares one TLS scan of a server (address, port, server name and
    # STARTTLS all the same: many domains' MX hosts) with the later tests that scan it;
    # 0: every test scans itself (probe/scan_sharing.py). Re-tests never share.
    tls_scan_sharing: float = 600.0
    # a test whose evidence (compressed) is larger than this is stored not_testable
    max_evidence_bytes: int = 2 * 2**20
    # Networks the probes may connect to although they are special-purpose addresses
    # (loopback, private, documentation, ...; see probe/guard.py), comma-separated CIDRs.
    # Empty: none. The lab sets its own ranges; nothing else should need this.
    allowed_networks: str = ""
    # discovery (meting discover): DNS questions per second from one run, at most
    discovery_rate: float = 20.0
    # certificate-transparency logs the ct source reads over their RFC 6962 API (base
    # URLs, comma-separated; `meting discover --ct-log` adds more), the newest entries a
    # run reads of each log at most, the entries asked per get-entries request (a log
    # may answer fewer) and the seconds one request may take
    ct_logs: str = ""
    ct_max_entries: int = 10_000
    ct_batch: int = 256
    ct_timeout: float = 20.0
    # Mail of the review cycle (meting.review): the SMTP relay that takes it, how to talk
    # to it (security: none, starttls or tls), who it is from, and the dashboard it links to
    smtp_host: str = ""  # empty: mails are queued and recorded, not sent
    smtp_port: int = 25
    smtp_security: str = "starttls"
    # PEM file of the CAs that may sign the relay's certificate; empty: the system's
    smtp_ca_file: str = ""
    smtp_user: str = ""  # empty: no login (SMTP AUTH) at the relay
    smtp_password: str = field(default="", repr=False)  # never shown
    mail_sender: str = "meting@localhost"
    mail_interval: float = 0.0  # seconds between two mails (a relay's rate limit)
    dashboard_url: str = "http://localhost:8000"
    # who runs re-tests (and, unless `meting scheduler --executor` says, scheduled rounds):
    # local (this process) or celery (the workers of `meting worker`, as `meting run
    # --executor celery`)
    review_executor: str = "local"
    # Internet.nl's batch API v2 (meting internetnl; docs/internetnl.md): its address up to
    # and including the version, the account, and the terms kept to (0: the values of
    # internetnl/data/terms.yaml). The password never appears in a repr or a message.
    internetnl_url: str = "https://batch.internet.nl/api/batch/v2"
    internetnl_user: str = ""
    internetnl_password: str = field(default="", repr=False)
    internetnl_max_domains: int = 0
    internetnl_requests_per_week: int = 0
    internetnl_poll: float = 30.0  # seconds before the first status poll; grows 1.5 times
    internetnl_poll_max: float = 900.0  # the longest wait between two polls
    internetnl_retries: int = 8  # failed calls in a row (5xx, no answer) before stopping


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
