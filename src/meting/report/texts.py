"""The report's words in Dutch and English (``report/data/texts.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

LANGUAGES = ("nl", "en")


class UnknownLanguage(ValueError):
    pass


@cache
def texts_file(package: str) -> dict[str, Any]:
    """A package's ``data/texts.yaml``: {"text": {key: {nl, en}}, ...}."""
    text = (resources.files(package) / "data/texts.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def text_of(data: dict[str, Any], key: str, lang: str, values: dict[str, Any]) -> str:
    """The text of ``key`` in ``lang`` with the values filled in; the key when it has none."""
    entry = data["text"].get(key)
    if entry is None:
        return key
    text = str(entry[lang])
    return text.format(**values) if values else text


def _texts() -> dict[str, Any]:
    return texts_file("meting.report")


@dataclass(frozen=True)
class Texts:
    lang: str

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            raise UnknownLanguage(f"unknown language {self.lang!r}; known: nl, en")

    def __call__(self, key: str, **values: Any) -> str:
        return text_of(_texts(), key, self.lang, values)

    def count(self, key: str, n: int) -> str:
        """'1 domein', '10.000 domeinen': the number grouped, the noun in its plural form."""
        from babel import Locale
        from babel.numbers import format_decimal

        forms = _texts()["plurals"][key][self.lang]
        form = Locale.parse(self.lang).plural_form(n)
        return str(forms.get(form, forms["other"])).format(
            n=format_decimal(n, locale=self.lang))

    def column(self, column: str) -> str:
        return str(_texts()["columns"].get(column, {}).get(self.lang, column))

    def category(self, category: str) -> str:
        return str(_texts()["categories"].get(category, {}).get(self.lang, category))

    def kind(self, kind: str) -> str:
        return str(_texts()["kinds"][kind][self.lang])

    def status(self, status: str) -> str:
        entry = _texts()["statuses"].get(status)
        return str(entry[self.lang][0]) if entry else status

    def status_meaning(self, status: str) -> str:
        entry = _texts()["statuses"].get(status)
        return str(entry[self.lang][1]) if entry else ""

    def mark(self, status: str) -> str:
        entry = _texts()["statuses"].get(status)
        if not entry:
            return status
        mark = entry["mark"]
        return str(mark[self.lang] if isinstance(mark, dict) else mark)

    def provider(self, name: str) -> str:
        """Provider names as they are, except the two groups the analysis makes."""
        return self(name) if name in ("own domain", "other") else name

    @staticmethod
    def statuses() -> list[str]:
        return list(_texts()["statuses"])


def texts_version() -> str:
    return str(_texts()["version"])
