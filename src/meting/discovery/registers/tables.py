"""The Websiteregister Rijksoverheid and RIO exports: spreadsheets (CSV or XLSX) whose
columns discovery/data/registers.yaml names, with the assumptions made about them."""

from __future__ import annotations

import re
from pathlib import Path

from meting.discovery.registers.rows import (
    RegisterRow,
    category_of_type,
    data,
    header_index,
    site_of,
)
from meting.registry.cells import ListFileError, read_table
from meting.registry.names import BadDomainName, normalise
from meting.registry.problems import Problems


def rows_of(path: Path, register: str, required: tuple[str, ...],
            problems: Problems) -> tuple[dict[str, int], list[tuple[int, list[str]]]]:
    try:
        table = read_table(path)
    except ListFileError as exc:
        problems.error(0, None, str(exc))
        return {}, []
    if not table.rows:
        problems.error(0, None, "the file is empty")
        return {}, []
    (line, header), *rows = table.rows
    index = header_index(header, data(register)["columns"], line, problems, required)
    return index, rows if not problems.errors else []


def cell(cells: list[str], index: dict[str, int], name: str) -> str:
    at = index.get(name)
    return " ".join(cells[at].split()) if at is not None and at < len(cells) else ""


def websiteregister(path: Path, problems: Problems) -> list[RegisterRow]:
    index, rows = rows_of(path, "websiteregister", ("url", "organisation"), problems)
    found: list[RegisterRow] = []
    for line, cells in rows:
        organisation = cell(cells, index, "organisation")
        if not organisation:
            problems.error(line, None, "no organisation")
            continue
        site = site_of(cell(cells, index, "url"), line, problems, "url")
        if site is None:
            if not cell(cells, index, "url"):
                problems.error(line, None, "no website")
            continue
        found.append(RegisterRow(line, organisation, str(data("websiteregister")["category"]),
                                 cell(cells, index, "parent") or None, site[0], site[1],
                                 web=True, mail=False))
    return found


def rio(path: Path, problems: Problems) -> list[RegisterRow]:
    index, rows = rows_of(path, "rio", ("domain", "organisation", "purpose"), problems)
    purposes: dict[str, list[str]] = data("rio")["purposes"]
    found: list[RegisterRow] = []
    for line, cells in rows:
        organisation = cell(cells, index, "organisation")
        try:
            domain = normalise(cell(cells, index, "domain"))
        except BadDomainName as exc:
            problems.error(line, "domain", str(exc))
            continue
        if not organisation:
            problems.error(line, None, "no organisation")
            continue
        words = [w.strip().casefold() for w in re.split(r"[,;]", cell(cells, index, "purpose"))
                 if w.strip()]
        unknown = [w for w in words if w not in purposes]
        if unknown or not words:
            problems.error(line, "purpose", f"purpose {', '.join(unknown) or '(empty)'} is not "
                           f"one of {', '.join(purposes)}")
            continue
        roles = {role for w in words for role in purposes[w]}
        kind = cell(cells, index, "type")
        found.append(RegisterRow(line, organisation, category_of_type(kind) if kind else None,
                                 None, domain, None, web="web" in roles, mail="mail" in roles))
    return found


def read(register: str, path: Path, problems: Problems) -> list[RegisterRow]:
    if register == "websiteregister":
        return websiteregister(path, problems)
    if register == "rio":
        return rio(path, problems)
    from meting.discovery.registers import roo

    return roo.read(path, problems)
