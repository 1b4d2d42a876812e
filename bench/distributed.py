"""Benchmark: a round on Celery workers against the same round in-process, over the lab.

Not a test. Brings up a lab with --domains N (own prefix), a throwaway Redis and
PostgreSQL on Unix sockets, imports the lab registry and runs three rounds over the
generated domains, each on a fresh round in the same database:

- in-process: `meting run` in the scanner namespace, concurrency C;
- one worker: `meting worker --concurrency C` in the scanner namespace, and
  `meting run --executor celery` in the root namespace;
- two workers, each with concurrency C.

Prints tests per second of each, and the overhead per test of the distributed path: the
extra wall time per test of one worker against in-process at the same concurrency, and
the CPU time per test of every process involved (runner, workers, Redis).

    .venv/bin/python bench/distributed.py --domains 200 [--concurrency 16] [--keep-lab]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.services
os.environ.setdefault("METING_LAB_PREFIX", "mtd-")
os.environ.setdefault("METING_LAB_DIR", "/var/lib/meting-lab-distributed")

from proc import cpu_seconds
from tests.services import postgres_database, postgres_server, redis_server

from meting.lab import lab, netns
from meting.registry.lists import read_list
from meting.store import Store


@dataclass
class Result:
    name: str
    tests: int
    seconds: float
    cpu: dict[str, float]
    handed_back: int = 0  # messages a worker gave back: their addresses had no room

    @property
    def per_second(self) -> float:
        return self.tests / self.seconds


class Bench:
    def __init__(self, info: dict[str, Any], database: str, broker: str, redis_pid: int,
                 concurrency: int, logs: Path) -> None:
        self.info, self.database, self.broker = info, database, broker
        self.redis_pid, self.concurrency, self.logs = redis_pid, concurrency, logs

    def env(self, scanner: bool) -> dict[str, str]:
        found = {"METING_DATABASE": self.database, "METING_BROKER": self.broker,
                 "METING_CONCURRENCY": str(self.concurrency)}
        if scanner:
            found |= {"METING_RESOLVER": self.info["resolver"],
                      "METING_TRUST_STORE": self.info["trust_store"],
                      "METING_RPKI_VRPS": self.info["rpki_vrps"],
                      "METING_RPKI_ROUTES": self.info["rpki_routes"],
                      "METING_ALLOWED_NETWORKS": netns.LAB_NETWORKS}
        return found

    def in_scanner(self, *argv: str) -> list[str]:
        env = [f"{k}={v}" for k, v in self.env(scanner=True).items()]
        return netns.exec_argv(self.info["scanner_namespace"],
                               ["env", *env, sys.executable, "-m", "meting.cli", *argv])

    def new_round(self, label: str) -> tuple[int, int]:
        with Store.open(self.database) as store:
            round_id = store.create_round("generated", "current", label=label)
            return round_id, store.plan_round(round_id)

    def local(self) -> Result:
        round_id, tests = self.new_round("local")
        runner = subprocess.Popen(self.in_scanner("run", "--round", str(round_id)),
                                  stdout=subprocess.DEVNULL)
        seconds, cpu = watch([runner], {"runner": [runner]})
        return Result("in-process", tests, seconds, cpu)

    def distributed(self, workers: int) -> Result:
        procs = [self.start_worker(i, workers) for i in range(workers)]
        try:
            round_id, tests = self.new_round(f"celery-{workers}")
            env = {k: v for k, v in os.environ.items() if not k.startswith("METING_")}
            runner = subprocess.Popen(
                [sys.executable, "-m", "meting.cli", "run", "--round", str(round_id),
                 "--executor", "celery"], env=env | self.env(scanner=False),
                stdout=subprocess.DEVNULL)
            seconds, cpu = watch([runner], {"runner": [runner], "workers": procs},
                                 {"redis": self.redis_pid})
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=120)
        handed = sum((self.logs / f"worker-{workers}-{i}.log").read_text(errors="replace")
                     .count(" handed back: ") for i in range(workers))
        return Result(f"{workers} worker(s)", tests, seconds, cpu, handed)

    def start_worker(self, index: int, of: int) -> subprocess.Popen[bytes]:
        log = (self.logs / f"worker-{of}-{index}.log").open("wb")
        proc = subprocess.Popen(self.in_scanner("worker", "--concurrency",
                                                str(self.concurrency)),
                                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while " ready." not in (self.logs / f"worker-{of}-{index}.log").read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"worker {index} did not start; see {self.logs}")
            time.sleep(0.2)
        return proc


def watch(waited: Sequence[subprocess.Popen[Any]], groups: dict[str, list[Any]],
          others: dict[str, int] | None = None) -> tuple[float, dict[str, float]]:
    """Wall time until ``waited`` end; CPU seconds per group of processes, sampled."""
    pids = {name: [p.pid for p in procs] for name, procs in groups.items()}
    pids |= {name: [pid] for name, pid in (others or {}).items()}
    first = {pid: cpu_seconds(pid) for group in pids.values() for pid in group}
    last = dict(first)
    started = time.monotonic()
    while any(p.poll() is None for p in waited):
        last.update({pid: max(last[pid], cpu_seconds(pid)) for pid in last})
        time.sleep(0.25)
    seconds = time.monotonic() - started
    codes = [p.wait() for p in waited]
    if codes != [0] * len(waited):
        raise SystemExit(f"a run failed: exit codes {codes}")
    last.update({pid: max(last[pid], cpu_seconds(pid)) for pid in last})
    return seconds, {name: sum(last[p] - first[p] for p in group)
                     for name, group in pids.items()}


def report(results: list[Result], domains: int, concurrency: int) -> None:
    local, one = results[0], results[1]
    print(f"domains                 {domains} generated ({local.tests} tests per round)")
    print(f"concurrency             {concurrency} tests at once per process")
    for r in results:
        cpu = ", ".join(f"{name} {seconds / r.tests * 1000:.0f} ms"
                        for name, seconds in r.cpu.items())
        handed = f", {r.handed_back} handed back" if r.name != "in-process" else ""
        print(f"{r.name:<23} {r.seconds:6.1f} s  {r.per_second:5.2f} tests/s  "
              f"CPU per test: {cpu}{handed}")
    extra = (one.seconds - local.seconds) / local.tests
    cpu_local = sum(local.cpu.values()) / local.tests
    cpu_one = sum(one.cpu.values()) / one.tests
    print(f"overhead per test       {extra * 1000:+.0f} ms wall (one worker against "
          f"in-process, same concurrency), {(cpu_one - cpu_local) * 1000:+.0f} ms CPU "
          f"(runner, workers and Redis against the in-process runner)")
    if len(results) > 2:
        print(f"two workers against one {results[2].per_second / one.per_second:.2f}× "
              f"the throughput")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--domains", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16,
                        help="tests at once per process (in-process runner, each worker)")
    parser.add_argument("--keep-lab", action="store_true")
    args = parser.parse_args()
    info = lab.up(args.domains)
    try:
        with tempfile.TemporaryDirectory(prefix="meting-bench-") as tmp, \
                redis_server(Path(tmp)) as socket, postgres_server() as pg:
            database = postgres_database(pg, "meting_bench")
            listed = read_list(info["registry"])
            with Store.open(database) as store:
                store.import_entries(listed.entries)
            redis_pid = int(subprocess.run(["pgrep", "-f", f"redis-server unixsocket:{socket}"],
                                           capture_output=True, text=True,
                                           check=False).stdout.split()[0])
            bench = Bench(info, database, f"unix://{socket}", redis_pid, args.concurrency,
                          Path(tmp))
            results = [bench.local(), bench.distributed(1), bench.distributed(2)]
            report(results, args.domains, args.concurrency)
    finally:
        if not args.keep_lab:
            lab.down()


if __name__ == "__main__":
    main()
