"""Discovery's words for people, in Dutch and English (``data/messages.yaml``).

The mechanism is ``meting.words``: a ``Message`` is a key and its values, worded only where
it is shown: by the CLI in the ``lang`` setting's language (or ``--lang``), by the dashboard
in the viewer's. ``str()`` gives the English text, for logs and developers.
"""

from __future__ import annotations

from typing import Any

from meting import words
from meting.words import LANGUAGES, LOCALES, Message

__all__ = ["LANGUAGES", "LOCALES", "Message", "Said", "message", "texts"]

BOOK = "meting.discovery"


def texts() -> dict[str, dict[str, str]]:
    return words.texts(BOOK)


def message(key: str, **values: Any) -> Message:
    return words.message(BOOK, key, **values)


class Said(words.Said):
    """An error whose words are a discovery Message (so the CLI and the dashboard word it)."""

    message: Message

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(message(key, **values))
