"""Evidence as compressed JSON bytes: zlib when written, zlib or gzip when read."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

ENCODING = "zlib"


def encode(evidence: dict[str, Any]) -> tuple[bytes, int]:
    """Compressed bytes of the evidence and the size of its JSON before compression."""
    raw = json.dumps(evidence, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
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
    return evidence
