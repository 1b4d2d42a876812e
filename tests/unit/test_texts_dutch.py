"""The Dutch texts of the dashboard, the review's mails and the report: no English words
(a value filled in, {name}, is not a word of the text)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest
import yaml

from tests.unit.explanation_rules import english_words

FILES = [("meting.web", "data/texts.yaml"), ("meting.review", "data/mail-texts.yaml"),
         ("meting.report", "data/texts.yaml")]
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def dutch(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(data, dict):
        if isinstance(data.get("nl"), str):
            yield path, data["nl"]
        for key, value in data.items():
            if key not in ("nl", "en"):
                yield from dutch(value, f"{path}.{key}")
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from dutch(value, f"{path}[{i}]")


@pytest.mark.parametrize(("package", "name"), FILES)
def test_the_dutch_texts_have_no_english_words(package: str, name: str) -> None:
    data = yaml.safe_load((resources.files(package) / name).read_text("utf-8"))
    texts = list(dutch(data))
    assert len(texts) > 30
    found = [(path, words) for path, text in texts
             if (words := english_words(PLACEHOLDER.sub(" ", text)))]
    assert found == []


def test_the_check_sees_an_english_word() -> None:
    assert english_words(PLACEHOLDER.sub(" ", "waarvan de deadline voorbij is {name}")) == [
        "deadline"]
