"""The words a registry list may use: column headers, categories, umbrellas, yes and no.

All of it is data (``registry/data/*.yaml``); this module only loads and looks up.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

import yaml

FIELDS = ("organisation", "category", "domain", "web_host", "mail", "umbrella", "provider",
          "sets", "parent")


def load_data(name: str) -> dict[str, Any]:
    text = (resources.files("meting.registry") / "data" / f"{name}.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def header_key(text: str) -> str:
    """A header name without letter case, spaces, hyphens and underscores."""
    return re.sub(r"[\s_\-]+", "", text).casefold()


def word_key(text: str) -> str:
    return " ".join(text.split()).casefold()


@cache
def columns() -> dict[str, Any]:
    return load_data("columns")


@cache
def categories() -> dict[str, Any]:
    return load_data("categories")


@cache
def header_fields() -> dict[str, str]:
    """Header key → field name."""
    return {header_key(alias): field for field, aliases in columns()["headers"].items()
            for alias in [field, *aliases]}


def required_fields() -> list[str]:
    return list(columns()["required"])


@cache
def category_words() -> dict[str, str]:
    """Identifier, label and alias (as word keys) → category identifier."""
    words = {}
    for ident, about in categories()["categories"].items():
        for word in [ident, about["label"], *about.get("aliases", [])]:
            words[word_key(word)] = ident
    return words


def category_of(text: str) -> str | None:
    return category_words().get(word_key(text))


def category_label(ident: str) -> str:
    return str(categories()["categories"][ident]["label"])


def default_umbrella(category: str) -> str | None:
    value = categories()["categories"][category].get("default_umbrella")
    return str(value) if value else None


@cache
def umbrella_words() -> dict[str, str]:
    return {word_key(word): name for name, aliases in categories()["umbrellas"].items()
            for word in [name, *aliases]}


def umbrella_of(text: str) -> str | None:
    """The umbrella's name as the registry spells it; None when it is not known."""
    return umbrella_words().get(word_key(text))


def truth_of(text: str) -> bool | None:
    """True for a yes word, False for a no word, None for anything else."""
    word = word_key(text)
    if word in columns()["yes"]:
        return True
    if word in columns()["no"]:
        return False
    return None


def means_no_web(text: str) -> bool:
    return word_key(text) in columns()["no_web"]


def set_separators() -> list[str]:
    return list(columns()["set_separators"])
