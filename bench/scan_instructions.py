"""Benchmark: instructions per economical TLS scan, counted by valgrind (callgrind).

Not a test. A figure of CPU that does not move with the machine's speed: on this kind of
machine the time a piece of fixed work takes drifts by a third within an hour, so a
change of 2–5% of CPU cannot be told apart in whole rounds (``bench/round.py``); the
number of instructions the runner executes for the same scans barely moves between runs.

Brings up the bench lab (as ``bench/round.py``: own prefix, --domains N), takes its web
server with the most sites, and scans --scans of those names on its IPv4 address, 12 at
once, with the round's sharing installed (``--no-sharing``: none), from the scanner
namespace under ``valgrind --tool=callgrind``; then once more with one scan. It prints
the instructions of the difference per scan and the handshakes per scan. The start-up
(imports) is in both runs and so drops out. valgrind slows the scanner about fifty
times; the lab's servers run at full speed, so nothing times out.

Instructions are not time: OpenSSL's big-number arithmetic runs several instructions a
cycle, the interpreter about one. Removing crypto work shows here as a larger saving
than whole rounds give (62.6 -> 32.9 million per scan was about 14% of a round's runner
CPU); use it to compare changes of the same kind, and rounds in turn for the effect.

    .venv/bin/python bench/scan_instructions.py [--scans 60] [--runner-python PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("METING_LAB_PREFIX", "mtr-")
os.environ.setdefault("METING_LAB_DIR", "/var/lib/meting-lab-round")

from meting.lab import lab, netns

SCANNER = """
import asyncio, json, sys
from meting.settings import load
from meting.probe import guard, scan_sharing
from meting.probe.tls import scan_address

async def main(address, names, sharing):
    settings = load()
    shared = scan_sharing.SharedScans(3600) if sharing else None
    at_once = asyncio.Semaphore(12)
    handshakes = complete = 0

    async def one(name):
        nonlocal handshakes, complete
        async with at_once:
            scan = await scan_address(address, 443, name, starttls=None, settings=settings,
                                      kind="web")
            handshakes += scan["handshakes"]
            complete += bool(scan.get("versions") and any(scan["versions"].values()))

    with guard.allowing(settings), scan_sharing.use(shared):  # as the tester does
        await asyncio.gather(*(one(name) for name in names))
    print(json.dumps({"handshakes": handshakes, "complete": complete}))

asyncio.run(main(*json.load(sys.stdin)))
"""


def busiest_site(plan: dict[str, object]) -> tuple[str, list[str]]:
    servers = [w for w in plan["web_servers"].values()  # type: ignore[attr-defined]
               if w.get("tls") and w["ipv4"] and w["sites"]]
    web = max(servers, key=lambda w: len(w["sites"]))
    return web["ipv4"][0], list(web["sites"])


def counted(info: dict[str, object], python: str, address: str, names: list[str],
            sharing: bool) -> tuple[int, int]:
    """(instructions, handshakes) of one scanner process scanning ``names``."""
    with tempfile.TemporaryDirectory(prefix="meting-callgrind-") as tmp:
        out = Path(tmp) / "callgrind.%p"  # a wrapper script execs Python: children traced
        argv = ["env", f"METING_TRUST_STORE={info['trust_store']}",
                f"METING_ALLOWED_NETWORKS={netns.LAB_NETWORKS}",
                "valgrind", "--tool=callgrind", "--trace-children=yes",
                f"--callgrind-out-file={out}",
                python, "-c", SCANNER]
        done = subprocess.run(netns.exec_argv(str(info["scanner_namespace"]), argv),
                              input=json.dumps([address, names, sharing]),
                              capture_output=True, text=True, check=False)
        found = re.findall(r"Collected : (\d+)", done.stderr)
        if done.returncode != 0 or not found:
            sys.exit(f"the scanner under valgrind failed: {done.stderr[-2000:]}")
        scanned = json.loads(done.stdout)
        if scanned["complete"] != len(names):
            sys.exit(f"only {scanned['complete']} of {len(names)} scans completed: "
                     "is the lab up and reachable from its scanner namespace?")
        return sum(int(n) for n in found), scanned["handshakes"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--scans", type=int, default=60)
    parser.add_argument("--sharing", action=argparse.BooleanOptionalAction, default=True,
                        help="share scans and name-less handshakes as a round does")
    parser.add_argument("--runner-python", default=sys.executable, metavar="PATH",
                        help="the Python whose meting scans (another checkout's, to compare)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed: apt-get install valgrind")
    info = lab.up(args.domains)
    plan = json.loads((Path(os.environ["METING_LAB_DIR"]) / "plan.json").read_text())
    address, sites = busiest_site(plan)
    if len(sites) < args.scans:
        sys.exit(f"the busiest lab web server has {len(sites)} sites: use --scans "
                 f"{len(sites)} or more --domains")
    names = sites[:args.scans]
    one, _ = counted(info, args.runner_python, address, names[:1], args.sharing)
    many, handshakes = counted(info, args.runner_python, address, names, args.sharing)
    per_scan = (many - one) / (len(names) - 1)
    print(f"scans                    {len(names)} names on {address}, 12 at once, sharing "
          f"{'on' if args.sharing else 'off'}")
    print(f"handshakes per scan      {handshakes / len(names):.1f}")
    print(f"instructions per scan    {per_scan / 1e6:.1f} million (callgrind; start-up "
          f"{one / 1e6:,.0f} million left out)")


if __name__ == "__main__":
    main()
