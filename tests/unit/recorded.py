"""Evidence recorded from the lab (scripts/record-evidence), for the unit tests."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from meting.evidence import loaded
from meting.evidence.models import MailEvidence, WebEvidence

M = TypeVar("M", bound=BaseModel)

RECORDED = Path(__file__).parent / "data" / "recorded"
# a few recordings of evidence version 2 (TLS scans classed by the norm "current"),
# kept as meting wrote them, for the upgrade tests
RECORDED_V2 = Path(__file__).parent / "data" / "recorded-v2"


def recorded_files() -> list[Path]:
    return sorted(RECORDED.glob("*.json"))


def recorded_v2_files() -> list[Path]:
    return sorted(RECORDED_V2.glob("*.json"))


@cache
def _read(name: str) -> dict[str, Any]:
    """A recording of recorded/, or of recorded-v2/ when only that one has it."""
    path = RECORDED / name if (RECORDED / name).exists() else RECORDED_V2 / name
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def evidence_v2(name: str) -> dict[str, Any]:
    """The evidence of a version-2 recording as meting stored it (not upgraded)."""
    path = RECORDED_V2 / (name if name.endswith(".json") else f"{name}.json")
    found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["evidence"]
    return found


def recording(name: str) -> dict[str, Any]:
    """The whole recording ``<scenario>.<kind>.json`` (a fresh copy)."""
    return copy.deepcopy(_read(name if name.endswith(".json") else f"{name}.json"))


def evidence(name: str) -> dict[str, Any]:
    """The evidence of one recording, e.g. ``evidence("perfect.web")`` (a fresh copy), in
    the current version: recordings of an earlier version are upgraded as on load."""
    found: dict[str, Any] = loaded(recording(name)["evidence"])
    return found


def raw_version(name: str) -> int:
    """The evidence version the recording was made with."""
    version: int = recording(name)["evidence"]["evidence_version"]
    return version


def dns_answer(name: str, rtype: str, answers: list[str] | tuple[str, ...] = (),
               cname_chain: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """A secure NOERROR answer in the evidence's shape."""
    return {"name": f"{name}.", "rtype": rtype, "server": "198.18.0.11", "rcode": "NOERROR",
            "ad": True, "cd_used": False, "answers": list(answers), "elapsed_ms": 1.0,
            "error": None, "security": "secure", "cname_chain": list(cname_chain),
            "transport": "udp", "attempts": 1, "authoritative": False, "aa": False}


def as_model(cls: type[M], data: dict[str, Any]) -> M:
    """Hand-built evidence (a dict in the probe's JSON shape) as its model, validated as
    the store validates it: a key the schema does not know, or one it needs, fails here."""
    return cls.model_validate_json(json.dumps(data))


def web(data: dict[str, Any]) -> WebEvidence:
    """Whole web evidence of the current version as the model the checks read."""
    return as_model(WebEvidence, data)


def mail(data: dict[str, Any]) -> MailEvidence:
    """Whole mail evidence of the current version as the model the checks read."""
    return as_model(MailEvidence, data)


def recorded_web(name: str) -> WebEvidence:
    return web(evidence(name))


def recorded_mail(name: str) -> MailEvidence:
    return mail(evidence(name))
