"""Evidence recorded from the lab (scripts/record-evidence), for the unit tests."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

RECORDED = Path(__file__).parent / "data" / "recorded"


def recorded_files() -> list[Path]:
    return sorted(RECORDED.glob("*.json"))


@cache
def _read(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDED / name).read_text(encoding="utf-8"))
    return data


def recording(name: str) -> dict[str, Any]:
    """The whole recording ``<scenario>.<kind>.json`` (a fresh copy)."""
    return copy.deepcopy(_read(name if name.endswith(".json") else f"{name}.json"))


def evidence(name: str) -> dict[str, Any]:
    """The evidence of one recording, e.g. ``evidence("perfect.web")`` (a fresh copy)."""
    found: dict[str, Any] = recording(name)["evidence"]
    return found


def dns_answer(name: str, rtype: str, answers: list[str] | tuple[str, ...] = (),
               cname_chain: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """A secure NOERROR answer in the evidence's shape."""
    return {"name": f"{name}.", "rtype": rtype, "server": "198.18.0.11", "rcode": "NOERROR",
            "ad": True, "cd_used": False, "answers": list(answers), "elapsed_ms": 1.0,
            "error": None, "security": "secure", "cname_chain": list(cname_chain),
            "transport": "udp", "attempts": 1, "authoritative": False, "aa": False}
