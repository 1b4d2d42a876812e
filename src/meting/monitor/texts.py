"""The monitor's words (``data/texts.yaml``), Dutch first; layers, kinds and columns in the
report's words (report/data/texts.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from meting.report.texts import Texts, text_of, texts_file


def _texts() -> dict[str, Any]:
    return texts_file("meting.monitor")


@dataclass(frozen=True)
class MonitorTexts:
    lang: str

    @property
    def report(self) -> Texts:
        return Texts(self.lang)  # checks the language

    def __call__(self, key: str, **values: Any) -> str:
        return text_of(_texts(), key, self.lang, values)

    def list_name(self, name: str) -> str:
        return str(_texts()["lists"][name][self.lang])

    def step(self, name: str) -> str:
        return str(_texts()["steps"][name][self.lang])

    def category(self, category: str) -> str:
        return self.report.category(category)

    def column(self, kind: str, column: str) -> str:
        return f"{self.report.kind(kind)}: {self.report.column(column)}"

    def standard(self, ident: str) -> str:
        from meting import standards

        found = standards.register().standard(ident)
        return found.name if found else ident
