"""Evidence as compressed JSON bytes: zlib when written, zlib or gzip when read.

Evidence is checked against its schema on the way in (it must be of the current
version) and on the way out (older versions are upgraded first), see
``meting.evidence``."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

from meting.evidence import checked, loaded

ENCODING = "zlib"


def as_json(evidence: dict[str, Any]) -> bytes:
    """The evidence as the JSON that is stored."""
    return json.dumps(evidence, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def encode(evidence: dict[str, Any], raw: bytes | None = None) -> tuple[bytes, int]:
    """Compressed bytes of the evidence and the size of its JSON before compression.
    ``raw``: its JSON (``as_json``) when the caller wrote it already; what is stored is
    checked against the schema either way."""
    raw = as_json(evidence) if raw is None else raw
    checked(evidence, raw)
    return zlib.compress(raw, 6), len(raw)


def decode(data: bytes, encoding: str) -> dict[str, Any]:
    if encoding == "zlib":
        raw = zlib.decompress(data)
    elif encoding == "gzip":
        raw = gzip.decompress(data)
    else:
        raise ValueError(f"unknown evidence encoding {encoding!r}")
    evidence = json.loads(raw)
    if not isinstance(evidence, dict):
        raise ValueError("stored evidence is not a JSON object")
    return loaded(evidence, raw)
