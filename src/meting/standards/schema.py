"""The schema of the standards register (``standards/data/standards.yaml``): the standards
of the 'pas toe of leg uit' list that meting measures, their admission procedure, and the
target agreements (streefbeeldafspraken) that link them to deadlines and report columns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Sequence
from typing import Literal

from pydantic import Field, model_validator

from meting.norms.schema import Legal, Strict

ListName = Literal["pas_toe_of_leg_uit", "aanbevolen"]
Step = Literal["intake", "expert_group", "public_consultation", "forum_advice",
               "obdo_decision"]
Kind = Literal["web", "mail"]
STEPS: tuple[Step, ...] = ("intake", "expert_group", "public_consultation", "forum_advice",
                           "obdo_decision")
LISTS: tuple[ListName, ...] = ("pas_toe_of_leg_uit", "aanbevolen")


class Words(Strict):
    nl: str = Field(min_length=1)
    en: str = Field(min_length=1)


# A text of the register that reads the same in Dutch and English (a name, an RFC number)
# is one string; one with words of a language gives both.
Text = str | Words


def said(text: Text, lang: str) -> str:
    """The text in ``lang`` (nl or en)."""
    return text if isinstance(text, str) else str(getattr(text, lang))


class ProcedureStep(Strict):
    step: Step
    date: dt.date | None = None
    outcome: Words | None = None


class Standard(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    on_list: ListName = Field(alias="list")  # which list of the Forum
    version: Text = ""
    scope: Words
    steward: Text = ""
    admitted: dt.date | int | None = None  # a day, or only the year where the source says so
    # A standard with the predicate "excellent stewardship" (predicaat "excellent beheer")
    # needs no review for a new version; others take the light procedure for a version.
    excellent_stewardship: bool = False
    procedure: list[ProcedureStep] = Field(default_factory=list)
    sources: list[Text] = Field(default_factory=list)

    @model_validator(mode="after")
    def steps_in_order(self) -> Standard:
        order = [STEPS.index(s.step) for s in self.procedure]
        if order != sorted(set(order)):
            raise ValueError("procedure: each step at most once, in the order "
                             + ", ".join(STEPS))
        return self

    def step(self, name: str) -> ProcedureStep | None:
        return next((s for s in self.procedure if s.step == name), None)

    def version_in(self, lang: str) -> str:
        return said(self.version, lang)

    def steward_in(self, lang: str) -> str:
        return said(self.steward, lang)

    def sources_in(self, lang: str) -> list[str]:
        return [said(source, lang) for source in self.sources]

    def review_for_new_version(self) -> str:
        """'none' with excellent stewardship, else 'light' (a version change)."""
        return "none" if self.excellent_stewardship else "light"


class Agreement(Strict):
    standard: str
    kind: Kind
    column: str
    deadline: int | None = Field(default=None, ge=2000, le=2100)
    streefbeeld: bool = False  # counted in "fully compliant"
    agreement: bool | None = None  # in the agreements table (default: when streefbeeld)
    listed_since: int | None = Field(default=None, ge=2000, le=2100)
    legal: Legal | None = None
    source: str | None = None

    @property
    def in_table(self) -> bool:
        return self.streefbeeld if self.agreement is None else self.agreement


class Register(Strict):
    name: Literal["standards"]
    version: str
    standards: list[Standard] = Field(min_length=1)
    legal: dict[str, Legal] = Field(default_factory=dict)  # named once, referred to by anchor
    agreements: list[Agreement] = Field(default_factory=list)

    @model_validator(mode="after")
    def references_hold(self) -> Register:
        ids = [s.id for s in self.standards]
        if len(set(ids)) != len(ids):
            raise ValueError(f"standards: an id occurs twice ({_twice(ids)})")
        pairs = [(a.kind, a.column) for a in self.agreements]
        if len(set(pairs)) != len(pairs):
            raise ValueError("agreements: a column has two agreements "
                             f"({_twice(pairs)})")
        for a in self.agreements:
            if a.standard not in ids:
                raise ValueError(f"agreements: {a.kind}/{a.column} names standard "
                                 f"{a.standard!r}, which the register lacks")
        return self

    def standard(self, standard_id: str) -> Standard | None:
        return next((s for s in self.standards if s.id == standard_id), None)

    def agreements_of(self, standard_id: str) -> list[Agreement]:
        return [a for a in self.agreements if a.standard == standard_id]

    def agreement_for(self, kind: str, column: str) -> Agreement | None:
        return next((a for a in self.agreements if (a.kind, a.column) == (kind, column)), None)


def _twice(items: Sequence[Hashable]) -> str:
    seen: set[Hashable] = set()
    for item in items:
        if item in seen:
            return "/".join(item) if isinstance(item, tuple) else str(item)
        seen.add(item)
    return "?"
