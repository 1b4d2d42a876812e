"""Naming a finite-field DH group from the prime and generator a server sent.

The RFC 7919 groups are known by the SHA-256 of their prime (``ffdhe_groups.yaml``);
any other prime is a custom group (``None``), whatever its size.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources

import yaml


@cache
def _known() -> tuple[int, dict[str, str]]:
    data = yaml.safe_load((resources.files("meting.probe") / "ffdhe_groups.yaml").read_text())
    by_hash = {info["prime_sha256"]: name for name, info in data["groups"].items()}
    return int(data["generator"]), by_hash


def group_name(prime: bytes | bytearray, generator: bytes | bytearray) -> str | None:
    """``ffdhe2048`` … ``ffdhe8192`` for an RFC 7919 group, else None."""
    known_generator, by_hash = _known()
    if int.from_bytes(generator, "big") != known_generator:
        return None
    value = int.from_bytes(prime, "big")
    digest = hashlib.sha256(value.to_bytes((value.bit_length() + 7) // 8, "big")).hexdigest()
    return by_hash.get(digest)
