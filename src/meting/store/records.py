"""What the store hands out: plain frozen records, no database objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from meting.errors import InputError, OperationError
from meting.words import Said


class StoreError(InputError):
    """A request the store refuses; the message says why and what to do."""


class Refusal(Said, StoreError):
    """A StoreError worded in Dutch and English (a Message of a layer's messages.yaml):
    ``str()`` is English, ``text(lang)`` the words for the dashboard's viewer."""


class DomainConflict(StoreError):
    """Domains that a list gives to another organisation than the one they belong to."""

    def __init__(self, conflicts: list[tuple[str, str, str]], more: int = 0) -> None:
        self.conflicts = conflicts  # (domain, organisation stored or listed first, other)
        lines = [f"  {domain}: {first} and {second}" for domain, first, second in conflicts]
        if more:
            lines.append(f"  and {more:,} more")
        super().__init__("domains in two organisations (a domain belongs to one "
                         "organisation; move it explicitly or correct the list):\n"
                         + "\n".join(lines))


class StoreUnusable(OperationError):
    """A database that cannot be opened or used as it is; the message says how to recover."""


class RoundStateError(StoreError):
    """A round state change that the round's life cycle does not allow."""


@dataclass(frozen=True)
class ImportSummary:
    organisations_added: int = 0
    organisations_updated: int = 0
    domains_added: int = 0
    domains_updated: int = 0
    sets_added: int = 0

    @property
    def added(self) -> int:
        return self.organisations_added + self.domains_added + self.sets_added

    @property
    def updated(self) -> int:
        return self.organisations_updated + self.domains_updated


@dataclass(frozen=True)
class PlannedTest:
    test_id: int
    domain: str
    kind: str  # web or mail
    target: str


@dataclass(frozen=True)
class RoundInfo:
    id: int
    label: str
    set_name: str | None  # None: every domain in the registry
    date: dt.date
    norm: str
    state: str  # planned, running, interrupted, finished
    executor: str
    planned: int  # test rows in the round, done or not
    done: int
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    # kind -> column -> status -> number of done tests
    counts: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)

    @property
    def pending(self) -> int:
        return self.planned - self.done


@dataclass(frozen=True)
class StoredResult:
    test_id: int
    domain: str
    organisation: str
    category: str
    umbrella: str | None
    kind: str
    target: str
    columns: dict[str, str]  # column -> status
    subtests: dict[str, str]  # subtest -> status
    explanations: dict[str, Any] = field(default_factory=dict)  # column -> {"nl", "en"}
    subtest_explanations: dict[str, Any] = field(default_factory=dict)  # subtest -> {nl, en}
    finished_at: dt.datetime | None = None
    evidence: dict[str, Any] | None = None  # only when asked for: results(with_evidence=True)
    reaction: bool = False  # the organisation gave a formal reaction to this round
    parent: str = ""  # the organisation's parent organisation, "" when none


@dataclass(frozen=True)
class ImportedStatuses:
    """Column statuses of one domain measured elsewhere (SPEC §8 per-domain status CSV)."""

    domain: str  # punycode, as in the registry
    columns: dict[str, str]  # column -> status; any subset of the kind's columns
    reaction: bool = False  # the domain's organisation gave a formal reaction
    # column -> {"nl", "en"}: what the other tester said (e.g. Internet.nl's technical details)
    explanations: dict[str, Any] = field(default_factory=dict)
