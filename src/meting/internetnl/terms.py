"""The terms of use meting keeps to with Internet.nl's batch API (data/terms.yaml), and the
settings that override them."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import yaml

from meting.settings import Settings


@dataclass(frozen=True)
class Terms:
    max_domains: int  # per request
    requests_per_week: int  # in any 7 days


def terms(settings: Settings) -> Terms:
    text = (resources.files("meting.internetnl") / "data/terms.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    return Terms(settings.internetnl_max_domains or int(data["max_domains_per_request"]),
                 settings.internetnl_requests_per_week or int(data["max_requests_per_week"]))
