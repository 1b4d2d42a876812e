"""web_ipv46: the site over IPv4 and IPv6 compared as Internet.nl compares them.

What is compared and the threshold are data: ``checks/data/same_site.yaml``.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def rules() -> dict[str, Any]:
    text = (resources.files("meting.checks") / "data/same_site.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def max_distance() -> float:
    return float(rules()["max_distance"])


def cleaned(page: str) -> str:
    text = page[: int(rules()["max_bytes"])]
    for pattern in rules()["strip"]:
        text = re.sub(pattern, "", text, flags=re.IGNORECASE)
    return text


def page_distance(page4: str, page6: str) -> float:
    """0 for the same text, 100 for texts without a character in common."""
    ratio = SequenceMatcher(None, cleaned(page4), cleaned(page6), autojunk=False).quick_ratio()
    return round(100 - 100 * ratio, 1)
