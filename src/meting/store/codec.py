"""Evidence as compressed JSON bytes: zlib when written, zlib or gzip when read.

Evidence is checked against its schema on the way in (it must be of the current
version) and on the way out (older versions are upgraded first), see
``meting.evidence``."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

from meting.evidence import as_json, checked, loaded

ENCODING = "zlib"
__all__ = ["ENCODING", "as_json", "decode", "encode"]


def encode(evidence: dict[str, Any], raw: bytes | None = None,
           raw_checked: bool = False) -> tuple[bytes, int]:
    """Compressed bytes of the evidence and the size of its JSON before compression.
    ``raw``: its JSON (``as_json``) when the caller wrote it already; it is checked against
    the schema unless the caller checked exactly these bytes (``raw_checked``: a runner
    validates a test's JSON once, to judge it)."""
    if raw is None:
        raw, raw_checked = as_json(evidence), False
    if not raw_checked:
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
