"""The words of the layers that refuse a user's input (meting.words; the books
review/data/messages.yaml and registry/data/messages.yaml): every message in Dutch
without English words and in English, with the same values in both; every key the code
uses is there, and every key there is used. Discovery's book: test_discovery_messages."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from meting.registry.vocabulary import FIELDS
from meting.words import Said, message, texts
from tests.unit.explanation_rules import english_words
from tests.unit.test_discovery_messages import fields

SOURCE = Path(__file__).parents[2] / "src" / "meting"
# calls that name a message key as their first argument
USES = re.compile(r"\b(?:refused|said|Problem|error|warn|cell_error|CellError|BadDomainName"
                  r"|ListFileError|ReviewInputError)\(\s*\"(\w+)\"\s*[,)]")
BOOKS = {
    "meting.review": {
        "files": [SOURCE / "store" / "review.py", *(SOURCE / "review").glob("*.py"),
                  SOURCE / "web" / "pages" / "review.py"],
        # keys made of a prefix and a value (store.review._state, _kind)
        "made": {"state_": ("planned", "running", "interrupted", "finished", "submitted",
                            "approved", "returned", "accepted", "rejected"),
                 "kind_": ("web", "mail")},
    },
    "meting.registry": {
        "files": [*(SOURCE / "registry").glob("*.py")],
        # registry.messages.field, rows.checked (textfile.name_fault's reasons)
        "made": {"field_": FIELDS, "name_": ("nul", "control", "too_long")},
    },
}
# registry keys named as a value: the words of a name (rows.checked), of a role (merge)
NAMED = re.compile(r"\"((?:what|target|role)_\w+)\"")


def used(book: str) -> set[str]:
    spec = BOOKS[book]
    patterns = (USES, NAMED) if book == "meting.registry" else (USES,)
    found = {m for path in spec["files"] for pattern in patterns
             for m in pattern.findall(path.read_text())}
    return found | {prefix + end for prefix, ends in spec["made"].items() for end in ends}


@pytest.mark.parametrize("book", BOOKS)
def test_every_message_is_dutch_and_english_with_the_same_values(book: str) -> None:
    for key, entry in texts(book).items():
        assert set(entry) == {"nl", "en"}, key
        assert entry["nl"].strip() and entry["en"].strip(), key
        assert fields(entry["nl"]) == fields(entry["en"]), key
        prose = re.sub(r"\{\w*\}", " ", entry["nl"])
        assert english_words(prose) == [], (key, entry["nl"])


@pytest.mark.parametrize("book", BOOKS)
def test_every_key_the_code_uses_is_there_and_every_key_there_is_used(book: str) -> None:
    keys = used(book)
    assert keys - set(texts(book)) == set()
    assert set(texts(book)) - keys == set()
    assert len(keys) > 20


def test_dates_and_numbers_are_written_per_language() -> None:
    said = message("meting.review", "retest_limit", used=1234, hours=24.0, count=3)
    assert said.text("nl").startswith("deze organisatie vroeg in de afgelopen 24 uur 1.234 ")
    assert str(said).startswith("this organisation asked 1,234 re-tests in the last 24 hours")
    error = Said(message("meting.review", "closing_date_passed", date=dt.date(2026, 1, 15)))
    assert error.text("nl") == "de sluitingsdatum 15 januari 2026 is al voorbij"
    assert str(error) == "the closing date 15 January 2026 has passed"
