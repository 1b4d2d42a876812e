"""Benchmark: a whole round (`meting run`) over a generated lab, stored in SQLite.

Not a test. Brings up a lab with --domains N (own prefix), imports its registry, plans a
round over the generated domains and runs it with `meting run --round ID` in the scanner
namespace (one command, a runner per core; --processes P: P commands started here, each
--part I/P of the round).
Prints domains per minute, DNS queries and TLS handshakes per domain (summed from the
stored evidence), the runners' peak memory and the database size per 1,000 domains.

    .venv/bin/python bench/round.py --domains 1000 [--processes P] [--profile FILE] [--keep-lab]

Most generated lab domains share one web server (as at a real hosting provider), so the
politeness limit (``per_address`` exchanges at once per address, shared by the
processes) bounds how fast their TLS scans go; --per-address raises it for a benchmark.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("METING_LAB_PREFIX", "mtr-")
os.environ.setdefault("METING_LAB_DIR", "/var/lib/meting-lab-round")

from proc import resident_mib, tree

from meting.lab import lab, netns
from meting.registry.lists import read_list
from meting.store import Store


def count(evidence: Any, key: str) -> int:
    """The sum of every integer ``key`` anywhere in a test's evidence."""
    if isinstance(evidence, dict):
        own = evidence.get(key)
        return (own if isinstance(own, int) else 0) + sum(
            count(v, key) for k, v in evidence.items() if k != key)
    if isinstance(evidence, list):
        return sum(count(v, key) for v in evidence)
    return 0


def plan(url: str, registry: str) -> tuple[int, int]:
    """Import the lab registry, plan a round over the generated domains: (id, domains)."""
    listed = read_list(registry)
    assert listed.ok, listed.errors[:3]
    with Store.open(url) as store:
        store.import_entries(listed.entries)
        round_id = store.create_round("generated", "current", label="bench")
        tests = store.plan_round(round_id)
    return round_id, tests // 2


def run(info: dict[str, Any], url: str, round_id: int, processes: int,
        settings: dict[str, int | None], profile: str | None
        ) -> tuple[float, float, tuple[float, float], float]:
    """Wall time, the runners' peak memory together (sampled), their CPU time (user,
    system) and the highest 1-minute load average of the machine meanwhile.

    ``processes`` 0: one `meting run --round ID`, which starts a runner per core itself;
    P > 0: P commands with --part I/P, started here."""
    env = [f"METING_RESOLVER={info['resolver']}", f"METING_TRUST_STORE={info['trust_store']}",
           f"METING_RPKI_VRPS={info['rpki_vrps']}", f"METING_RPKI_ROUTES={info['rpki_routes']}",
           f"METING_DATABASE={url}", f"METING_ALLOWED_NETWORKS={netns.LAB_NETWORKS}"]
    env += [f"METING_{k.upper()}={v}" for k, v in settings.items() if v]
    parts = [["--part", f"{i}/{processes}"] for i in range(processes)] or [[]]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    procs = []
    for i, part in enumerate(parts):
        argv = ["env", *env, sys.executable, "-m", "meting.cli", "run", "--round",
                str(round_id), *part]
        if profile:  # py-spy samples the thread holding the GIL: where Python spends its CPU
            argv = ["py-spy", "record", "--format", "raw", "--gil", "--rate", "50",
                    "--subprocesses", "--output", f"{profile}.{i}", "--", *argv]
        procs.append(subprocess.Popen(netns.exec_argv(info["scanner_namespace"], argv),
                                      stdout=subprocess.DEVNULL))
    peak = load = 0.0
    while any(p.poll() is None for p in procs):
        peak = max(peak, sum(resident_mib(q) for p in procs for q in tree(p.pid)))
        load = max(load, os.getloadavg()[0])
        time.sleep(0.5)
    seconds = time.monotonic() - started
    codes = [p.wait() for p in procs]
    assert codes == [0] * len(procs), codes
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime)
    return seconds, peak, cpu, load


def totals(url: str, round_id: int) -> dict[str, int]:
    found = {"tests": 0, "dns_queries": 0, "handshakes": 0, "not_testable": 0}
    with Store.open(url) as store:
        ids = [r.test_id for r in store.results(round_id)]
        for test_id in ids:
            evidence = store.evidence(test_id)
            found["tests"] += 1
            found["dns_queries"] += count(evidence, "dns_queries")
            found["handshakes"] += count(evidence, "handshakes")
            found["not_testable"] += "not_testable" in evidence
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=0,
                        help="0 (default): one meting run, a runner per core; P: P runners "
                        "started here with --part I/P")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="tests at once per process (default: the settings')")
    parser.add_argument("--per-address", type=int, default=None,
                        help="exchanges at once per server address (default: the settings'; "
                        "most generated lab domains share one web server)")
    parser.add_argument("--keep-lab", action="store_true")
    parser.add_argument("--profile", metavar="FILE",
                        help="sample each runner with py-spy (on PATH) into FILE.I, collapsed "
                        "stacks; bench/profile_top.py summarises them")
    args = parser.parse_args()
    info = lab.up(args.domains)
    with tempfile.TemporaryDirectory(prefix="meting-bench-") as tmp:
        db = Path(tmp) / "round.db"
        url = f"sqlite:///{db}"
        round_id, domains = plan(url, info["registry"])
        load_before = os.getloadavg()[0]
        seconds, peak_mib, (user, system), load = run(info, url, round_id, args.processes,
                                {"concurrency": args.concurrency,
                                 "per_address": args.per_address}, args.profile)
        found = totals(url, round_id)
        size = sum(f.stat().st_size for f in Path(tmp).iterdir())
    print(f"domains                  {domains} (web + mail test each, {found['tests']} stored)")
    print(f"runner processes         {args.processes or 'one per core'} (concurrency "
          f"{args.concurrency or 'default'}, per address {args.per_address or 'default'})")
    print(f"wall time                {seconds:.1f} s")
    print(f"domains per minute       {domains / seconds * 60:.0f}")
    print(f"DNS queries per domain   {found['dns_queries'] / domains:.1f}")
    print(f"handshakes per domain    {found['handshakes'] / domains:.1f}")
    print(f"not testable tests       {found['not_testable']}")
    print(f"runner CPU per domain    {(user + system) / domains * 1000:.0f} ms (all runner "
          f"processes; user {user / domains * 1000:.0f}, system {system / domains * 1000:.0f})")
    print(f"machine load (1 min)     {load_before:.1f} before, {load:.1f} at most during the "
          f"round (other work on the machine makes wall time, not CPU per domain, vary)")
    print(f"runner peak memory       {peak_mib:.0f} MiB (all runner processes together)")
    print(f"database per 1,000 dom.  {size / domains * 1000 / 2**20:.1f} MiB")
    if not args.keep_lab:
        lab.down()


if __name__ == "__main__":
    main()
