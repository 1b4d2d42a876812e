"""The RFC 7208 test suite of the SPF project (tests/unit/data/spf/rfc7208-tests.yml,
shipped with pyspf under its licence) read as cases meting's SPF evaluation can take.

A case is a domain (from the MAIL FROM, or HELO when it is empty), the suite's zone data
turned into the TXT strings meting's evaluator reads (the suite's SPF-type records stand
in for TXT where a name has no TXT, as its own drivers do; RFC 7208 dropped type SPF),
and the result(s) the suite accepts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SUITE = Path(__file__).parent / "data" / "spf" / "rfc7208-tests.yml"
INCOMPARABLE = Path(__file__).parent / "data" / "spf" / "incomparable.yaml"


@dataclass(frozen=True)
class Case:
    name: str
    section: str
    domain: str
    results: tuple[str, ...]
    records: dict[str, list[str]]  # name -> TXT strings (SPF selection is meting's)
    no_answer: frozenset[str]  # names whose TXT lookup times out
    description: str


def _txt_of(name: str, rdata: list[Any]) -> tuple[list[str], bool]:
    """The TXT strings a name answers with, and whether its TXT lookup times out."""
    txt: list[str] = []
    spf: list[str] = []
    timeout = False
    has_txt = False
    for entry in rdata:
        if entry == "TIMEOUT":
            timeout = timeout or not txt
            continue
        for rtype, value in entry.items():
            if rtype not in ("TXT", "SPF"):
                continue
            if value == "TIMEOUT":
                timeout = timeout or rtype == "TXT"
                continue
            text = "".join(value) if isinstance(value, list) else str(value)
            if rtype == "TXT":
                has_txt = True
                if text != "NONE":
                    txt.append(text)
            elif text != "NONE":
                spf.append(text)
    return (txt if has_txt else spf), timeout


def load_cases() -> list[Case]:
    cases: list[Case] = []
    for scenario in yaml.safe_load_all(SUITE.read_text(encoding="utf-8")):
        records: dict[str, list[str]] = {}
        no_answer: set[str] = set()
        aliases: dict[str, str] = {}
        for name, rdata in (scenario.get("zonedata") or {}).items():
            owner = name.lower().rstrip(".")
            txt, timeout = _txt_of(owner, rdata or [])
            records[owner] = txt
            if timeout:
                no_answer.add(owner)
            for entry in rdata or []:
                if isinstance(entry, dict) and "CNAME" in entry:
                    aliases[owner] = str(entry["CNAME"]).lower().rstrip(".")
        for owner, target in aliases.items():  # the resolver follows a CNAME for meting
            if not records[owner]:
                records[owner] = records.get(target, [])
        for test, data in scenario["tests"].items():
            sender = str(data.get("mailfrom") or "")
            domain = sender.rpartition("@")[2] if sender else str(data["helo"])
            result = data["result"]
            results = tuple(result) if isinstance(result, list) else (str(result),)
            cases.append(Case(test, scenario["description"], domain.lower().rstrip("."),
                              results, records, frozenset(no_answer),
                              str(data.get("description") or "").strip()))
    return cases


def incomparable() -> dict[str, str]:
    """Case name -> why meting's verdict cannot be compared with the suite's result."""
    data: dict[str, str] = yaml.safe_load(INCOMPARABLE.read_text(encoding="utf-8"))
    return data
