"""The register as two list files (CSV or XLSX): a row per standard (its procedure steps as
columns) and a row per agreement. Reading checks every row and the register as a whole and
names each problem with its file and line; a pair with any problem gives no register."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from meting.norms.schema import describe
from meting.registry.cells import ListFileError, read_table, write_table
from meting.registry.problems import Problem
from meting.standards import Register, RegisterError, check
from meting.standards.schema import STEPS, Agreement, Standard, Text, Words

SOURCES_SEPARATOR = " | "
# version, steward and sources in Dutch; their _en columns only where English differs
STANDARD_FIELDS = ("id", "name", "list", "version", "scope_nl", "scope_en", "steward",
                   "admitted", "excellent_stewardship",
                   *(f"{s}_{part}" for s in STEPS for part in ("date", "outcome_nl",
                                                                "outcome_en")),
                   "sources", "version_en", "steward_en", "sources_en")
AGREEMENT_FIELDS = ("standard", "kind", "column", "deadline", "streefbeeld", "agreement",
                    "listed_since", "legal_since", "legal_law", "legal_source", "source")
TRUE, FALSE = ("yes", "ja", "true", "1"), ("no", "nee", "false", "0")


@dataclass(frozen=True)
class FileProblem:
    file: str
    problem: Problem

    def __str__(self) -> str:
        return f"{self.file}: {self.problem}"


@dataclass(frozen=True)
class ReadRegister:
    register: Register | None  # None when there is any problem: all or nothing
    problems: tuple[FileProblem, ...]


def export_lists(register: Register, standards_path: Path, agreements_path: Path) -> None:
    write_table(standards_path, [list(STANDARD_FIELDS),
                                 *(standard_row(s) for s in register.standards)])
    write_table(agreements_path, [list(AGREEMENT_FIELDS),
                                  *(agreement_row(a) for a in register.agreements)])


def standard_row(s: Standard) -> list[str]:
    english = s.sources_in("en")
    cells = {"id": s.id, "name": s.name, "list": s.on_list, "version": s.version_in("nl"),
             "scope_nl": s.scope.nl, "scope_en": s.scope.en, "steward": s.steward_in("nl"),
             "admitted": "" if s.admitted is None else str(s.admitted),
             "excellent_stewardship": "yes" if s.excellent_stewardship else "no",
             "sources": SOURCES_SEPARATOR.join(s.sources_in("nl")),
             "version_en": _english(s.version), "steward_en": _english(s.steward),
             "sources_en": SOURCES_SEPARATOR.join(english)
             if any(isinstance(x, Words) for x in s.sources) else ""}
    for step in s.procedure:
        cells[f"{step.step}_date"] = step.date.isoformat() if step.date else ""
        cells[f"{step.step}_outcome_nl"] = step.outcome.nl if step.outcome else ""
        cells[f"{step.step}_outcome_en"] = step.outcome.en if step.outcome else ""
    return [cells.get(f, "") for f in STANDARD_FIELDS]


def agreement_row(a: Agreement) -> list[str]:
    legal = a.legal
    cells = {"standard": a.standard, "kind": a.kind, "column": a.column,
             "deadline": _text(a.deadline), "streefbeeld": "yes" if a.streefbeeld else "no",
             "agreement": "" if a.agreement is None else ("yes" if a.agreement else "no"),
             "listed_since": _text(a.listed_since),
             "legal_since": legal.since.isoformat() if legal else "",
             "legal_law": legal.law if legal else "", "legal_source": legal.source if legal else "",
             "source": a.source or ""}
    return [cells[f] for f in AGREEMENT_FIELDS]


def _english(text: Text) -> str:
    return "" if isinstance(text, str) else text.en


def _text(value: int | None) -> str:
    return "" if value is None else str(value)


def import_lists(standards_path: Path, agreements_path: Path, name: str, version: str,
                 encoding: str | None = None) -> ReadRegister:
    problems: list[FileProblem] = []
    standards = _rows(standards_path, STANDARD_FIELDS, standard_raw, Standard, problems,
                      encoding)
    agreements = _rows(agreements_path, AGREEMENT_FIELDS, agreement_raw, Agreement, problems,
                       encoding)
    if problems:
        return ReadRegister(None, tuple(problems))
    try:
        register = check(Register(name="standards", version=version, standards=standards,
                                  agreements=agreements), name)
    except ValidationError as exc:
        return ReadRegister(None, (FileProblem(name, Problem(0, None, _reason(exc))),))
    except RegisterError as exc:
        return ReadRegister(None, (FileProblem(name, Problem(0, None, str(exc))),))
    return ReadRegister(register, ())


def _rows(path: Path, fields: tuple[str, ...], raw_of: Any, model: Any,
          problems: list[FileProblem], encoding: str | None) -> list[Any]:
    try:
        table = read_table(path, encoding)
    except ListFileError as exc:
        problems.append(FileProblem(path.name, Problem(0, None, str(exc))))
        return []
    if not table.rows:
        problems.append(FileProblem(path.name, Problem(0, None, "empty: it needs a header")))
        return []
    (line, header), *rows = table.rows
    header = [h.strip().lower() for h in header]
    unknown = [h for h in header if h and h not in fields]
    missing = [f for f in fields[:3] if f not in header]
    if unknown or missing:
        reason = ("unknown column(s) " + ", ".join(unknown) if unknown else
                  "missing column(s) " + ", ".join(missing))
        problems.append(FileProblem(path.name, Problem(line, None, f"{reason}; the columns "
                                                       f"are: {', '.join(fields)}")))
        return []
    found = []
    for line, cells in rows:
        row = {h: c.strip() for h, c in zip(header, cells, strict=False) if h}
        try:
            found.append(model.model_validate(raw_of(row)))
        except (ValidationError, ValueError) as exc:
            reason = _reason(exc) if isinstance(exc, ValidationError) else str(exc)
            problems.append(FileProblem(path.name, Problem(line, None, reason)))
    return found


def _reason(exc: ValidationError) -> str:
    return describe(exc.errors()[0])


def _flag(row: dict[str, str], key: str) -> bool | None:
    value = row.get(key, "").lower()
    if not value:
        return None
    if value in TRUE or value in FALSE:
        return value in TRUE
    raise ValueError(f"{key}: expected yes or no (found {row[key]!r})")


def _optional(row: dict[str, str], key: str) -> str | None:
    return row.get(key) or None


def standard_raw(row: dict[str, str]) -> dict[str, Any]:
    admitted_text = _optional(row, "admitted")
    admitted: str | int | None = admitted_text
    if admitted_text is not None and admitted_text.isdigit():
        admitted = int(admitted_text)
    steps = []
    for step in STEPS:
        date, nl, en = (_optional(row, f"{step}_{p}") for p in ("date", "outcome_nl",
                                                               "outcome_en"))
        if date or nl or en:
            steps.append({"step": step, "date": date,
                          "outcome": {"nl": nl, "en": en} if nl or en else None})
    return {"id": row.get("id", ""), "name": row.get("name", ""), "list": row.get("list"),
            "version": _both(row.get("version", ""), row.get("version_en", "")),
            "scope": {"nl": row.get("scope_nl", ""), "en": row.get("scope_en", "")},
            "steward": _both(row.get("steward", ""), row.get("steward_en", "")),
            "admitted": admitted,
            "excellent_stewardship": bool(_flag(row, "excellent_stewardship")),
            "procedure": steps, "sources": _sources(row)}


def _both(nl: str, en: str) -> str | dict[str, str]:
    """One text, or Dutch and English where an English one is given that differs."""
    return {"nl": nl, "en": en} if en and en != nl else nl


def _split(cell: str) -> list[str]:
    return [s.strip() for s in cell.split(SOURCES_SEPARATOR.strip()) if s.strip()]


def _sources(row: dict[str, str]) -> list[str | dict[str, str]]:
    dutch, english = _split(row.get("sources", "")), _split(row.get("sources_en", ""))
    if not english:
        return list(dutch)
    if len(english) != len(dutch):
        raise ValueError(f"sources_en: {len(english)} source(s) where sources has "
                         f"{len(dutch)}; give each source in English, in the same order")
    return [_both(nl, en) for nl, en in zip(dutch, english, strict=True)]


def agreement_raw(row: dict[str, str]) -> dict[str, Any]:
    legal = None
    if any(row.get(k) for k in ("legal_since", "legal_law", "legal_source")):
        legal = {"since": row.get("legal_since") or None, "law": row.get("legal_law", ""),
                 "source": row.get("legal_source", "")}
    return {"standard": row.get("standard", ""), "kind": row.get("kind", ""),
            "column": row.get("column", ""), "deadline": _optional(row, "deadline"),
            "streefbeeld": bool(_flag(row, "streefbeeld")),
            "agreement": _flag(row, "agreement"),
            "listed_since": _optional(row, "listed_since"), "legal": legal,
            "source": _optional(row, "source")}


def write_register(register: Register, path: Path) -> None:
    """The register as a YAML data file that ``meting.standards.load_file`` reads back."""
    data = register.model_dump(mode="json", exclude_none=True, by_alias=True)
    header = ("# The standards register, written by `meting standards import` from list "
              "files.\n")
    text = header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(path)


def problems_text(problems: Iterable[FileProblem]) -> list[str]:
    return [str(p) for p in problems]
