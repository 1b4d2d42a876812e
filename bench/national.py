"""A store at national scale for benchmarks: N domains measured in R half-yearly rounds.

Not a test, and no scan: the rows are written with the store's own API. The registry has
N domains of the six layers (four to an organisation, under the layer's umbrella); each
round's statuses follow the lab's population (``meting.lab.population``: the adoption of
a published round per layer and standard, then one round of owners' fixes and
regressions per round), so trends and changes look like the real thing. Earlier rounds
are stored as imported statuses; the last round as a measured one (planned, then every
test saved with its explanations, subtests and evidence of realistic size).

    .venv/bin/python bench/national.py --domains 10000 --rounds 10 [--url URL]

Used by bench/web.py; prints how long each step took.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from meting.evidence import loaded
from meting.lab import population
from meting.lab.plan import load_catalogue
from meting.registry.entry import ListEntry
from meting.store import Store
from meting.store.records import ImportedStatuses

SET = "nationaal"
DOMAINS_PER_ORGANISATION = 4
FIRST_ROUND = dt.date(2021, 3, 1)
RECORDINGS = Path(__file__).resolve().parent.parent / "tests" / "unit" / "data" / "recorded"


@dataclass
class National:
    """What a benchmark needs to address the store's pages."""

    url: str
    rounds: list[int]  # ids, oldest first
    labels: list[str]
    organisations: list[str]
    domains: list[str]


def domain_name(d: population.GeneratedDomain) -> str:
    return f"{d.category}-{d.number:05d}.nl"


def entries(domains: list[population.GeneratedDomain],
            umbrellas: dict[str, str]) -> list[ListEntry]:
    """Each layer's domains, in order, four to an organisation of that layer."""
    seen: dict[str, int] = {}
    rows = []
    for line, d in enumerate(domains, start=2):
        seen[d.category] = seen.get(d.category, 0) + 1
        org = f"{d.category.capitalize()} {(seen[d.category] - 1) // DOMAINS_PER_ORGANISATION:04d}"
        rows.append(ListEntry(line=line, organisation=org, category=d.category,
                              domain=domain_name(d), web=True, web_host=None, mail=True,
                              umbrella=umbrellas[d.category], provider=None, sets=(SET,)))
    return rows


def round_date(index: int) -> dt.date:
    year, month = divmod(FIRST_ROUND.month - 1 + 6 * index, 12)
    return dt.date(FIRST_ROUND.year + year, month + 1, 1)


def explained(status: str) -> dict[str, Any]:
    return {"status": status, "explanation": {"nl": f"Toelichting bij {status}. " * 6,
                                              "en": f"Explanation of {status}. " * 6}}


def judged(columns: dict[str, str]) -> dict[str, Any]:
    subtests = {f"{c}_{n}": s for c, s in columns.items() for n in (1, 2)}
    return {"columns": {c: explained(s) for c, s in columns.items()},
            "subtests": {t: explained(s) for t, s in subtests.items()}}


def evidence(target: str, kind: str) -> dict[str, Any]:
    """A real test's evidence (the lab's recording of a compliant domain, in the current
    evidence version: the store accepts only that) for the target."""
    found = copy.deepcopy(recorded(kind))
    found["target"] = target
    return found


@cache
def recorded(kind: str) -> dict[str, Any]:
    path = RECORDINGS / f"perfect.{kind}.json"
    found: dict[str, Any] = loaded(json.loads(path.read_text(encoding="utf-8"))["evidence"])
    return found


def timed(step: str, started: float) -> float:
    now = time.perf_counter()
    print(f"  {step:<40} {now - started:7.1f} s", flush=True)
    return now


def fill(url: str, domains: int = 10_000, rounds: int = 10) -> National | None:
    """A fresh store at ``url`` with the registry and every round; what was made."""
    people = population.load()
    catalogue = load_catalogue()
    defaults = catalogue["defaults"]["expected"]
    ids: list[int] = []
    labels: list[str] = []
    started = time.perf_counter()
    with Store.open(url) as store:
        for index, state in enumerate(population.history(people, domains, rounds)):
            if index == 0:
                store.import_entries(entries(state, catalogue["umbrellas"]))
                started = timed(f"registry: {domains} domains", started)
            statuses = {domain_name(d): population.expected(people, d, defaults)
                        for d in state}
            round_id = store.create_round(SET, "current", date=round_date(index))
            if index < rounds - 1:
                for kind in ("web", "mail"):
                    store.import_statuses(round_id, kind, [
                        ImportedStatuses(domain, columns[kind])
                        for domain, columns in statuses.items()])
            else:
                store.plan_round(round_id)
                for test in store.pending_tests(round_id):
                    store.save_result(test.test_id, evidence(test.target, test.kind),
                                      judged(statuses[test.domain][test.kind]))
            store.set_round_state(round_id, "running")
            store.set_round_state(round_id, "finished")
            ids.append(round_id)
            labels.append(store.round(round_id).label)
            started = timed(f"round {labels[-1]} "
                            f"({'measured' if index == rounds - 1 else 'imported'})", started)
    return describe(url, domains, rounds)


def describe(url: str, domains: int, rounds: int) -> National | None:
    """What a filled store holds (None when it does not hold these rounds of N domains)."""
    people = population.load()
    with Store.open(url) as store:
        found = [r for r in store.rounds() if r.set_name == SET and r.state == "finished"]
        registered = store.domain_sets().get(SET, 0)
    if len(found) != rounds or registered != domains:
        return None
    last = population.draw(people, domains, rounds - 1)
    return National(url=url, rounds=[r.id for r in found], labels=[r.label for r in found],
                    organisations=sorted({e.organisation for e in entries(
                        last, load_catalogue()["umbrellas"])}),
                    domains=[domain_name(d) for d in last])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--url", default="sqlite:////tmp/meting-national.db")
    args = parser.parse_args()
    if args.url.startswith("sqlite:////"):
        for suffix in ("", "-wal", "-shm"):
            Path(args.url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    made = fill(args.url, args.domains, args.rounds)
    assert made is not None
    print(f"{len(made.rounds)} rounds ({made.labels[0]} … {made.labels[-1]}), "
          f"{len(made.domains)} domains, {len(made.organisations)} organisations in {made.url}")


if __name__ == "__main__":
    main()
