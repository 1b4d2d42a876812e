"""Benchmark: how long `meting lab up --domains N` takes and how much memory the lab uses.

Not a test. Prints seconds to a healthy lab, the lab's resident memory (every process
in its namespaces) and the time `meting lab status` needs. Uses its own prefix and
directory, and takes its lab down at the end.

    .venv/bin/python bench/lab_up.py --domains 10000
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("METING_LAB_PREFIX", "mtb-")
os.environ.setdefault("METING_LAB_DIR", "/var/lib/meting-lab-bench")

from meting.lab import lab, netns


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def lab_memory_mib() -> float:
    pids = [p for ns in netns.existing(lab.prefix()) for p in netns.pids_in(ns)]
    return sum(rss_kib(p) for p in pids) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--domains", type=int, default=10000)
    args = parser.parse_args()
    lab.down()
    started = time.monotonic()
    lab.up(args.domains)
    up_seconds = time.monotonic() - started
    started = time.monotonic()
    report = lab.status()
    status_seconds = time.monotonic() - started
    state_mib = sum(f.stat().st_size for f in lab.state_dir().rglob("*") if f.is_file()) / 2**20
    print(f"domains generated       {args.domains}")
    print(f"lab up (healthy)        {up_seconds:.1f} s")
    print(f"lab healthy             {report['healthy']}")
    print(f"status check            {status_seconds:.1f} s")
    print(f"lab processes RSS       {lab_memory_mib():.0f} MiB")
    print(f"lab directory on disk   {state_mib:.0f} MiB")
    lab.down()


if __name__ == "__main__":
    main()
