"""Benchmark: a whole round (`meting run`) over a generated lab, stored in SQLite.

Not a test. Brings up a lab with --domains N (own prefix), imports its registry, plans a
round over the generated domains and runs it with `meting run --round ID` in the scanner
namespace (one command, a runner per core; --processes P: P commands started here, each
--part I/P of the round).
Prints domains per minute, DNS queries, TLS handshakes and HTTP requests per domain
(summed from the stored evidence), the runners' peak memory and the database size per
1,000 domains.

    .venv/bin/python bench/round.py --domains 1000 [--processes P] [--profile FILE] [--keep-lab]

Most generated lab domains share one web server (as at a real hosting provider), so the
politeness limit (``per_address`` exchanges at once per address, shared by the
processes) bounds how fast their TLS scans go; --per-address raises it for a benchmark.

Also printed: when the tests of the most shared address finished against those of the
other addresses (``meting.run.dispatch`` keeps the others from queueing behind it), and
the model of the same round over the real internet (``meting.run.model``,
docs/round-model.md): domains per minute at 20, 50 and 100 ms round-trip time for the
configured limits. --rtt MS makes every round trip from the scanner MS longer during
the run (netem, or bench/delay.py where the kernel has no netem), to compare the
measured figure with the model's.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, NamedTuple

os.environ.setdefault("METING_LAB_PREFIX", "mtr-")
os.environ.setdefault("METING_LAB_DIR", "/var/lib/meting-lab-round")

from proc import (
    OpenConnections,
    enter_namespace,
    lab_namespaces,
    namespace_cpu_seconds,
    resident_mib,
    tree,
)
from speed_gauge import Gauge

from meting.lab import lab, netns
from meting.registry.lists import read_list
from meting.run import model
from meting.settings import Settings
from meting.store import Store

RTTS = (20, 50, 100)
FEW = 4  # tests on one address: "not shared" in the finish figures
SAMPLE = 0.1  # seconds between two samples of the scanner's open connections


def count(evidence: Any, key: str) -> int:
    """The sum of every integer ``key`` anywhere in a test's evidence (not in what a shared
    TLS scan says of the test that made it)."""
    if isinstance(evidence, dict):
        own = evidence.get(key)
        return (own if isinstance(own, int) else 0) + sum(
            count(v, key) for k, v in evidence.items() if k not in (key, "shared"))
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
        settings: dict[str, float | None], profile: str | None,
        python: str = sys.executable, sample: bool = True
        ) -> tuple[float, float, tuple[float, float], float, float]:
    """Wall time, the runners' peak memory together (sampled), their CPU time (user,
    system), the highest 1-minute load average of the machine meanwhile and the CPU time
    of the lab's servers (every process in the lab's other namespaces) meanwhile.

    ``processes`` 0: one `meting run --round ID`, which starts a runner per core itself;
    P > 0: P commands with --part I/P, started here."""
    env = [f"METING_RESOLVER={info['resolver']}", f"METING_TRUST_STORE={info['trust_store']}",
           f"METING_RPKI_VRPS={info['rpki_vrps']}", f"METING_RPKI_ROUTES={info['rpki_routes']}",
           f"METING_DATABASE={url}", f"METING_ALLOWED_NETWORKS={netns.LAB_NETWORKS}"]
    env += [f"METING_{k.upper()}={v}" for k, v in settings.items() if v is not None]
    parts = [["--part", f"{i}/{processes}"] for i in range(processes)] or [[]]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    servers = lab_namespaces(info["scanner_namespace"])
    servers_before = namespace_cpu_seconds(servers)
    started = time.monotonic()
    procs = []
    for i, part in enumerate(parts):
        argv = ["env", *env, python, "-m", "meting.cli", "run", "--round",
                str(round_id), *part]
        if profile:  # py-spy samples every thread that is not idle, so C code that lets go
            # of the GIL (Python's ssl, sqlite, zlib) is seen too; with --gil it was not
            argv = ["py-spy", "record", "--format", "raw", "--rate", "50",
                    "--subprocesses", "--output", f"{profile}.{i}", "--", *argv]
        procs.append(subprocess.Popen(netns.exec_argv(info["scanner_namespace"], argv),
                                      stdout=subprocess.DEVNULL))
    peak = load = 0.0
    sampler = ConnectionSampler(info["scanner_namespace"])
    if sample:
        sampler.start()
    while any(p.poll() is None for p in procs):
        peak = max(peak, sum(resident_mib(q) for p in procs for q in tree(p.pid)))
        load = max(load, os.getloadavg()[0])
        time.sleep(0.5)
    seconds = time.monotonic() - started
    if sample:
        sampler.stop()
    CONNECTIONS.update(sampler.samples)
    SAMPLER_CPU.append(sampler.cpu)
    SAMPLED_AT.extend(sampler.at)
    codes = [p.wait() for p in procs]
    if profile and complete(url, round_id):
        codes = [0] * len(procs)  # py-spy 0.4.1 may end with "No child process" after its
        # runner has exited: its status is then not the runner's; the round is complete
    assert codes == [0] * len(procs), codes
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime)
    return seconds, peak, cpu, load, namespace_cpu_seconds(servers) - servers_before


CONNECTIONS: dict[str, list[int]] = {}  # address -> open connections, one per sample
SAMPLED_AT: list[float] = []  # seconds after the runners started, one per sample
SAMPLER_CPU: list[float] = []  # the sampler's own CPU seconds


class ConnectionSampler(threading.Thread):
    """Open TCP connections per server address in the scanner's namespace, every
    ``SAMPLE`` seconds: how many of an address's politeness slots were in use."""

    def __init__(self, namespace: str) -> None:
        super().__init__(daemon=True)
        self.namespace = namespace
        self.samples: dict[str, list[int]] = {}
        self.at: list[float] = []
        self.started = time.monotonic()
        self.stopping = threading.Event()
        self.cpu = 0.0  # seconds of CPU this sampler took (it shares the machine)

    def run(self) -> None:
        started = time.thread_time()
        try:
            self.sample()
        finally:
            self.cpu = time.thread_time() - started

    def sample(self) -> None:
        enter_namespace(self.namespace)  # this thread only
        connections = OpenConnections()
        try:
            self.take(connections)
        finally:
            connections.close()

    def take(self, connections: OpenConnections) -> None:
        while not self.stopping.wait(SAMPLE):
            now = connections.now()
            taken = len(self.at)
            self.at.append(time.monotonic() - self.started)
            for address in now.keys() | self.samples.keys():
                self.samples.setdefault(address, [0] * taken).append(now.get(address, 0))

    def stop(self) -> None:
        self.stopping.set()
        self.join()


class ConnectionUse(NamedTuple):
    """An address's sampled connections from its first open one to its last."""

    first: float  # seconds after the runners started
    last: float
    mean: float  # open on average in that time
    most: int
    full: float  # share of that time at the politeness limit
    samples: int


def connection_use(address: str, per_address: int) -> ConnectionUse | None:
    samples = CONNECTIONS.get(address) or []
    busy = [i for i, n in enumerate(samples) if n]
    if not busy:
        return None
    window = samples[busy[0]:busy[-1] + 1]
    return ConnectionUse(SAMPLED_AT[busy[0]], SAMPLED_AT[busy[-1]], sum(window) / len(window),
                         max(window), sum(n >= per_address for n in window) / len(window),
                         len(window))


def slots_in_use(address: str, per_address: int) -> str | None:
    """A line: the address's open connections on average from its first to its last
    sampled connection, and the share of that time at the politeness limit."""
    use = connection_use(address, per_address)
    if use is None:
        return None
    return (f"  its connections        {use.mean:.1f} open on average from {use.first:.1f} s "
            f"to {use.last:.1f} s after the runners started ({use.samples} samples), at most "
            f"{use.most}; at the "
            f"limit of {per_address} {use.full:.0%} of that time")


def busiest_connections(per_address: int, top: int = 3) -> list[str]:
    """Lines: the addresses with the most connection-time, from when their first
    connection was seen, how many were open on average then and at the limit."""
    ranked = sorted(CONNECTIONS, key=lambda a: sum(CONNECTIONS[a]), reverse=True)[:top]
    lines = []
    for address in ranked:
        use = connection_use(address, per_address)
        if use is not None:
            lines.append(f"  {address:<22} first open at {use.first:5.1f} s, last at "
                         f"{use.last:5.1f} s, {use.mean:.1f} open on average, at the limit "
                         f"{use.full:.0%}")
    return ["addresses with the most connection-time (sampled):", *lines] if lines else []


def complete(url: str, round_id: int) -> bool:
    with Store.open(url) as store:
        return store.round(round_id).pending == 0


def totals(url: str, round_id: int) -> tuple[dict[str, int], list[model.TestPath],
                                             dict[int, float]]:
    """Counts summed from the evidence, each test's model path, and when each test
    finished (seconds after the round started)."""
    found = {"tests": 0, "dns_queries": 0, "handshakes": 0, "not_testable": 0, "shared": 0,
             "requests": 0, "https_connections": 0, "kept": 0}
    paths: list[model.TestPath] = []
    finished: dict[int, float] = {}
    with Store.open(url) as store:
        started = store.round(round_id).started_at
        results = list(store.results(round_id, with_evidence=True))
    for r in results:
        evidence = r.evidence or {}
        found["tests"] += 1
        found["dns_queries"] += count(evidence, "dns_queries")
        found["handshakes"] += count(evidence, "handshakes")
        found["shared"] += shared_scans(evidence)
        for request in http_requests(evidence):
            https = request.get("tls", str(request.get("url", "")).startswith("https:"))
            found["requests"] += 1
            found["kept"] += bool(request.get("kept"))
            found["https_connections"] += bool(https) and not request.get("kept")
        found["not_testable"] += "not_testable" in evidence
        paths.append(model.test_path(evidence))
        if started and r.finished_at:
            finished[len(paths) - 1] = (r.finished_at - started).total_seconds()
    return found, paths, finished


def http_requests(evidence: dict[str, Any]) -> list[dict[str, Any]]:
    """The HTTP requests of a web test: the pages, and per address ``/`` over HTTPS and
    every hop of the chain from port 80 and of security.txt."""
    found = list((evidence.get("site") or {}).values())
    for entry in (evidence.get("http") or {}).values():
        found.append(entry.get("https") or {})
        for chain in ("http", "security_txt"):
            found += (entry.get(chain) or {}).get("hops") or []
    return [r for r in found if r]


def shared_scans(evidence: dict[str, Any]) -> int:
    """STARTTLS scans this mail test received from an earlier test of the same MX host."""
    return sum(bool(scan.get("shared")) for mx in evidence.get("mx") or []
               for scan in (mx.get("starttls") or {}).values())


def shared_finish(paths: list[model.TestPath], finished: dict[int, float],
                  per_address: int) -> list[str]:
    """Lines: when the tests of the most shared server address finished, and those of
    addresses that few tests share (at most ``FEW``)."""
    by_address: dict[str, list[int]] = {}
    for i, path in enumerate(paths):
        for address in path.servers:
            by_address.setdefault(address, []).append(i)
    if not by_address or not finished:
        return []
    shared = max(by_address, key=lambda a: len(by_address[a]))
    mine = sorted(finished[i] for i in by_address[shared] if i in finished)
    few = sorted(finished[i] for i, p in enumerate(paths) if i in finished and p.servers
                 and max(len(by_address[a]) for a in p.servers) <= FEW)
    lines = [f"most shared address     {shared}: {len(mine)} of {len(paths)} tests, half "
             f"done at {mine[len(mine) // 2]:.1f} s, the last at {mine[-1]:.1f} s"]
    in_use = slots_in_use(shared, per_address)
    if in_use:
        lines.append(in_use)
    if few:
        lines.append(f"addresses of <= {FEW} tests {len(few)} tests: half done at "
                     f"{few[len(few) // 2]:.1f} s, the last at {few[-1]:.1f} s")
    return lines


def limits(args: argparse.Namespace) -> tuple[int, int, int]:
    """The round's concurrency, per-address limit and runner processes, as run."""
    defaults = Settings()
    processes = args.processes or defaults.processes or os.cpu_count() or 1
    concurrency, per_address = model.parts(args.concurrency or defaults.concurrency,
                                           args.per_address or defaults.per_address,
                                           processes)
    return concurrency, per_address, processes


def predictions(paths: list[model.TestPath], domains: int, args: argparse.Namespace,
                cpu: float, measured: float) -> list[str]:
    concurrency, per_address, processes = limits(args)
    lines = [f"model ({processes} processes: concurrency {concurrency}, per address "
             f"{per_address}; round trips "
             f"per test on the critical path: web "
             f"{mean([p.round_trips for p in paths if p.kind == 'web']):.0f}, mail "
             f"{mean([p.round_trips for p in paths if p.kind == 'mail']):.0f})"]
    for rtt in sorted({*RTTS, *([args.rtt] if args.rtt else [])}):
        net = model.predict(paths, domains, rtt, concurrency, per_address)
        both = model.predict(paths, domains, rtt, concurrency, per_address,
                             cpu_per_domain=cpu / domains, cores=os.cpu_count() or 1)
        lines.append(f"  at {rtt:3.0f} ms RTT          {net.domains_per_minute:.0f} domains/min "
                     f"(bound: {net.bound}); with this run's CPU per domain "
                     f"{both.domains_per_minute:.0f} (bound: {both.bound})")
    for wanted in range(1, 65):
        at50 = model.predict(paths, domains, 50, concurrency, wanted)
        if at50.domains_per_minute >= 300:
            lines.append(f"  300 domains/min at 50 ms needs per_address >= {wanted} "
                         f"({at50.domains_per_minute:.0f}, bound: {at50.bound})")
            break
    if args.rtt:
        lines.append(f"  measured at {args.rtt:.0f} ms      {measured:.0f} domains/min")
    return lines


def save_paths(file: str, paths: list[model.TestPath]) -> None:
    data = [{"kind": p.kind, "round_trips": p.round_trips, "held": dict(p.held),
             "servers": sorted(p.servers)} for p in paths]
    with gzip.open(file, "wt") as f:
        json.dump(data, f, separators=(",", ":"))


def mean(values: list[int]) -> float:
    return sum(values) / len(values) if values else 0.0


def delay_links(namespace: str, rtt: float) -> subprocess.Popen[bytes] | None:
    """Make every round trip from the scanner's namespace ``rtt`` ms longer: netem on its
    links where the kernel has it (None returned), else the user-space delayer
    (bench/delay.py, NFQUEUE), whose process is returned to be stopped afterwards."""
    links = subprocess.run(["ip", "-n", namespace, "-o", "link", "show"], check=True,
                           capture_output=True, text=True).stdout.splitlines()
    names = [line.split(":")[1].strip().split("@")[0] for line in links]
    tried = [subprocess.run(["tc", "-n", namespace, "qdisc", "add", "dev", name, "root",
                             "netem", "delay", f"{rtt}ms"], capture_output=True, text=True)
             for name in names if name != "lo"]
    if tried and all(t.returncode == 0 for t in tried):
        print(f"delay                    netem, {rtt:g} ms on the scanner's links")
        return None
    delayer = subprocess.Popen(netns.exec_argv(namespace, [
        sys.executable, str(Path(__file__).with_name("delay.py")), str(rtt)]),
        stdout=subprocess.PIPE)
    assert delayer.stdout is not None
    started = delayer.stdout.readline().decode()
    if not started.startswith("delaying"):
        sys.exit(f"--rtt: no netem ({tried[0].stderr.strip() if tried else 'no link'}) "
                 "and the user-space delayer did not start: apt-get install iptables "
                 "libnetfilter-queue-dev; .venv/bin/pip install -e '.[bench]'")
    print(f"delay                    user space (NFQUEUE), {rtt:g} ms on every packet the "
          "scanner sends (this kernel has no netem)")
    return delayer


def undelay_links(namespace: str, delayer: subprocess.Popen[bytes] | None) -> None:
    if delayer is not None:
        delayer.terminate()
        out, _ = delayer.communicate(timeout=30)
        print(f"delayer                  {out.decode().strip()}")
        return
    links = subprocess.run(["ip", "-n", namespace, "-o", "link", "show"], check=True,
                           capture_output=True, text=True).stdout.splitlines()
    for line in links:
        name = line.split(":")[1].strip().split("@")[0]
        if name != "lo":
            subprocess.run(["tc", "-n", namespace, "qdisc", "del", "dev", name, "root"],
                           capture_output=True)


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
    parser.add_argument("--scan-sharing", type=float, default=None, metavar="SECONDS",
                        help="the setting tls_scan_sharing (0: every test scans itself)")
    parser.add_argument("--save-paths", metavar="FILE",
                        help="write the model's path of every test to FILE (gzipped JSON)")
    parser.add_argument("--runner-python", default=sys.executable, metavar="PATH",
                        help="the Python whose meting runs the round (another checkout's "
                        "venv, to compare its scheduling with this one's)")
    parser.add_argument("--rtt", type=float, default=None, metavar="MS",
                        help="make every round trip from the scanner MS longer during the run")
    parser.add_argument("--sample-connections", action=argparse.BooleanOptionalAction,
                        default=None, help="sample the scanner's open connections per address "
                        "(default: only with --rtt; the sampling takes about a quarter of a "
                        "core, which a round bound by CPU would otherwise have)")
    parser.add_argument("--profile", metavar="FILE",
                        help="sample each runner with py-spy (on PATH) into FILE.I, collapsed "
                        "stacks; bench/profile_top.py summarises them")
    args = parser.parse_args()
    sample = bool(args.rtt) if args.sample_connections is None else args.sample_connections
    info = lab.up(args.domains)
    with tempfile.TemporaryDirectory(prefix="meting-bench-") as tmp:
        db = Path(tmp) / "round.db"
        url = f"sqlite:///{db}"
        round_id, domains = plan(url, info["registry"])
        gauge = Gauge()
        gauge.start()
        load_before = os.getloadavg()[0]
        delayer = delay_links(info["scanner_namespace"], args.rtt) if args.rtt else None
        seconds, peak_mib, (user, system), load, lab_cpu = run(info, url, round_id, args.processes,
                                {"concurrency": args.concurrency,
                                 "per_address": args.per_address,
                                 "tls_scan_sharing": args.scan_sharing}, args.profile,
                                args.runner_python, sample)
        cpu = user + system
        if args.rtt:
            undelay_links(info["scanner_namespace"], delayer)
        piece = gauge.stop()
        found, paths, finished = totals(url, round_id)
        if args.save_paths:
            save_paths(args.save_paths, paths)
        size = sum(f.stat().st_size for f in Path(tmp).iterdir())
    print(f"domains                  {domains} (web + mail test each, {found['tests']} stored)")
    print(f"runner processes         {args.processes or 'one per core'} (concurrency "
          f"{args.concurrency or 'default'}, per address {args.per_address or 'default'})")
    print(f"wall time                {seconds:.1f} s")
    print(f"domains per minute       {domains / seconds * 60:.0f}")
    print(f"target                   {against_target(domains / seconds * 60, args)}")
    print(f"DNS queries per domain   {found['dns_queries'] / domains:.1f}")
    print(f"handshakes per domain    {found['handshakes'] / domains:.1f}")
    print(f"HTTP requests per domain {found['requests'] / domains:.1f} ("
          f"{found['https_connections'] / domains:.1f} HTTPS connections with a handshake, "
          f"{found['kept'] / domains:.1f} requests on a kept connection)")
    print(f"TLS scans shared         {found['shared']:,} (made once for an earlier test of "
          "the same server)")
    print(f"not testable tests       {found['not_testable']}")
    print(f"runner CPU per domain    {cpu / domains * 1000:.0f} ms (all runner processes; "
          f"user {user / domains * 1000:.0f}, system {system / domains * 1000:.0f})")
    print(f"runner cores in use      {cpu / seconds:.2f} on average (runner CPU / wall time)")
    print(f"lab servers CPU          {lab_cpu / domains * 1000:.0f} ms per domain, "
          f"{lab_cpu / seconds:.2f} cores; {lab_cpu / (lab_cpu + cpu):.0%} of the CPU of "
          "runners and lab servers together")
    for line in gauged(cpu + lab_cpu, domains, piece, gauge.samples):
        print(line)
    print(f"machine load (1 min)     {load_before:.1f} before, {load:.1f} at most during the "
          f"round (other work on the machine makes wall time, not CPU per domain, vary)")
    if sample:
        print(f"connection sampler CPU   {sum(SAMPLER_CPU):.1f} s, "
              f"{sum(SAMPLER_CPU) / seconds:.2f} cores (this benchmark's own reading of "
              "the kernel's socket table)")
    print(f"runner peak memory       {peak_mib:.0f} MiB (all runner processes together)")
    print(f"database per 1,000 dom.  {size / domains * 1000 / 2**20:.1f} MiB")
    print(f"machine load (1 min)     {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    per_address = Settings().per_address if args.per_address is None else args.per_address
    for line in shared_finish(paths, finished, per_address) + busiest_connections(per_address):
        print(line)
    for line in predictions(paths, domains, args, cpu, domains / seconds * 60):
        print(line)
    if not args.keep_lab:
        lab.down()


TARGET_PER_MINUTE = 1000  # how the target is read: docs/speed-cpu.md, "The target"
TARGET_CPU_MS = 2 * 60_000 / TARGET_PER_MINUTE  # two cores' CPU per domain at the target


def against_target(per_minute: float, args: argparse.Namespace) -> str:
    """The round against the target, which holds for the default settings only, on the
    machine at the speed it had during the round (the gauge below says which)."""
    defaults = not (args.processes or args.concurrency or args.per_address or args.rtt
                    or args.profile or args.scan_sharing is not None)
    if not defaults or args.domains < 1000:
        return "not compared (the target is for 1,000 domains or more, default settings)"
    met = "met" if per_minute >= TARGET_PER_MINUTE else "not met"
    return f"{TARGET_PER_MINUTE:,} domains a minute on this machine, at its speed: {met}"


def gauged(cpu: float, domains: int, piece: float, samples: list[float]) -> list[str]:
    """The round's CPU per domain against the machine's speed in the same minutes
    (``speed_gauge``): a figure that moves less between hours than CPU or wall time."""
    per_domain = cpu / domains * 1000
    ratio = per_domain / piece
    return [f"speed gauge              {piece:.1f} ms of CPU per piece of fixed work, mean of "
            f"{len(samples)} during the round ({min(samples):.0f} to {max(samples):.0f}; "
            "bench/speed_gauge.py; lower is faster)",
            f"CPU per domain / gauge   {ratio:.2f} pieces (runners and lab servers, "
            f"{per_domain:.0f} ms per domain)",
            f"1,000 domains a minute   on two cores while a piece takes at most "
            f"{TARGET_CPU_MS / ratio:.1f} ms (all CPU to the round: {TARGET_CPU_MS:.0f} ms "
            "per domain)"]

if __name__ == "__main__":
    main()
