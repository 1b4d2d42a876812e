"""Explanations a person can act on, from data (``checks/data/explanations.yaml`` and
``causes.yaml``).

A check states what it found (server, address, values); ``complete`` adds the rule
with its norm version, what to do and where to read more, in Dutch and English.
``plain`` turns a raw library or exception text into a plain cause; the raw text stays
in the evidence and never reaches a person.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

import yaml
from babel import Locale
from babel.numbers import format_decimal

from meting.checks.verdict import Explanation, Status, Verdict
from meting.norms import Norm
from meting.norms import tls as tls_norm

LANGS = ("nl", "en")
NEEDS_ADVICE = frozenset({Status.FAILED, Status.WARNING, Status.INFO})
NO_RESULT_STATUSES = frozenset({Status.ERROR, Status.UNREACHABLE, Status.NOT_TESTABLE})


@cache
def _data(name: str) -> dict[str, Any]:
    text = (resources.files("meting.checks") / "data" / name).read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def items() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = _data("explanations.yaml")["items"]
    return data


@cache
def entry(key: str) -> dict[str, Any] | None:
    """The guidance of a column or subtest; ``like: other`` takes the other's parts."""
    found = items().get(key)
    if found is None:
        return None
    if "like" in found:
        base = entry(found["like"]) or {}
        return {**base, **{k: v for k, v in found.items() if k != "like"}}
    return found


def name(key: str, lang: str) -> str:
    """The name people read for a column or subtest (its id when none is known)."""
    found = entry(key)
    return str(found["name"][lang]) if found else key


def names(keys: list[str], lang: str) -> str:
    return ", ".join(name(k, lang) for k in keys)


def advice_label(lang: str) -> str:
    """The label before what to do ("Wat te doen:"); a finding that carries it gets no
    column advice added."""
    return str(_data("explanations.yaml")["labels"]["advice"][lang])


def _cause_patterns() -> list[tuple[re.Pattern[str], dict[str, str]]]:
    return [(re.compile(c["match"], re.IGNORECASE), c) for c in _data("causes.yaml")["causes"]]


_patterns = cache(_cause_patterns)


def plain(raw: str | None) -> Explanation:
    """The plain cause of a raw error text, in Dutch and English."""
    data = _data("causes.yaml")
    text = raw or ""
    for pattern, cause in _patterns():
        found = pattern.search(text)
        if found:
            values = {k: v for k, v in found.groupdict().items() if v is not None}
            kind = data["address_kinds"].get(values.get("kind", ""), {})
            return Explanation(
                cause["nl"].format(**values, kind_nl=kind.get("nl", ""), kind_en=""),
                cause["en"].format(**values, kind_nl="", kind_en=kind.get("en", "")))
    return Explanation(data["unknown"]["nl"], data["unknown"]["en"])


MIN_MARK = 12  # a shorter fixed part of a cause text could match by chance


def _mark(template: str) -> str:
    """The longest fixed part of a cause text (between its placeholders)."""
    return max((p.strip(" ()") for p in re.split(r"\{\w+\}", template)), key=len)


@cache
def _advised(lang: str) -> list[tuple[str, str]]:
    return [(mark, c["advice"][lang]) for c in _data("causes.yaml")["causes"]
            if "advice" in c and len(mark := _mark(c[lang])) >= MIN_MARK]


def cause_advice(found_text: str, lang: str) -> str | None:
    """What to do about the first known cause (causes.yaml order) that a finding names;
    None when it names none with advice of its own."""
    return next((advice for mark, advice in _advised(lang) if mark in found_text), None)


def counted(n: int, lang: str, one: str, other: str) -> str:
    """A number with its noun in the right form for the language (CLDR plural rules, as
    the report's texts): ``counted(1, "nl", "{n} naamserver", "{n} naamservers")``."""
    form = Locale.parse(lang).plural_form(n)
    return (one if form == "one" else other).format(n=format_decimal(n, locale=lang))


def kind_of_address(kind: str) -> Explanation:
    found = _data("causes.yaml")["address_kinds"].get(kind, {"nl": kind, "en": kind})
    return Explanation(found["nl"], found["en"])


def _fill(text: str, norm: Norm) -> str:
    days = int((norm.get("hsts") or {}).get("min_max_age", 31536000)) // 86400
    rsa = ((norm.get("tls") or {}).get("cert_pubkey") or {}).get("rsa", [])
    return text.format(norm=norm.get("version", "?"), hsts_days=days,
                       rsa_bits=tls_norm.passing_bits(rsa) or "?")


def guidance(key: str, status: Status, lang: str, norm: Norm, found_text: str = "") -> str:
    """The sentences added after a finding of this status: rule, advice, source."""
    found = entry(key)
    if found is None:
        return ""
    labels = _data("explanations.yaml")["labels"]
    parts = []
    if labels["advice"][lang] in found_text:  # the finding says what to do itself
        pass
    elif status in NEEDS_ADVICE:
        parts.append(f"{labels['rule'][lang]} {_fill(found['rule'][lang], norm)}")
        parts.append(f"{labels['advice'][lang]} {found['advice'][lang]}")
    elif status in NO_RESULT_STATUSES:
        advice = (cause_advice(found_text, lang)
                  or _data("explanations.yaml")["no_result"][str(status)][lang])
        parts.append(f"{labels['advice'][lang]} {advice}")
    else:
        return ""
    source = _data("explanations.yaml")["sources"][found["source"]][lang]
    parts.append(f"{labels['source'][lang]} {source['title']}, {source['url']}")
    return " ".join(parts)


def complete(results: dict[str, Verdict], norm: Norm) -> dict[str, Verdict]:
    """Every verdict with its guidance added (the finding first, unchanged)."""
    done = {}
    for key, v in results.items():
        extra = {lang: guidance(key, v.status, lang, norm, getattr(v.explanation, lang))
                 for lang in LANGS}
        if not extra["nl"]:
            done[key] = v
            continue
        done[key] = Verdict(v.status, Explanation(_join(v.explanation.nl, extra["nl"]),
                                                  _join(v.explanation.en, extra["en"])))
    return done


def _join(found: str, extra: str) -> str:
    found = found.strip()
    if found and found[-1] not in ".!?":
        found += "."
    return f"{found} {extra}"
