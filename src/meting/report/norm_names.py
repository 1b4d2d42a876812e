"""A norm version by its published name ('NCSC ICT-beveiligingsrichtlijnen voor TLS 2.1
(2021)'), not its file name ('2021'): the norm file's own ``published_name`` when it has
one, else ``report/data/norm-names.yaml``, else the version as stored."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def _fallback() -> dict[str, Any]:
    text = (resources.files("meting.report") / "data/norm-names.yaml").read_text("utf-8")
    names: dict[str, Any] = yaml.safe_load(text)["names"]
    return names


@cache
def _from_norm_file(version: str) -> Any:
    if not version or "/" in version or version.startswith("."):
        return None
    path = resources.files("meting.norms") / f"versions/{version}.yaml"
    if not path.is_file():
        return None
    data = yaml.safe_load(path.read_text("utf-8"))
    return data.get("published_name") if isinstance(data, dict) else None


def norm_name(version: str, lang: str) -> str:
    for found in (_from_norm_file(version), _fallback().get(version)):
        if isinstance(found, dict) and found.get(lang):
            return str(found[lang])
        if isinstance(found, str) and found:
            return found
    return version or "–"
