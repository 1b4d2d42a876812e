"""Benchmark: memory and time of `meting import` over generated lists of growing size.

Not a test. Writes a registry list of N rows (synthetic organisations of five domains in
every government layer, in two domain sets), imports it with the real command in a fresh
process into a new database, and prints the rows, the file size, the wall time and the
child's peak resident memory (``os.wait4``'s rusage of that process alone). The figure
that matters is the last: it should not grow with the rows.

    nice .venv/bin/python bench/import_memory.py                       # SQLite
    nice .venv/bin/python bench/import_memory.py --postgres --rows 10000 100000

``--postgres`` also imports each list into a throwaway PostgreSQL server, started as the
store tests start theirs (the server binaries must be installed).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))

LAYERS = ("gemeente", "rijk", "provincie", "waterschap", "uitvoering", "overig")
KINDS = {"gemeente": "Gemeente", "rijk": "Ministerie van", "provincie": "Provincie",
         "waterschap": "Waterschap", "uitvoering": "Dienst", "overig": "Stichting"}
SYLLABLES = ("ber", "dam", "gen", "hol", "kerk", "lo", "mer", "veen", "wijk", "zand")


def place(number: int) -> str:
    """A made-up place name, different for every number."""
    parts = []
    while True:
        number, digit = divmod(number, len(SYLLABLES))
        parts.append(SYLLABLES[digit])
        if not number:
            break
    return "".join(parts).capitalize()


def write_list(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["organisation", "category", "domain", "web_host", "mail", "umbrella",
                         "sets"])
        for n in range(rows):
            org = n // 5
            layer = LAYERS[org % len(LAYERS)]
            writer.writerow([f"{KINDS[layer]} {place(org)}", layer,
                             f"{place(org).lower()}-{n % 5}.nl", "", "ja", "",
                             "kern;breed" if n % 3 == 0 else "breed"])


def measure(listed: Path, database: str, folder: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one `meting import` in a new process."""
    env = {**os.environ, "METING_DATABASE": database,
           "METING_CONFIG": str(folder / "absent.toml")}
    meting = Path(sys.executable).parent / "meting"
    started = time.perf_counter()
    with open(folder / "stderr.txt", "wb") as errors:
        child = subprocess.Popen([str(meting), "import", str(listed)], env=env,
                                 stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"import of {listed.name} failed: "
                         f"{(folder / 'stderr.txt').read_text()[-500:]}")
    return seconds, usage.ru_maxrss / 1024  # kB on Linux


@contextlib.contextmanager
def postgres() -> Iterator[Path]:
    from tests import services

    with services.postgres_server() as socket_dir:
        yield socket_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+",
                        default=[10_000, 100_000, 300_000, 900_000])
    parser.add_argument("--postgres", action="store_true",
                        help="also import into a throwaway PostgreSQL server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="meting-import-bench-") as name, \
            contextlib.ExitStack() as stack:
        folder = Path(name)
        socket_dir = stack.enter_context(postgres()) if args.postgres else None
        print(f"{'database':>10} {'rows':>9} {'file MB':>8} {'seconds':>8} {'peak MiB':>9}",
              flush=True)
        for rows in args.rows:
            listed = folder / f"list-{rows}.csv"
            write_list(listed, rows)
            targets = [("sqlite", f"sqlite:///{folder / f'meting-{rows}.db'}")]
            if socket_dir is not None:
                from tests import services

                targets.append(("postgresql",
                                services.postgres_database(socket_dir, f"bench_{rows}")))
            for backend, url in targets:
                seconds, peak = measure(listed, url, folder)
                print(f"{backend:>10} {rows:>9,} {listed.stat().st_size / 1e6:>8.1f} "
                      f"{seconds:>8.1f} {peak:>9.0f}", flush=True)
            listed.unlink()


if __name__ == "__main__":
    main()
