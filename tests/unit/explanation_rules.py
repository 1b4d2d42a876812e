"""What every explanation a person reads must satisfy (issue 11): no English words in
Dutch text, no internal ids, and advice beside every failed, warning or info status."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from meting.checks import explain
from meting.checks.tests import MAIL_COLUMNS, WEB_COLUMNS

WORDS = frozenset(
    line.strip() for line in
    (Path(__file__).parent / "data" / "english-words.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#"))
ADVICE = {"nl": "Wat te doen:", "en": "What to do:"}
NEEDS_ADVICE = {"failed", "warning", "info", "error", "unreachable", "not_testable"}
# Values quoted from evidence (record text, header values, certificate subjects, URLs,
# host names) are not prose: they are left out before looking for English words.
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|https?://\S+|<[^>]*>|\([^()]*=[^()]*\)"
                    r"|\b[\w-]+(\.[\w-]+)+\.?|\b\w+=\S*"
                    r"|\b[A-Z]\w*(-[A-Z]\w*)+|\b\w+(-\w+){2,}")  # header names, identifiers


def internal_ids() -> set[str]:
    return set(explain.items()) | set(WEB_COLUMNS) | set(MAIL_COLUMNS)


def english_words(text: str) -> list[str]:
    prose = QUOTED.sub(" ", text)
    return [w for w in re.findall(r"[A-Za-z]+", prose) if w.lower() in WORDS]


def problems(where: str, key: str, verdict: dict[str, Any]) -> list[str]:
    found = []
    texts = verdict["explanation"]
    ids = internal_ids()
    for lang in ("nl", "en"):
        text = texts[lang]
        if not text.strip():
            found.append(f"{where} {key} [{lang}]: empty")
        leaked = [i for i in ids if re.search(rf"(?<![\w./-]){re.escape(i)}(?![\w.-])", text)
                  and "_" in i]
        if leaked:
            found.append(f"{where} {key} [{lang}]: internal id {leaked}: {text}")
        if verdict["status"] in NEEDS_ADVICE and ADVICE[lang] not in text:
            found.append(f"{where} {key} [{lang}]: {verdict['status']} without advice: {text}")
    english = english_words(texts["nl"])
    if english:
        found.append(f"{where} {key} [nl]: English words {english}: {texts['nl']}")
    return found


def all_problems(where: str, judged: dict[str, Any]) -> list[str]:
    found = []
    for group in ("columns", "subtests"):
        for key, v in judged[group].items():
            found += problems(where, key, v)
    return found
