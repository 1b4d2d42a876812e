"""Benchmark: web and mail tests (the columns judged so far) over a generated lab.

Not a test. Brings up a lab with --domains N (own prefix), runs every domain's web and
mail test from the scanner namespace with --concurrency tests at once, and prints
domains per minute, DNS queries per domain and the scanner's peak memory.

    .venv/bin/python bench/checks.py --domains 10000 --concurrency 300
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("METING_LAB_PREFIX", "mtb-")
os.environ.setdefault("METING_LAB_DIR", "/var/lib/meting-lab-bench")

from meting.lab import lab, netns

SCANNER = """
import asyncio, json, resource, sys, time
from meting.settings import load
from meting.tester import routing_data, run_test

async def main(targets, concurrency):
    settings = load()
    routing = routing_data(settings)
    slots = asyncio.Semaphore(concurrency)
    queries = 0
    async def one(kind, target):
        nonlocal queries
        async with slots:
            evidence, _ = await run_test(kind, target, settings, routing)
            queries += evidence["dns_queries"]
    started = time.monotonic()
    await asyncio.gather(*(one(k, t) for k, t in targets))
    return time.monotonic() - started, queries

targets = json.load(sys.stdin)
seconds, queries = asyncio.run(main(targets, int(sys.argv[1])))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "queries": queries, "peak_mib": peak}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--domains", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=300)
    parser.add_argument("--processes", type=int, default=1,
                        help="scanner processes, each taking an equal share of the domains")
    args = parser.parse_args()
    info = lab.up(args.domains)
    plan = json.loads((lab.state_dir() / "plan.json").read_text())
    domains = [d for d in plan["domains"] if d["generated"]]
    targets = [t for d in domains for t in (["web", d["web_host"]], ["mail", d["mail_domain"]])]
    env = [f"METING_RESOLVER={info['resolver']}", f"METING_RPKI_VRPS={info['rpki_vrps']}",
           f"METING_RPKI_ROUTES={info['rpki_routes']}",
           f"METING_ALLOWED_NETWORKS={netns.LAB_NETWORKS}"]
    argv = netns.exec_argv(info["scanner_namespace"],
                           ["env", *env, sys.executable, "-c", SCANNER, str(args.concurrency)])
    started = time.monotonic()
    procs = []
    for i in range(args.processes):
        share = targets[i::args.processes]
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(share))
        proc.stdin.close()
        procs.append(proc)
    parts = []
    for proc in procs:
        assert proc.stdout is not None
        parts.append(json.loads(proc.stdout.read()))
        proc.wait()
    result = {"seconds": time.monotonic() - started,
              "queries": sum(p["queries"] for p in parts),
              "peak_mib": max(p["peak_mib"] for p in parts)}
    n = len(domains)
    print(f"domains                 {n} (web + mail test each)")
    print(f"scanner processes       {args.processes} x concurrency {args.concurrency}")
    print(f"wall time               {result['seconds']:.1f} s")
    print(f"domains per minute      {n / result['seconds'] * 60:.0f}")
    print(f"DNS queries per domain  {result['queries'] / n:.1f}")
    print(f"scanner peak memory     {result['peak_mib']:.0f} MiB per process")
    lab.down()


if __name__ == "__main__":
    main()
