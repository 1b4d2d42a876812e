"""Names already in stored evidence: MX hosts, CNAME targets, SPF include and redirect
targets, HTTP redirect targets and the names in presented certificates.

The evidence is walked as plain JSON, so every place a DNS answer, a chain or an HTTP
answer appears is read; which organisation a name belongs to is decided by the caller
(only names under an organisation's own domains become candidates: an MX or CNAME at a
supplier is the supplier's, and a shared certificate names other customers too).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509

from meting.discovery.ct import certificate_names

SPF_TARGET = re.compile(r"(?:^|\s)[+?~-]?(?:include:|redirect=|a:|mx:|exists:)([^\s/]+)",
                        re.IGNORECASE)
LOCATION_KEYS = frozenset({"location", "redirect", "redirect_to", "url"})


def names_in(evidence: Any) -> Iterator[tuple[str, str]]:
    """(name, what it was) for every name the evidence holds."""
    for key, value in _items(evidence):
        if key == "answers" and isinstance(value, list):
            yield from _answer_names(value)
        elif key == "cname_chain" and isinstance(value, list):
            yield from ((str(v), "CNAME target") for v in value)
        elif key == "chain" and isinstance(value, list) and value:
            yield from _chain_names(value)
        elif key in LOCATION_KEYS and isinstance(value, str) and "://" in value:
            host = urlsplit(value).hostname
            if host:
                yield host, "redirect target"
        elif key == "records" and isinstance(value, dict):
            for owner in value:  # the SPF tree: record owners are include/redirect targets
                yield str(owner), "SPF include"


def _items(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key), item
            yield from _items(item)
    elif isinstance(value, list):
        for item in value:
            yield from _items(item)


def _answer_names(answers: list[Any]) -> Iterator[tuple[str, str]]:
    for rdata in answers:
        if not isinstance(rdata, str):
            continue
        parts = rdata.split()
        if len(parts) == 2 and parts[0].isdigit() and parts[1].endswith("."):
            yield parts[1], "MX host"
        elif "v=spf1" in rdata.lower():
            for target in SPF_TARGET.findall(rdata.replace('"', " ")):
                if "%{" not in target:  # macros are not names
                    yield target, "SPF include"


def _chain_names(chain: list[Any]) -> Iterator[tuple[str, str]]:
    first = chain[0]
    if not isinstance(first, str):
        return
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode(first, validate=True))
    except (binascii.Error, ValueError):
        return
    for name in certificate_names(cert):
        yield name, "certificate name"
