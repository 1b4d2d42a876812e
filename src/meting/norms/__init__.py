"""The norms layer: data files that say how evidence is judged, each with a version.

A norm version (``norms/versions/<version>.yaml``) holds what changes when the
NCSC guidelines change: the TLS classification tables and the HSTS minimum.
A round records the version that judged it, so it can be judged again under
another one (``meting rejudge``).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

Norm = dict[str, Any]


class UnknownNorm(ValueError):
    pass


def versions() -> list[str]:
    folder = resources.files("meting.norms") / "versions"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir()
                  if p.name.endswith(".yaml"))


@cache
def load(version: str) -> Norm:
    """The norm of this version; ``UnknownNorm`` names the versions that exist."""
    if version not in versions():
        raise UnknownNorm(f"unknown norm version {version!r}; known: {', '.join(versions())}")
    text = (resources.files("meting.norms") / "versions" / f"{version}.yaml").read_text()
    norm: Norm = yaml.safe_load(text)
    if norm.get("version") != version:
        raise UnknownNorm(f"norm file {version}.yaml says it is version {norm.get('version')!r}")
    return norm
