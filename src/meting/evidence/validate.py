"""The gate of the evidence: checked when a test is stored, checked and upgraded when loaded."""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter, ValidationError

from meting.evidence.models import (
    EVIDENCE_VERSION,
    MailEvidence,
    NotTestableEvidence,
    TestEvidence,
    WebEvidence,
)
from meting.evidence.upgrade import UpgradeError, upgrade, version_of

ADAPTER: TypeAdapter[Any] = TypeAdapter(TestEvidence)
SHOWN_ERRORS = 3  # in the one line a user sees


class EvidenceError(ValueError):
    """Evidence that does not match the schema; the message names the fields."""


def stamped(evidence: dict[str, Any]) -> dict[str, Any]:
    """The probe's evidence with the current version (the probes do not know it)."""
    evidence.setdefault("evidence_version", EVIDENCE_VERSION)
    return evidence


Typed = WebEvidence | MailEvidence | NotTestableEvidence


def as_json(evidence: dict[str, Any]) -> bytes:
    """The evidence as the JSON that is checked and stored (compact, UTF-8)."""
    return json.dumps(evidence, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def checked(evidence: dict[str, Any], raw: bytes | None = None) -> dict[str, Any]:
    """The evidence itself once it matches the current schema; ``raw``: its JSON if known."""
    typed(evidence, raw)
    return evidence


def typed(evidence: dict[str, Any], raw: bytes | None = None) -> Typed:
    """The evidence of the current version as its model (what the checks read);
    ``raw``: its JSON if known. EvidenceError when it does not match the schema."""
    if version_of(evidence) != EVIDENCE_VERSION:
        raise EvidenceError(f"evidence of version {version_of(evidence)} is stored only "
                            f"as version {EVIDENCE_VERSION}")
    try:
        model: Typed = ADAPTER.validate_json(raw if raw is not None else as_json(evidence))
    except ValidationError as exc:
        raise EvidenceError(describe(evidence, exc)) from None
    return model


def loaded(evidence: dict[str, Any], raw: bytes | None = None) -> dict[str, Any]:
    """Stored evidence of any version, upgraded to the current one and checked."""
    current = upgraded(evidence)
    return checked(current, raw if current is evidence else None)


def model_of(evidence: dict[str, Any], raw: bytes | None = None) -> Typed:
    """Evidence of any version as the model of the current one (upgraded, checked)."""
    current = upgraded(evidence)
    return typed(current, raw if current is evidence else None)


def upgraded(evidence: dict[str, Any]) -> dict[str, Any]:
    try:
        return upgrade(evidence)
    except UpgradeError as exc:
        raise EvidenceError(f"{where(evidence)}: {exc}") from None


def where(evidence: dict[str, Any]) -> str:
    return f"{evidence.get('kind', '?')} evidence of {evidence.get('target', '?')}"


def describe(evidence: dict[str, Any], exc: ValidationError) -> str:
    """One line: which fields are wrong and how (the first few)."""
    problems = []
    for error in exc.errors()[:SHOWN_ERRORS]:
        # the first loc element is the union's tag (web, mail, not_testable)
        path = ".".join(str(part) for part in error["loc"][1:]) or "(top)"
        problems.append(f"{path}: {error['msg']}")
    more = exc.error_count() - len(problems)
    tail = f" (and {more} more)" if more > 0 else ""
    return (f"{where(evidence)} does not match evidence schema {EVIDENCE_VERSION}: "
            + "; ".join(problems) + tail)
