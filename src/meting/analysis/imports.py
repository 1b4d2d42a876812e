"""Results measured elsewhere: the per-domain status CSV of SPEC §8 and Internet.nl batch
API results (JSON). Every problem is reported with its line; nothing is half-imported."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from meting.analysis.model import DomainResult, RoundResults
from meting.analysis.rules import column_names
from meting.checks.verdict import Status, worst
from meting.registry import vocabulary
from meting.registry.entry import ListEntry
from meting.registry.names import BadDomainName, normalise

STATUSES = frozenset(s.value for s in Status)
FIXED = ("category", "domain", "reaction")
# Optional columns naming the domain's owner: a file that carries them registers a new
# domain under that organisation (import-results); without them a new domain is its own
# organisation. The appendix CSV the report writes has them.
OWNER = ("organisation", "umbrella", "parent")


class ImportProblems(ValueError):
    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class ImportedResult:
    line: int  # the line (CSV) or position (JSON) the user sees
    category: str  # an identifier of SPEC §2, or "" when the file does not say
    domain: str
    reaction: bool
    columns: dict[str, str]
    organisation: str = ""  # the owner the file names; "" when it does not
    umbrella: str = ""
    parent: str = ""


def read_status_csv(text: str, kind: str) -> list[ImportedResult]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        rows = [(reader.line_num, cells) for cells in reader]
    except csv.Error as exc:  # e.g. a cell over the csv module's field size limit
        raise ImportProblems([f"line {reader.line_num}: not readable as CSV "
                              f"({exc})"]) from None
    if not rows:
        raise ImportProblems(["the file is empty: it needs a header line and a row per "
                              "domain"])
    header = [h.strip().lower() for h in rows[0][1]]
    problems = _header_problems(header, kind)
    if problems:
        raise ImportProblems(problems)
    found: list[ImportedResult] = []
    seen: dict[str, int] = {}
    for number, cells in rows[1:]:
        if not any(c.strip() for c in cells):
            continue
        result, wrong = _row(number, dict(zip(header, (c.strip() for c in cells), strict=False)),
                             len(cells) == len(header))
        if result and result.domain in seen:
            wrong.append(f"line {number}: {result.domain} also on line {seen[result.domain]}")
        problems += wrong
        if result and not wrong:
            seen[result.domain] = number
            found.append(result)
    if problems:
        raise ImportProblems(problems)
    if not found:
        raise ImportProblems(["the file has no rows under its header line"])
    return found


def _header_problems(header: list[str], kind: str) -> list[str]:
    problems = [f"line 1: the header lacks '{f}'" for f in ("category", "domain")
                if f not in header]
    allowed = set(column_names(kind))
    problems += [f"line 1: '{h}' is not a {kind} column (SPEC §4)"
                 for h in header if h not in FIXED + OWNER and h not in allowed]
    problems += [f"line 1: '{h}' appears twice" for h in sorted(set(header))
                 if header.count(h) > 1]
    return problems


def _row(number: int, cells: dict[str, str],
         complete: bool) -> tuple[ImportedResult | None, list[str]]:
    wrong = [] if complete else [f"line {number}: not as many cells as the header"]
    category = vocabulary.category_of(cells.get("category", ""))
    if category is None:
        wrong.append(f"line {number}: unknown category '{cells.get('category', '')}'")
    domain = _domain(cells.get("domain", ""))
    if domain is None:
        wrong.append(f"line {number}: {cells.get('domain', '')[:80]!r} is not a domain name")
        domain = ""
    reaction = cells.get("reaction", "")
    if reaction not in ("", "0", "1"):
        wrong.append(f"line {number}: reaction is '{reaction}', not 1, 0 or empty")
    columns = {c: v.lower() for c, v in cells.items() if c not in FIXED + OWNER and v}
    wrong += [f"line {number}: {c} has unknown status '{v}'" for c, v in columns.items()
              if v not in STATUSES]
    if category is None or not domain:
        return None, wrong
    owner = {f: " ".join(cells.get(f, "").split()) for f in OWNER}
    return ImportedResult(number, category, domain, reaction == "1", columns,
                          **owner), wrong


def _domain(text: str) -> str | None:
    """The name in punycode, lower case; None when it cannot be a domain name."""
    try:
        return normalise(text)
    except BadDomainName:
        return None


@cache
def _batch_map() -> dict[str, Any]:
    text = (resources.files("meting.analysis") / "data/internetnl-batch.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def batch_mapping() -> dict[str, Any]:
    """The mapping of Internet.nl batch results onto the columns (data/internetnl-batch.yaml)."""
    return _batch_map()


def read_batch_json(data: Mapping[str, Any], kind: str) -> list[ImportedResult]:
    """Internet.nl batch API v2 results: ``{"domains": {name: {"status", "results"}}}``,
    ``results`` holding ``categories``, ``tests`` and ``custom`` (interface/batch/openapi.yaml
    of Internet.nl)."""
    domains = data.get("domains") if isinstance(data, Mapping) else None
    if not isinstance(domains, Mapping):
        raise ImportProblems(["the file has no 'domains' object (Internet.nl batch results: "
                              '{"domains": {"example.nl": {"status": "ok", "results": {…}}}})'])
    found, problems = [], []
    for position, (name, entry) in enumerate(sorted(domains.items()), start=1):
        problem = _entry_problem(name, entry)
        domain = _domain(name)
        if problem is None and domain is None:
            problem = "is not a domain name"
        if problem is not None:
            problems.append(f"domains[{str(name)[:80]!r}]: {problem}")
            continue
        found.append(ImportedResult(position, "", str(domain), False,
                                    _batch_columns(entry, kind)))
    if problems:
        raise ImportProblems(problems)
    if not found:
        raise ImportProblems(["the file's 'domains' object is empty"])
    return found


def _entry_problem(name: str, entry: Any) -> str | None:
    """What makes one domain's entry unusable (None when it is as the API describes)."""
    if not isinstance(entry, Mapping):
        return f"expected an object with status and results, not {type(entry).__name__}"
    if entry.get("status") != "ok":
        return None  # a failed test: every column error
    results = entry.get("results", {})
    if not isinstance(results, Mapping):
        return f"'results' is a {type(results).__name__}, not an object"
    for part in ("tests", "categories"):
        if not isinstance(results.get(part, {}), Mapping):
            return f"'results.{part}' is a {type(results.get(part)).__name__}, not an object"
    return None


def _batch_columns(entry: Mapping[str, Any], kind: str) -> dict[str, str]:
    mapping = _batch_map()
    if entry.get("status") != "ok":
        return {column: Status.ERROR.value for column in mapping[kind]}
    results = entry.get("results", {})
    tests, categories = results.get("tests", {}), results.get("categories", {})
    columns = {}
    for column, source in mapping[kind].items():
        if "columns" in source:
            continue  # from other columns, below
        if "category" in source:
            found = [_status(categories.get(source["category"]))]
        else:
            found = [_status(tests.get(t)) for t in source["tests"]]
        statuses = [Status(s) for s in found if s is not None]
        if statuses:
            columns[column] = worst(statuses).value
    columns |= _custom_overrides(results.get("custom"), kind, columns)
    for column, source in mapping[kind].items():
        if "columns" in source and all(c in columns for c in source["columns"]):
            ok = all(columns[c] in allowed for c, allowed in source["columns"].items())
            columns[column] = (Status.PASSED if ok else Status.FAILED).value
    return columns


def _custom_overrides(custom: Any, kind: str, columns: Mapping[str, str]) -> dict[str, str]:
    """The statuses Internet.nl's custom results give measured columns (data file's
    ``custom``): e.g. info on the mail-server columns of a domain without MX."""
    if not isinstance(custom, Mapping):
        return {}
    found: dict[str, str] = {}
    for name, by_value in _batch_map().get("custom", {}).get(kind, {}).items():
        value = custom.get(name)
        rule = by_value.get(value) if isinstance(value, (str, bool)) else None
        if rule:
            found |= {c: rule["status"] for c in rule["columns"] if c in columns}
    return found


def _status(result: Any) -> str | None:
    if not isinstance(result, Mapping):
        return None
    status = str(result.get("status", ""))
    status = _batch_map()["statuses"].get(status, status)
    return status if status in STATUSES else Status.ERROR.value


@dataclass(frozen=True)
class Owner:
    organisation: str
    category: str
    umbrella: str


def to_round(imported: Sequence[ImportedResult], kind: str, round_id: str,
             date: datetime.date, *, label: str = "", set_name: str = "",
             owners: Mapping[str, Owner] | None = None,
             reactions: Mapping[str, str] | None = None) -> RoundResults:
    """A round of imported results; ``owners`` (domain → organisation) comes from the
    registry. A domain it does not know is its own organisation in the file's category."""
    owners = owners or {}
    rows = []
    for item in imported:
        owner = owners.get(item.domain) or _own_owner(item)
        rows.append(DomainResult(domain=item.domain, organisation=owner.organisation,
                                 category=item.category or owner.category,
                                 umbrella=owner.umbrella, kind=kind, columns=item.columns,
                                 reaction=item.reaction))
    return RoundResults(round_id, label or round_id, date, set_name, "", rows,
                        dict(reactions or {}))


def registry_entries(items: Sequence[ImportedResult], kind: str) -> list[ListEntry]:
    """Registry entries for imported results whose domains the registry lacks: the file's
    category, the organisation it names (else the domain itself), the category's default
    umbrella unless the file names one; both test roles, as a registry list's default.
    A web file may name the host tested (www.example.nl): the domain is the name without
    'www.'. An entry without category (batch results carry none) is for the caller to
    refuse."""
    found = []
    for item in items:
        domain = item.domain
        if kind == "web" and domain.startswith("www."):
            domain = domain.removeprefix("www.")
        found.append(ListEntry(
            line=item.line, organisation=item.organisation or domain, category=item.category,
            domain=domain, web=True, web_host=None, mail=True,
            umbrella=item.umbrella or (vocabulary.default_umbrella(item.category)
                                       if item.category else None),
            provider=None, sets=(), parent=item.parent or None))
    return found


def _own_owner(item: ImportedResult) -> Owner:
    category = item.category or "overig"
    return Owner(item.domain, category, vocabulary.default_umbrella(category) or "")
