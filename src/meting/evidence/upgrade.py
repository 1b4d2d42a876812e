"""Upgrade steps: evidence stored by an earlier version, in the current shape.

Each step takes the evidence of version N (a plain dict, as decoded from the store) and
returns that of version N + 1; ``upgrade`` applies them in order. A step never guesses
what was not measured: it renames, restructures or fills in what the older probe
recorded in another form, and says in its docstring which code wrote version N.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from meting.evidence.models import EVIDENCE_VERSION

Evidence = dict[str, Any]


class UpgradeError(ValueError):
    """Stored evidence that no upgrade step can bring to the current version."""


def version_of(evidence: Evidence) -> int:
    """The evidence's version; evidence without ``evidence_version`` is version 1."""
    version = evidence.get("evidence_version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise UpgradeError(f"evidence_version {version!r} is not a version number")
    return version


def tls_scans(evidence: Evidence) -> Iterator[dict[str, Any]]:
    """Every TLS scan in the evidence: per web address, per MX address (STARTTLS)."""
    if evidence.get("kind") == "web":
        yield from (evidence.get("tls") or {}).values()
    for mx in evidence.get("mx") or []:
        yield from (mx.get("starttls") or {}).values()


def v1_to_v2(evidence: Evidence) -> Evidence:
    """Version 1: evidence of the rounds of meting before the schema (no version key).

    The first rounds' TLS scans recorded finite-field DH key exchange as sizes only
    (``ffdhe_bits: [2048]``); from then on as groups (``ffdhe: [{"group": "ffdhe2048"
    | None, "bits": 2048}]``). A size alone says nothing about the group, so it
    becomes a group of None (a prime not known to be from RFC 7919) — as the checks
    already judged it. Evidence of a test that could not be run is unchanged apart from
    its version.
    """
    if "not_testable" not in evidence and evidence.get("kind") == "web" \
            and "tls" not in evidence:
        raise UpgradeError("web evidence without TLS scans is from before meting stored "
                           "rounds; it cannot be judged again")
    upgraded = copy.deepcopy(evidence)
    for scan in tls_scans(upgraded):
        if "ffdhe_bits" in scan:
            bits = scan.pop("ffdhe_bits") or []
            scan.setdefault("ffdhe", [{"group": None, "bits": b} for b in bits])
    upgraded["evidence_version"] = 2
    return upgraded


STEPS: dict[int, Callable[[Evidence], Evidence]] = {1: v1_to_v2}


def upgrade(evidence: Evidence) -> Evidence:
    """The evidence in the current version's shape (the same dict when it is current)."""
    version = version_of(evidence)
    if version > EVIDENCE_VERSION:
        raise UpgradeError(f"evidence version {version} is newer than this meting knows "
                           f"({EVIDENCE_VERSION}); update meting")
    while version < EVIDENCE_VERSION:
        evidence = STEPS[version](evidence)
        following = version_of(evidence)
        assert following == version + 1, f"upgrade step {version} gave version {following}"
        version = following
    return evidence
