"""Benchmark: the economical TLS prober against sslyze's full scan, and TLS throughput.

Not a test. Brings up a lab (own prefix), then from the scanner namespace:
1. scans every lab web server (443) and mail server (25, STARTTLS) once economically
   and once with sslyze's full enumeration, and prints the handshakes of each;
2. runs the economical TLS part of the web test (every address of the web host, and
   CAA) and of the mail test (every address of every MX) for every domain of the lab,
   --concurrency at once, and prints web and mail TLS tests per minute and the
   scanner's peak memory.

    .venv/bin/python bench/tls.py --domains 200 --concurrency 100
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import Any

os.environ.setdefault("METING_LAB_PREFIX", "mxb-")
os.environ.setdefault("METING_LAB_DIR", "/var/lib/meting-lab-tls-bench")

from meting.lab import lab, netns

SCANNER = """
import asyncio, json, resource, sys, time
from meting.settings import load
from meting.probe.collect import host_addresses, addresses
from meting.probe.dns import DnsClient
from meting.probe.evidence import DnsAnswer
from meting.probe.tls import scan_address, web_tls_evidence, mail_tls_evidence
from meting.probe.tls_full import full_scan_address

async def compare(servers, settings):
    rows = []
    for key, (address, port, name) in servers.items():
        st = "smtp" if port == 25 else None
        kind = "mail" if st else "web"
        cheap = await scan_address(address, port, name, starttls=st, settings=settings, kind=kind)
        full = await full_scan_address(address, port, name, starttls=st, settings=settings,
                                       kind=kind)
        rows.append([key, cheap["handshakes"], full["handshakes"]])
    return rows

async def throughput(kind, targets, settings, concurrency):
    client = DnsClient(settings)
    slots = asyncio.Semaphore(concurrency)
    async def one(target):
        async with slots:
            if kind == "web":
                host = await host_addresses(client, target)
                addrs = [a for k in ("a", "aaaa") for a in addresses(DnsAnswer.from_dict(host[k]))]
                await web_tls_evidence(target, addrs, client, settings)
            else:
                mx = await client.query(target, "MX")
                names = [r.split()[-1].rstrip(".") for r in mx.answers][:10]
                entries = [await host_addresses(client, n) for n in names if n]
                await mail_tls_evidence(entries, client, settings)
    started = time.monotonic()
    await asyncio.gather(*(one(t) for t in targets))
    return time.monotonic() - started

async def main(job, concurrency):
    settings = load()
    rows = await compare(job["servers"], settings)
    web = await throughput("web", job["web"], settings, concurrency)
    mail = await throughput("mail", job["mail"], settings, concurrency)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": rows, "web_seconds": web, "mail_seconds": mail, "peak_mib": peak}

print(json.dumps(asyncio.run(main(json.load(sys.stdin), int(sys.argv[1])))))
"""


def servers(plan: dict[str, Any]) -> dict[str, tuple[str, int, str]]:
    found: dict[str, tuple[str, int, str]] = {}
    for name, web in plan["web_servers"].items():
        if web["sites"] and web["ipv4"] and web.get("tls"):
            found[f"web:{name}"] = (web["ipv4"][0], 443, web["sites"][0])
    for name, mx in plan["mail_servers"].items():
        if mx["ipv4"] and mx.get("starttls", True) and mx.get("software") == "postfix":
            found[f"mail:{name}"] = (mx["ipv4"][0], 25, mx["hostname"])
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--domains", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()
    info = lab.up(args.domains)
    try:
        plan = json.loads((lab.state_dir() / "plan.json").read_text())
        job = {"servers": servers(plan),
               "web": [d["web_host"] for d in plan["domains"]],
               "mail": [d["mail_domain"] for d in plan["domains"]]}
        env = [f"METING_RESOLVER={info['resolver']}", f"METING_TRUST_STORE={info['trust_store']}",
               "METING_CONNECT_TIMEOUT=3", "METING_SMTP_BANNER_TIMEOUT=5",
               f"METING_ALLOWED_NETWORKS={netns.LAB_NETWORKS}"]
        argv = netns.exec_argv(info["scanner_namespace"],
                               ["env", *env, sys.executable, "-c", SCANNER,
                                str(args.concurrency)])
        out = subprocess.run(argv, input=json.dumps(job), capture_output=True, text=True,
                             check=True)
        result = json.loads(out.stdout)
    finally:
        lab.down()
    print(f"{'server':34} {'economical':>10} {'sslyze full':>12}")
    for key, cheap, full in result["rows"]:
        print(f"{key:34} {cheap:>10} {full:>12}")
    n = len(job["web"])
    print(f"web TLS tests per minute   {n / result['web_seconds'] * 60:.0f} "
          f"({n} hosts, concurrency {args.concurrency})")
    print(f"mail TLS tests per minute  {n / result['mail_seconds'] * 60:.0f} ({n} domains)")
    print(f"scanner peak memory        {result['peak_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
