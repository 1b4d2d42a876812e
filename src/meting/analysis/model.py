"""The analysis input: plain records of one round's stored statuses.

The analysis works on these, never on the store itself, so every figure is a pure
function of a ``RoundResults`` (and, for trends, of several). The store adapter
(``analysis/load.py``) and the CSV/JSON importers produce them.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

KINDS = ("web", "mail")


@dataclass(frozen=True)
class Finding:
    """A status with its explanation in Dutch and English (a subtest or a column)."""

    status: str
    nl: str = ""
    en: str = ""


@dataclass(frozen=True)
class DomainResult:
    """One test (web or mail) of one domain in a round: its column statuses and context.

    ``columns`` maps a report column of SPEC §4 to its status (SPEC §3); a round measured
    elsewhere may carry only some columns. ``mx_hosts``, ``nameservers``, ``web_host`` and
    ``addresses`` (of the MX hosts for mail, of the web host for web) and ``host_aliases``
    (the web host's CNAME targets, which often name the hosting provider) feed the supplier
    analysis; ``details`` (per column) and ``subtests`` feed the per-domain pages.
    """

    domain: str
    organisation: str
    category: str
    umbrella: str
    kind: str
    columns: Mapping[str, str]
    reaction: bool = False
    mx_hosts: tuple[str, ...] = ()
    nameservers: tuple[str, ...] = ()
    web_host: str | None = None
    addresses: tuple[str, ...] = ()
    host_aliases: tuple[str, ...] = ()  # CNAME targets of the web host, in order
    target: str | None = None
    details: Mapping[str, Finding] = field(default_factory=dict)
    subtests: Mapping[str, Finding] = field(default_factory=dict)
    parent: str = ""  # the parent organisation (e.g. the ministry of an agency), "" if none
    explained: Mapping[str, str] = field(default_factory=dict)  # column -> accepted reason
    retested: bool = False  # the columns are those of a re-test during the review


@dataclass(frozen=True)
class ReviewCounts:
    """What the review cycle did to a round's results, under the counting rules' choices."""

    retests_rule: str
    retests_done: int  # re-tests finished before the review closed
    retests_used: int  # of those, the ones that replaced a result (0 when the rule says no)
    explanations_rule: str
    explanations: int  # accepted explanations holding for the round
    explanations_counted: int  # of those, the ones that changed a counted status

    def to_json(self) -> dict[str, object]:
        return {"retests": {"rule": self.retests_rule, "done": self.retests_done,
                            "used": self.retests_used},
                "explanations": {"rule": self.explanations_rule,
                                 "accepted": self.explanations,
                                 "counted": self.explanations_counted}}


@dataclass(frozen=True)
class RoundResults:
    """A round: when, on which domain set, judged under which norm, and its results.

    ``reactions`` maps an organisation to the text of its formal reaction; every domain
    of such an organisation gets the asterisk in the appendix.
    """

    round_id: str
    label: str
    date: datetime.date
    set_name: str
    norm: str
    rows: Sequence[DomainResult]
    reactions: Mapping[str, str] = field(default_factory=dict)
    review: ReviewCounts | None = None

    def of_kind(self, kind: str) -> list[DomainResult]:
        return [row for row in self.rows if row.kind == kind]

    def has_reaction(self, row: DomainResult) -> bool:
        return row.reaction or row.organisation in self.reactions
