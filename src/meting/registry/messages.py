"""The registry's words for people, in Dutch and English (``data/messages.yaml``), through
``meting.words``: the problems of a list and the refusals of a name are Messages, worded
where they are shown (English by ``str()``)."""

from __future__ import annotations

from typing import Any

from meting.words import Message, message

BOOK = "meting.registry"


def said(key: str, **values: Any) -> Message:
    return message(BOOK, key, **values)


def field(name: str) -> Message:
    """A column of a list by its field name (organisation, web_host, ...)."""
    return said(f"field_{name}")
