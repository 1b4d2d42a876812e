"""Discovery's words for people, in Dutch and English (``data/messages.yaml``).

A ``Message`` is a key and its values; it is worded only where it is shown: by the CLI in
the ``lang`` setting's language (or ``--lang``), by the dashboard in the viewer's.
``str()`` gives the English text, for logs and developers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml
from babel.numbers import format_decimal

LANGUAGES = ("nl", "en")
LOCALES = {"nl": "nl_NL", "en": "en_GB"}


@cache
def texts() -> dict[str, dict[str, str]]:
    text = resources.files("meting.discovery").joinpath("data/messages.yaml").read_text()
    data: dict[str, dict[str, str]] = yaml.safe_load(text)["messages"]
    return data


@dataclass(frozen=True)
class Message:
    key: str
    values: tuple[tuple[str, Any], ...] = ()

    def text(self, lang: str) -> str:
        template = texts()[self.key]["nl" if lang == "nl" else "en"]
        return template.format(**{k: _worded(v, lang) for k, v in self.values})

    def __str__(self) -> str:
        return self.text("en")


def message(key: str, **values: Any) -> Message:
    if key not in texts():
        raise KeyError(f"discovery message {key!r} is not in messages.yaml")
    return Message(key, tuple(values.items()))


def _worded(value: Any, lang: str) -> str:
    if isinstance(value, Message):
        return value.text(lang)
    if isinstance(value, dict) and set(value) == set(LANGUAGES):
        return str(value[lang if lang in value else "en"])  # words given in both languages
    if isinstance(value, int) and not isinstance(value, bool):
        return format_decimal(value, format="#,##0", locale=LOCALES.get(lang, "en_GB"))
    return str(value)


class Said(Exception):
    """An error whose words are a Message (so the CLI and the dashboard word it)."""

    def __init__(self, key: str, **values: Any) -> None:
        self.message = message(key, **values)
        super().__init__(str(self.message))

    def text(self, lang: str) -> str:
        return self.message.text(lang)
