"""Benchmark: the store under a round of N generated domains (no network, no lab).

Not a test. Imports N domains, plans a round (a web and a mail test each), saves a
result with evidence of realistic size for every test, streams the results back,
judges the round again, and prints the time of each step, the database size and
the peak memory of streaming.

    .venv/bin/python bench/store.py --domains 10000 [--url sqlite:////tmp/meting-bench.db]
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from meting.registry.lists import ListEntry
from meting.store import Store

T = TypeVar("T")
COLUMNS = ("dnssec", "ipv6_nameserver", "ipv6_webserver", "ipv6_web", "rpki_web")
SUBTESTS = ("dnssec_exists", "dnssec_valid", "ns_aaaa", "ns_reach", "web_aaaa", "web_reach")


def timed(step: str, work: Callable[[], T], count: int) -> T:
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    print(f"{step:<28} {seconds:8.2f} s   {count / seconds:10,.0f} per s")
    return result


def judged(kind: str, evidence: dict[str, Any], norm: str) -> dict[str, Any]:
    explained = {"status": "passed", "explanation": {"nl": "x" * 120, "en": "y" * 120}}
    return {"columns": dict.fromkeys(COLUMNS, explained),
            "subtests": dict.fromkeys(SUBTESTS, explained)}


RECORDED = Path(__file__).parent.parent / "tests" / "unit" / "data" / "recorded"


def recorded(kind: str) -> dict[str, Any]:
    """Evidence of a lab domain's test as the probe recorded it (the store checks every
    evidence against its schema, so a made-up one would be refused)."""
    found: dict[str, Any] = json.loads((RECORDED / f"perfect.{kind}.json").read_text())
    return dict(found["evidence"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--url", default="sqlite:////tmp/meting-bench.db")
    args = parser.parse_args()
    if args.url.startswith("sqlite:////"):
        for suffix in ("", "-wal", "-shm"):
            Path(args.url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    entries = [ListEntry(line=i + 2, organisation=f"Organisatie {i // 4}", category="gemeente",
                         domain=f"domein{i:06}.nl", web=True, web_host=None, mail=True,
                         umbrella="VNG", provider=None, sets=("bench",))
               for i in range(args.domains)]
    with Store.open(args.url) as store:
        timed("import", lambda: store.import_entries(entries), len(entries))
        round_id = store.create_round("bench", "current")
        tests = timed("plan", lambda: store.plan_round(round_id), 2 * len(entries))
        pending = store.pending_tests(round_id)
        templates = {kind: recorded(kind) for kind in ("web", "mail")}
        timed("save results", lambda: [store.save_result(
            t.test_id, templates[t.kind] | {"target": t.target},
            judged(t.kind, {}, "current")) for t in pending], tests)
        tracemalloc.start()
        timed("stream results", lambda: sum(1 for _ in store.results(round_id)), tests)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        timed("rejudge", lambda: store.rejudge(round_id, "2021", judged), tests)
    print(f"peak memory while streaming: {peak / 2**20:.1f} MiB")
    if args.url.startswith("sqlite:///"):
        print(f"database: {Path(args.url.removeprefix('sqlite:///')).stat().st_size / 2**20:.1f}"
              " MiB")


if __name__ == "__main__":
    main()
