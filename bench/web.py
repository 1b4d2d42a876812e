"""Benchmark: the dashboard's pages at national scale, on SQLite and on PostgreSQL.

Not a test. Fills a store with ten half-yearly rounds of 10,000 domains (bench/national.py:
rows written with the store's API, no scan), starts a real `meting serve` on a Unix socket
(as behind a reverse proxy), signs in as a coordinator and asks every page of PAGES for
many organisations and domains of the last round. Prints the first request of each page
(a finished round's figures are computed then and kept) and the p50/p95 of the requests
after it, timed from request to the end of the response over the socket.

    .venv/bin/python bench/web.py [--domains 10000] [--rounds 10] [--samples 50]
                                  [--databases sqlite,postgresql]
                                  [--sqlite /tmp/meting-web-bench.db [--reuse]]
                                  [--postgresql URL [--reuse]] [--pages overview,domain]

PostgreSQL: a throwaway server is started and filled, unless --postgresql names a database
(e.g. one a previous run filled: with --reuse its rounds are kept when they match).

Before serving, the measured round's figures are computed and kept as the server's worker
does when it finishes a round (the time is printed); a round finished elsewhere has them
computed at its first overview request instead.

Aim (issue 19): overview under 300 ms, an organisation or domain page under 150 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import quote

import httpx
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.services
sys.path.insert(0, str(Path(__file__).resolve().parent))  # national

from national import National, describe, fill
from tests.services import postgres_database, postgres_server

from meting.store import Store
from meting.store.models import Organisation

EMAIL = "bench@example.nl"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
START_TIMEOUT = 120.0

# The pages measured (the dashboard's routes, docs/dashboard.md): name -> path of one
# sample, from the store that was made, the sample's index and the measured round's id.
PAGES: dict[str, Callable[[National, dict[str, int], int, int], str]] = {
    "overview": lambda made, orgs, i, r: f"/rounds/{r}",
    "organisation": lambda made, orgs, i, r:
        f"/organisations/{orgs[made.organisations[i % len(made.organisations)]]}?round={r}",
    "domain": lambda made, orgs, i, r: f"/domains/{made.domains[i % len(made.domains)]}"
                                       f"?round={r}",
    # the last two rounds compared, every domain (the first 2,000 changes shown) and one
    # organisation's
    "compare": lambda made, orgs, i, r: f"/compare?a={made.rounds[-2]}&b={r}",
    "compare (org.)": lambda made, orgs, i, r: f"/compare?a={made.rounds[-2]}&b={r}"
        f"&organisation={quote(made.organisations[i % len(made.organisations)])}",
    "api compare (org.)": lambda made, orgs, i, r: f"/api/v1/compare?a={made.rounds[-2]}"
        f"&b={r}&organisation={quote(made.organisations[i % len(made.organisations)])}",
    "api figures": lambda made, orgs, i, r: f"/api/v1/rounds/{r}/figures",
    "laggards": lambda made, orgs, i, r: f"/laggards?round={r}",
    "monitor": lambda made, orgs, i, r: "/monitor",
}


def organisation_ids(url: str) -> dict[str, int]:
    with Store.open(url) as store, store.engine.connect() as connection:
        return {name: id_ for id_, name in connection.execute(
            select(Organisation.id, Organisation.name))}


def coordinator_password(url: str) -> str:
    from meting.web.accounts import AccountError, Accounts

    with Store.open(url) as store:
        accounts = Accounts(store)
        with suppress(AccountError):
            accounts.remove(EMAIL)  # from an earlier run on a reused database
        one_time = accounts.add(EMAIL, "coordinator")
        own = secrets.token_urlsafe(24)  # the one-time password leads to the change form
        accounts.set_password(EMAIL, one_time, own)
        return own


@contextmanager
def served(url: str, socket: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`meting serve --uds SOCKET` on the store, until the block ends."""
    env = {**os.environ, "METING_DATABASE": url}
    proc = subprocess.Popen([sys.executable, "-m", "meting.cli", "serve", "--uds", str(socket)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not socket.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr and proc.poll() is not None \
                    else "(still starting)"
                raise SystemExit(f"meting serve did not start: {err[-2000:]}")
            time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def signed_in(socket: Path, password: str) -> httpx.Client:
    client = httpx.Client(transport=httpx.HTTPTransport(uds=str(socket)),
                          base_url="http://dashboard", timeout=900, follow_redirects=False)
    form = client.get("/login")
    token = CSRF.search(form.text)
    if form.status_code != 200 or token is None:
        raise SystemExit(f"no login form: {form.status_code} {form.text[:300]}")
    answer = client.post("/login", data={"email": EMAIL, "password": password,
                                         "csrf": token.group(1), "next": "/"})
    if answer.status_code != 303:
        raise SystemExit(f"login refused: {answer.status_code} {answer.text[:300]}")
    return client


def timed_get(client: httpx.Client, path: str) -> float:
    started = time.perf_counter()
    answer = client.get(path)
    seconds = time.perf_counter() - started
    if answer.status_code != 200:
        raise SystemExit(f"GET {path}: {answer.status_code} {answer.text[:300]}")
    return seconds * 1000


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def keep_figures(url: str, round_id: int) -> None:
    from meting.web.kept import Figures

    started = time.perf_counter()
    with Store.open(url) as store:
        Figures(store).of(store.round(round_id))
    print(f"  figures of the measured round computed and kept  "
          f"{time.perf_counter() - started:7.1f} s", flush=True)


def measure(name: str, url: str, made: National | None, samples: int,
            pages: list[str] | None = None) -> None:
    if made is None:
        raise SystemExit(f"{url} does not hold the rounds asked for")
    keep_figures(url, made.rounds[-1])
    password = coordinator_password(url)
    orgs = organisation_ids(url)
    last = made.rounds[-1]
    with tempfile.TemporaryDirectory(prefix="meting-web-bench-") as tmp:
        socket = Path(tmp) / "dashboard.sock"
        with served(url, socket):
            client = signed_in(socket, password)
            print(f"\n{name}: ms per page (first request, then p50 / p95 of {samples})")
            for page, path_of in PAGES.items():
                if pages is not None and page not in pages:
                    continue
                first = timed_get(client, path_of(made, orgs, 0, last))
                times = [timed_get(client, path_of(made, orgs, i, last))
                         for i in range(1, samples + 1)]
                print(f"  {page:<14} first {first:8.0f}   p50 {statistics.median(times):6.0f}"
                      f"   p95 {percentile(times, 0.95):6.0f}", flush=True)
            client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--sqlite", default="/tmp/meting-web-bench.db",
                        help="the SQLite file (kept, for --reuse)")
    parser.add_argument("--reuse", action="store_true",
                        help="use the SQLite file (or --postgresql database) as it is when "
                        "it holds these rounds")
    parser.add_argument("--pages", default=",".join(PAGES),
                        help="the pages to measure, comma-separated (default: all)")
    parser.add_argument("--postgresql", default="",
                        help="a PostgreSQL database URL to fill and measure (default: a "
                        "throwaway server)")
    args = parser.parse_args()
    wanted = args.databases.split(",")
    if "sqlite" in wanted:
        url = f"sqlite:///{Path(args.sqlite).resolve()}"
        made = describe(url, args.domains, args.rounds) if args.reuse else None
        if made is None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{Path(args.sqlite).resolve()}{suffix}").unlink(missing_ok=True)
            print(f"filling SQLite: {args.rounds} rounds of {args.domains} domains")
            made = fill(url, args.domains, args.rounds)
        measure("SQLite", url, made, args.samples, args.pages.split(","))
    if "postgresql" in wanted and args.postgresql:
        made = describe(args.postgresql, args.domains, args.rounds) if args.reuse else None
        if made is None:
            print(f"filling PostgreSQL: {args.rounds} rounds of {args.domains} domains")
            made = fill(args.postgresql, args.domains, args.rounds)
        measure("PostgreSQL", args.postgresql, made, args.samples, args.pages.split(","))
    elif "postgresql" in wanted:
        with postgres_server() as pg:
            url = postgres_database(pg, "meting_web_bench")
            print(f"filling PostgreSQL: {args.rounds} rounds of {args.domains} domains")
            measure("PostgreSQL", url, fill(url, args.domains, args.rounds), args.samples,
                    args.pages.split(","))


if __name__ == "__main__":
    main()
