"""Internet.nl's own account of a column, as text beside meting's explanation: the statuses
and verdicts of the Internet.nl tests that make the column (the import mapping,
analysis/data/internetnl-batch.yaml) and the technical details that explain it
(data/technical.yaml)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Any

import yaml

from meting.analysis.imports import batch_mapping

LONGEST_VALUE = 200  # characters of one detail's value; longer values are cut

LABELS = {"nl": ("Internet.nl-tests", "technische details", "geen"),
          "en": ("Internet.nl tests", "technical details", "none")}


@cache
def _paths() -> dict[str, Any]:
    text = (resources.files("meting.internetnl") / "data/technical.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def explanations(kind: str, result: Mapping[str, Any],
                 technical: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Column -> {"nl", "en"} for one domain's result and technical result."""
    results = result.get("results", {}) if result.get("status") == "ok" else {}
    tests, categories = results.get("tests", {}), results.get("categories", {})
    found = {}
    for column, source in batch_mapping()[kind].items():
        verdicts = _verdicts(source.get("tests", []), tests) + _verdicts(
            [source["category"]] if "category" in source else [], categories)
        details = list(_details(technical, _paths()[kind].get(column, [])))
        found[column] = {lang: _text(lang, verdicts, details, result) for lang in LABELS}
    return found


def _verdicts(names: list[str], tests: Any) -> list[str]:
    found: list[str] = []
    if not isinstance(tests, Mapping):
        return found
    for name in names:
        test = tests.get(name)
        if isinstance(test, Mapping):
            found.append(f"{name} {test.get('status', '?')} ({test.get('verdict', '')})")
    return found


def _text(lang: str, verdicts: list[str], details: list[str],
          result: Mapping[str, Any]) -> str:
    tests_label, details_label, none = LABELS[lang]
    if result.get("status") != "ok":
        return f"Internet.nl: status {result.get('status', '?')}"
    return (f"{tests_label}: {'; '.join(verdicts) or none}. "
            f"{details_label}: {'; '.join(details) or none}")


def _details(document: Mapping[str, Any], paths: list[str]) -> Iterator[str]:
    for path in paths:
        yield from _walk(document, path.split("."), "")


def _walk(node: Any, steps: list[str], trail: str) -> Iterator[str]:
    """Iteratively over the levels of one path (12,000 domains × some 60 paths per batch)."""
    level = [(trail, node)]
    for step in steps:
        deeper = []
        for where, value in level:
            if not isinstance(value, dict):  # JSON objects; cheaper than Mapping's check
                continue
            keys = sorted(value) if step == "*" else (step,) if step in value else ()
            deeper += [(f"{where}.{key}" if where else str(key), value[key]) for key in keys]
        level = deeper
    for where, value in level:
        yield f"{where}={_value(value)}"


def _value(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, str) and value.isascii() and '"' not in value and "\\" not in value:
        text = f'"{value}"'
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= LONGEST_VALUE else text[:LONGEST_VALUE] + "…"
