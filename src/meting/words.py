"""Words for people, in Dutch and English, kept per layer in ``<package>/data/messages.yaml``.

A ``Message`` is a key of one layer's file (its *book*, the package that holds the file)
and its values; it is worded only where it is shown: by the CLI in English or in its
``--lang``, by the dashboard in the viewer's language. ``str()`` gives the English text,
for logs, developers and the CLI's existing output. Values are worded per language too:
whole numbers and dates with Babel ("1.234", "15 januari 2026"), a nested ``Message`` or
``Said`` error in the same language, a ``{"nl": ..., "en": ...}`` pair by its language.

This module is at the bottom: any layer may use it; it imports no other part of meting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml
from babel.dates import format_date
from babel.numbers import format_decimal

LANGUAGES = ("nl", "en")
LOCALES = {"nl": "nl_NL", "en": "en_GB"}


@cache
def texts(book: str) -> dict[str, dict[str, str]]:
    """The messages of one layer (``book`` is its package, e.g. ``meting.review``)."""
    text = resources.files(book).joinpath("data/messages.yaml").read_text("utf-8")
    data: dict[str, dict[str, str]] = yaml.safe_load(text)["messages"]
    return data


@dataclass(frozen=True)
class Message:
    book: str
    key: str
    values: tuple[tuple[str, Any], ...] = ()

    def text(self, lang: str) -> str:
        template = texts(self.book)[self.key]["nl" if lang == "nl" else "en"]
        return template.format(**{k: worded(v, lang) for k, v in self.values})

    def __str__(self) -> str:
        return self.text("en")


def message(book: str, key: str, **values: Any) -> Message:
    if key not in texts(book):
        raise KeyError(f"message {key!r} is not in {book}'s messages.yaml")
    return Message(book, key, tuple(values.items()))


class Said(Exception):
    """An error whose words are a Message (so the CLI and the dashboard word it); a plain
    string is words not yet given in both languages, the same in each."""

    def __init__(self, said: Message | str) -> None:
        self.message = said
        super().__init__(str(said))

    def text(self, lang: str) -> str:
        return self.message.text(lang) if isinstance(self.message, Message) else self.message


def worded(value: Any, lang: str) -> str:
    """A value as text in ``lang``: messages and errors worded, numbers and dates per
    locale, lists joined with commas."""
    locale = LOCALES.get(lang, "en_GB")
    if isinstance(value, Message | Said):
        return value.text(lang)
    if isinstance(value, dict) and set(value) == set(LANGUAGES):
        return str(value[lang if lang in value else "en"])  # words given in both languages
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return format_decimal(value, format="#,##0", locale=locale)
    if isinstance(value, float):
        return format_decimal(value, format="#,##0.##", locale=locale)
    if isinstance(value, dt.datetime):
        return f"{format_date(value, format='long', locale=locale)} {value:%H:%M}"
    if isinstance(value, dt.date):
        return format_date(value, format="long", locale=locale)
    if isinstance(value, list | tuple):
        return ", ".join(worded(v, lang) for v in value)
    return str(value)


def in_language(value: Any, lang: str) -> str:
    """An error or reason as the user reads it: worded in ``lang`` when it is a Message
    or a Said error, else its own (English) text."""
    return worded(value, lang) if isinstance(value, Message | Said) else str(value)
