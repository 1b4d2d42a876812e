"""Benchmark: memory and time of `meting import` over generated lists of growing size.

Not a test. Writes a registry list of N rows (organisations of five domains, in two
domain sets), imports it with the real command into a new SQLite file, and prints
the time and the process's peak resident memory per size.

    .venv/bin/python bench/import_memory.py --rows 10000 100000 900000
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from proc import high_water_mib

CATEGORIES = ("gemeente", "rijk", "provincie", "waterschap", "uitvoering", "overig")


def write_list(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["organisation", "category", "domain", "web_host", "mail", "umbrella",
                         "sets"])
        for n in range(rows):
            org = n // 5
            writer.writerow([f"Organisatie {org:07d}", CATEGORIES[org % 6],
                             f"domein-{n:07d}.nl", "", "ja", "",
                             "kern;breed" if n % 3 == 0 else "breed"])


def measure(rows: int, folder: Path) -> tuple[float, float, int]:
    listed = folder / f"list-{rows}.csv"
    write_list(listed, rows)
    database = folder / f"meting-{rows}.db"
    env = {**os.environ, "METING_DATABASE": f"sqlite:///{database}",
           "METING_CONFIG": str(folder / "absent.toml")}
    meting = Path(sys.executable).parent / "meting"
    started = time.perf_counter()
    child = subprocess.Popen([str(meting), "import", str(listed)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0.0
    while child.poll() is None:
        peak = max(peak, high_water_mib(child.pid))
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"import of {rows} rows failed: {child.stderr.read().decode()[-500:]}"
                         if child.stderr else "import failed")
    return seconds, peak, listed.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 900_000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="meting-import-bench-") as folder:
        print(f"{'rows':>9} {'file MB':>8} {'seconds':>8} {'peak MiB':>9}")
        for rows in args.rows:
            seconds, peak, size = measure(rows, Path(folder))
            print(f"{rows:>9,} {size / 1e6:>8.1f} {seconds:>8.1f} {peak:>9.0f}", flush=True)


if __name__ == "__main__":
    main()
