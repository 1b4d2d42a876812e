"""Target derivation (SPEC §2): which host a domain's web test and mail test run on."""

from __future__ import annotations


def web_target(domain: str, web_host: str | None) -> str:
    """The explicit web host when the registry names one, else ``www.<domain>``."""
    return web_host if web_host else f"www.{domain}"


def mail_target(domain: str) -> str:
    """The mail test runs on the bare (registered) domain."""
    return domain
