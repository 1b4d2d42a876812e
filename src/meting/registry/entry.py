"""A domain of the registry as a list file gives it, checked and normalised."""

from __future__ import annotations

from dataclasses import dataclass

from meting.registry import targets


@dataclass(frozen=True)
class ListEntry:
    """One domain of a list; `line` is the line (CSV) or row (XLSX) the user sees."""

    line: int
    organisation: str
    category: str  # identifier of SPEC §2: rijk, uitvoering, provincie, gemeente, ...
    domain: str  # punycode, lower case, no trailing dot
    web: bool
    web_host: str | None  # explicit web host in punycode; None = derive www.<domain>
    mail: bool
    umbrella: str | None
    provider: str | None  # shared service provider / regional IT partnership
    sets: tuple[str, ...]
    parent: str | None = None  # parent organisation, e.g. the ministry of an agency

    @property
    def web_target(self) -> str | None:
        """The host the web test runs on; None when the domain has no web role."""
        return targets.web_target(self.domain, self.web_host) if self.web else None

    @property
    def mail_target(self) -> str | None:
        """The domain the mail test runs on; None when the domain has no mail role."""
        return targets.mail_target(self.domain) if self.mail else None
