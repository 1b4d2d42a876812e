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
    tests = result.get("results", {}).get("tests", {}) if result.get("status") == "ok" else {}
    found = {}
    for column, source in batch_mapping()[kind].items():
        verdicts = _verdicts(source, tests if isinstance(tests, Mapping) else {})
        details = list(_details(technical, _paths()[kind].get(column, [])))
        found[column] = {lang: _text(lang, verdicts, details, result) for lang in LABELS}
    return found


def _verdicts(source: Mapping[str, Any], tests: Mapping[str, Any]) -> list[str]:
    found = []
    for name in source.get("tests", []):
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
        yield from _walk(document, path.split("."), [])


def _walk(node: Any, steps: list[str], trail: list[str]) -> Iterator[str]:
    if not steps:
        value = json.dumps(node, ensure_ascii=False, separators=(",", ":"))
        if len(value) > LONGEST_VALUE:
            value = value[:LONGEST_VALUE] + "…"
        yield f"{'.'.join(trail)}={value}"
        return
    if not isinstance(node, Mapping):
        return
    step, rest = steps[0], steps[1:]
    keys = sorted(node) if step == "*" else [step] if step in node else []
    for key in keys:
        yield from _walk(node[key], rest, [*trail, str(key)])
