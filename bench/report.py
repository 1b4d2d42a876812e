"""Benchmark: the analysis and the report over a large synthetic history.

Not a test. Builds --domains N synthetic web and mail results per round for --rounds
earlier rounds plus the current one (and one round of a second domain set), then times
all figures (analyse + figures JSON), the HTML report, the XLSX and the PDF report.
Give CPU seconds when the machine is shared: wall time follows the load.

    .venv/bin/python bench/report.py --domains 10000 --rounds 10 [--pdf/--no-pdf]

Aims (issue 6): figures < 5 s; HTML + PDF < 60 s.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import resource
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from meting.analysis.analysis import analyse, analysis_json
from meting.analysis.model import DomainResult, RoundResults
from meting.analysis.rules import column_names
from meting.report.pdf import render_pdf
from meting.report.render import render
from meting.report.xlsx import render_xlsx

T = TypeVar("T")
CATEGORIES = {"rijk": 0.1, "uitvoering": 0.1, "provincie": 0.03, "gemeente": 0.5,
              "waterschap": 0.05, "overig": 0.22}
UMBRELLAS = {"rijk": "CIO Rijk", "uitvoering": "Manifestgroep", "provincie": "IPO",
             "gemeente": "VNG", "waterschap": "Unie van Waterschappen", "overig": "Klein LEF"}
MX = ["{d}.mail.protection.outlook.com", "aspmx.l.google.com", "mx1.{d}", "mx.kpnmail.nl",
      "eu-smtp-inbound-1.mimecast.com", "mx0a.pphosted.com", "mx.hostnet.nl"]
STATUSES = ["passed", "failed", "warning", "info", "not_tested", "unreachable", "error"]


def synthetic_round(index: int, domains: int, set_name: str, rng: random.Random) -> RoundResults:
    date = datetime.date(2016, 4, 1) + datetime.timedelta(days=182 * index)
    progress = 0.3 + 0.06 * index  # adoption grows over the rounds
    cats, weights = zip(*CATEGORIES.items(), strict=True)
    rows = []
    for n in range(domains):
        category = rng.choices(cats, weights)[0]
        domain = f"{category}-{n:05d}.nl"
        org = f"Organisatie {category} {n // 3:05d}"
        for kind in ("web", "mail"):
            columns = {c: _status(rng, progress) for c in column_names(kind)}
            mx = (rng.choice(MX).format(d=domain.replace(".", "-") if "outlook" in MX[0]
                                        else domain),) if kind == "mail" else ()
            rows.append(DomainResult(domain, org, category, UMBRELLAS[category], kind, columns,
                                     reaction=n % 97 == 0, mx_hosts=mx,
                                     nameservers=(f"ns1.{domain}", "ns2.transip.net"),
                                     web_host=f"www.{domain}" if kind == "web" else None))
    label = f"{date:%Y-%m}"
    return RoundResults(f"{set_name}-{label}", label, date, set_name, "current", rows)


def _status(rng: random.Random, progress: float) -> str:
    roll = rng.random()
    if roll < progress:
        return "passed"
    return rng.choices(STATUSES[1:], [70, 8, 6, 6, 5, 5])[0]


def open_in_chromium(page: Path, scratch: Path) -> None:
    """Headless Chromium loads the page, runs its script and prints the DOM; its CPU time
    (every Chromium process) tells the work when other processes share the cores."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    f"--user-data-dir={scratch / 'profile'}", "--dump-dom", page.as_uri()],
                   capture_output=True, check=True, timeout=600)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    print(f"{'':<28} {cpu:8.2f} s cpu in Chromium's processes")


def timed(name: str, action: Callable[[], T]) -> T:
    """Wall and CPU time: the CPU time tells the work when other processes share the cores."""
    started, cpu = time.perf_counter(), time.process_time()
    result = action()
    print(f"{name:<28} {time.perf_counter() - started:8.2f} s wall "
          f"{time.process_time() - cpu:8.2f} s cpu", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=10, help="earlier rounds of the set")
    parser.add_argument("--pdf", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    rng = random.Random(2026)
    history = timed("synthetic rounds", lambda: [
        synthetic_round(i, args.domains, "kern", rng) for i in range(args.rounds + 1)])
    other = synthetic_round(args.rounds, args.domains // 4, "breed", rng)
    current, earlier = history[-1], history[:-1]
    analysis = timed("figures (analyse)", lambda: analyse(current, earlier, [other]))
    data = timed("figures JSON", lambda: json.dumps(analysis_json(analysis)))
    files = timed("HTML (page + details)", lambda: render(analysis, "html", "nl", "report"))
    page = files[".html"]
    details = [v for k, v in files.items() if k != ".html"]
    print(f"{'':<28} {len(page) / 1e6:8.1f} MB HTML page, {len(details)} detail pages "
          f"({sum(map(len, details)) / 1e6:.1f} MB), {len(data) / 1e6:.1f} MB JSON")
    out = Path(tempfile.mkdtemp(prefix="meting-bench-"))
    for suffix, content in files.items():
        path = out / f"report{suffix}"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(content)
    if shutil.which("chromium"):
        timed("Chromium opens the page", lambda: open_in_chromium(out / "report.html", out))
    xlsx = timed("XLSX", lambda: render_xlsx(analysis, "nl"))
    print(f"{'':<28} {len(xlsx) / 1e6:8.1f} MB XLSX")
    if args.pdf:
        pdf = timed("PDF", lambda: render_pdf(analysis, "nl"))
        print(f"{'':<28} {len(pdf) / 1e6:8.1f} MB PDF")
    shutil.rmtree(out)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak memory':<28} {peak:8.0f} MB")


if __name__ == "__main__":
    main()
