"""Distributed rounds: two `meting worker` processes, a real Redis broker, a real PostgreSQL.

The workers run in the lab's scanner namespace; the runner (`meting run --executor
celery`) and the watcher run outside it, in the root namespace: only the broker and the
store are shared, both on Unix sockets (which cross network namespaces).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from redis.asyncio import Redis

from meting.lab import netns
from meting.registry.lists import read_list
from meting.run.dispatch import cap
from meting.run.shared_limiter import SharedPlaces, redis_url
from meting.settings import Settings
from meting.store import Store
from tests.lab.conftest import Lab
from tests.services import postgres_database, postgres_server, redis_server

pytestmark = pytest.mark.lab

Statuses = dict[tuple[str, str], dict[str, str]]  # (domain, kind) -> column/subtest -> status
# Same settings for the in-process and the distributed runs. Without retries, a test
# lost with a killed worker is handed out again after (budget + 15 s) plus at most 10 s.
SETTINGS = {"DNS_TIMEOUT": "2", "CONNECT_TIMEOUT": "3", "SMTP_BANNER_TIMEOUT": "5",
            "TEST_BUDGET": "60", "RETRIES": "0"}
# how long other "workers" hold every place of one address at most: the test gives them
# back as soon as a worker has handed back a test of it (a busy machine starts slowly)
BUSY_SECONDS = 300.0
WORKERS = 2


@dataclass
class Cluster:
    lab: Lab
    database: str
    broker: str
    logs: Path
    workers: list[subprocess.Popen[bytes]]

    def env(self, scanner: bool) -> dict[str, str]:
        settings = {**SETTINGS, "DATABASE": self.database, "BROKER": self.broker}
        if scanner:
            settings |= {"RESOLVER": self.lab.info["resolver"],
                         "TRUST_STORE": self.lab.trust_store,
                         "RPKI_VRPS": self.lab.info["rpki_vrps"],
                         "RPKI_ROUTES": self.lab.info["rpki_routes"]}
        return {f"METING_{k}": v for k, v in settings.items()}

    def in_scanner(self, *argv: str) -> list[str]:
        env = [f"{k}={v}" for k, v in self.env(scanner=True).items()]
        return netns.exec_argv(self.lab.scan, ["env", *env, sys.executable, "-m",
                                               "meting.cli", *argv])

    def outside(self, *argv: str) -> subprocess.Popen[str]:
        """`meting ARGV` in the root namespace: it reaches only the broker and the store."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("METING_")}
        return subprocess.Popen([sys.executable, "-m", "meting.cli", *argv],
                                env=env | self.env(scanner=False), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)

    def round(self, label: str) -> int:
        with Store.open(self.database) as store:
            round_id = store.create_round("lab", "current", label=label)
            store.plan_round(round_id)
            return round_id

    def log(self, index: int) -> str:
        return (self.logs / f"worker-{index}.log").read_text(errors="replace")


def start_worker(cluster: Cluster, index: int) -> subprocess.Popen[bytes]:
    log = (cluster.logs / f"worker-{index}.log").open("wb")
    return subprocess.Popen(cluster.in_scanner("worker", "--concurrency", "4"), stdout=log,
                            stderr=subprocess.STDOUT)


def wait_ready(cluster: Cluster, index: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while " ready." not in cluster.log(index):
        assert cluster.workers[index].poll() is None, cluster.log(index)[-3000:]
        assert time.monotonic() < deadline, cluster.log(index)[-3000:]
        time.sleep(0.2)


@pytest.fixture(scope="module")
def cluster(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    base = tmp_path_factory.mktemp("cluster")
    with redis_server(base) as socket, postgres_server() as pg:
        database = postgres_database(pg, "meting_distributed")
        listed = read_list(Path(lab.info["registry"]))
        assert listed.ok, listed.errors
        with Store.open(database) as store:
            store.import_entries(listed.entries)
        found = Cluster(lab, database, f"unix://{socket}", base, [])
        try:
            for index in range(WORKERS):
                found.workers.append(start_worker(found, index))
            for index in range(WORKERS):
                wait_ready(found, index)
            yield found
        finally:
            for worker in found.workers:
                worker.terminate()  # warm shutdown: running tests finish first
            for worker in found.workers:
                try:
                    worker.wait(timeout=120)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()


def statuses(database: str, round_id: int) -> Statuses:
    found: Statuses = {}
    with Store.open(database) as store:
        for r in store.results(round_id):
            key = (r.domain, r.kind)
            assert key not in found, f"two results for {key}"
            found[key] = {**r.columns, **{f"subtest {n}": s for n, s in r.subtests.items()}}
    return found


def finish(proc: subprocess.Popen[str], timeout: float = 600) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


@pytest.fixture(scope="module")
def in_process(cluster: Cluster) -> Statuses:
    """The lab round run by the in-process executor, with the same settings and store."""
    round_id = cluster.round("local")
    done = subprocess.run(cluster.in_scanner("run", "--round", str(round_id)),
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return statuses(cluster.database, round_id)


def busiest_web_address(database: str) -> str:
    """The address that serves the most web tests of the in-process round."""
    counts: Counter[str] = Counter()
    with Store.open(database) as store:
        local = max(r.id for r in store.rounds() if r.label == "local")
        for result in store.results(local, "web", with_evidence=True):
            counts.update(list((result.evidence or {}).get("ports") or {}))
    return counts.most_common(1)[0][0]


def hand_back_pattern(address: str, round_id: int) -> str:
    return (rf"test (\d+) handed back: no room at [^(]*{re.escape(address)}"
            rf"[^(]*\(.*; round {round_id}\)")


def fill_places(cluster: Cluster, address: str) -> list[str]:
    """Take every place of ``address``, as busy workers elsewhere would: their leases."""
    async def fill() -> list[str]:
        limit = cap(Settings().per_address)
        places = SharedPlaces(Redis.from_url(redis_url(cluster.broker)), limit, BUSY_SECONDS)
        leases = [await places.take([address]) for _ in range(limit)]
        assert await places.take([address]) is None
        await places.redis.aclose()
        return [lease for lease in leases if lease is not None]

    return asyncio.run(fill())


def give_places_back(cluster: Cluster, address: str, leases: list[str]) -> None:
    async def give_back() -> None:
        places = SharedPlaces(Redis.from_url(redis_url(cluster.broker)), 1, BUSY_SECONDS)
        for lease in leases:
            await places.give_back([address], lease)
        await places.redis.aclose()

    asyncio.run(give_back())


def wait_for_a_hand_back(cluster: Cluster, run: subprocess.Popen[str], address: str,
                         round_id: int) -> None:
    deadline = time.monotonic() + BUSY_SECONDS
    pattern = re.compile(hand_back_pattern(address, round_id))
    while not any(pattern.search(cluster.log(i)) for i in range(WORKERS)):
        assert run.poll() is None, "the round ended while the address had no room"
        assert time.monotonic() < deadline, "no test of the full address was handed back"
        time.sleep(0.2)


def test_a_distributed_round_gives_exactly_the_statuses_of_the_in_process_run(
        cluster: Cluster, in_process: Statuses) -> None:
    round_id = cluster.round("celery")
    busy = busiest_web_address(cluster.database)
    leases = fill_places(cluster, busy)  # its tests are handed back until they are free
    run = cluster.outside("run", "--round", str(round_id), "--executor", "celery")
    try:
        wait_for_a_hand_back(cluster, run, busy, round_id)
    finally:
        give_places_back(cluster, busy, leases)
    code, output = finish(run)
    assert code == 0, output[-3000:]
    assert f"{WORKERS} worker(s) answer" in output
    with Store.open(cluster.database) as store:
        info = store.round(round_id)
    assert info.state == "finished" and info.done == info.planned == len(in_process)
    assert statuses(cluster.database, round_id) == in_process
    # Both workers took part, and tests of the full address were handed back, then run.
    for index in range(WORKERS):
        assert re.search(rf"test \d+ stored in [\d.]+ s \(round {round_id}\)",
                         cluster.log(index))
    logs = "".join(cluster.log(index) for index in range(WORKERS))
    handed = set(re.findall(hand_back_pattern(busy, round_id), logs))
    assert handed
    assert all(re.search(rf"test {t} stored in", logs) for t in handed)


def in_flight(log: str, round_id: int) -> set[int]:
    """Tests of the round that a worker started and has not stored."""
    started = {int(m) for m in re.findall(rf"test (\d+) started: .* \(round {round_id}\)", log)}
    stored = {int(m) for m in re.findall(r"test (\d+) (?:already )?stored", log)}
    return started - stored


def test_killing_a_worker_midway_loses_and_duplicates_nothing(
        cluster: Cluster, in_process: Statuses) -> None:
    round_id = cluster.round("killed")
    runner = cluster.outside("run", "--round", str(round_id), "--executor", "celery")
    watcher = cluster.outside("run", "--round", str(round_id), "--watch")
    victim, lost = 0, set[int]()
    deadline = time.monotonic() + 300
    with Store.open(cluster.database) as store:
        while not (lost and store.round(round_id).done >= 10):
            assert runner.poll() is None and time.monotonic() < deadline, "no test in flight"
            time.sleep(0.1)
            lost = in_flight(cluster.log(victim), round_id)
    cluster.workers[victim].send_signal(signal.SIGKILL)
    cluster.workers[victim].wait(timeout=30)
    lost &= in_flight(cluster.log(victim), round_id)  # those it stored before dying aren't lost

    code, output = finish(runner)
    assert code == 0, output[-3000:]
    watched, shown = finish(watcher)
    assert watched == 0, shown[-3000:]
    with Store.open(cluster.database) as store:
        info = store.round(round_id)
        results = list(store.results(round_id))
        evidence = [store.evidence(r.test_id) for r in results]
    assert info.state == "finished" and info.done == info.planned == len(in_process)
    assert len(evidence) == info.planned
    assert "round killed" in shown and f"{info.planned} of {info.planned} tests" in shown
    assert lost <= {r.test_id for r in results}
    survivor = cluster.log(1 - victim)
    for test_id in lost:  # handed to the other worker once the dead one's lease ran out
        assert f"test {test_id} started" in survivor
    assert statuses(cluster.database, round_id) == in_process


def queued(cluster: Cluster) -> int:
    import redis

    from meting.run.celery_app import QUEUE
    from meting.run.shared_limiter import redis_url

    return int(redis.Redis.from_url(redis_url(cluster.broker)).llen(QUEUE))


def test_ctrl_c_stops_a_distributed_round_and_it_resumes_to_the_same_statuses(
        cluster: Cluster, in_process: Statuses) -> None:
    round_id = cluster.round("stopped")
    runner = cluster.outside("run", "--round", str(round_id), "--executor", "celery")
    with Store.open(cluster.database) as store:
        while store.round(round_id).done < 3:
            assert runner.poll() is None, runner.communicate()[0][-3000:]
            time.sleep(0.1)
    runner.send_signal(signal.SIGINT)
    code, output = finish(runner, timeout=120)
    assert code == 130, output[-3000:]
    assert f"Resume with: meting run --round {round_id}" in output

    # The workers skip what was still queued and finish what they had started.
    deadline = time.monotonic() + 300
    while queued(cluster) or any(in_flight(cluster.log(i), round_id)
                                 for i, w in enumerate(cluster.workers) if w.poll() is None):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    with Store.open(cluster.database) as store:
        stopped = store.round(round_id)
    assert stopped.state == "interrupted" and stopped.done < stopped.planned
    assert any(f"of round {round_id} skipped" in cluster.log(i)
               for i in range(WORKERS))

    code, output = finish(cluster.outside("run", "--round", str(round_id),
                                          "--executor", "celery"))
    assert code == 0, output[-3000:]
    assert statuses(cluster.database, round_id) == in_process
