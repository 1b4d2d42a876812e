"""`meting internetnl submit|status|resume|cancel` (a domain set through Internet.nl's batch
API, stored as a round) and `meting compare` (two rounds per column and domain)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from meting import limits, settings
from meting.errors import InputError
from meting.store import Store
from meting.store.internetnl import RequestInfo

if TYPE_CHECKING:
    from meting.analysis.agreement import Agreement
    from meting.internetnl.api import BatchClient
    from meting.report.numbers import Numbers

internetnl_app = typer.Typer(help="Internet.nl's batch API: send a domain set, follow the "
                             "requests, store the results as a round.", no_args_is_help=True)
console = Console()

Label = Annotated[str | None, typer.Option("--label", help="the batch (its round's label)")]


def register(app: typer.Typer) -> None:
    app.add_typer(internetnl_app, name="internetnl")
    app.command("compare")(compare)


@internetnl_app.command("submit")
def submit(set_name: Annotated[str, typer.Option("--set", help="the domain set to send")],
           kind: Annotated[str, typer.Option("--kind", help="web or mail")],
           label: Label = None,
           per_request: Annotated[int | None, typer.Option(
               help="domains per request (default: the terms' maximum)")] = None,
           over_limit: Annotated[bool, typer.Option(
               "--over-limit", help="exceed the terms of use (domains per request, requests "
               "a week) where an agreement with Internet.nl allows it")] = False) -> None:
    """Send a set's targets in requests within the terms, wait for them and store the
    results as a round; a stopped command continues with `meting internetnl resume`."""
    from meting.internetnl import batch
    from meting.internetnl.terms import terms

    found = settings.load()
    label = _label(label or f"internetnl-{kind}-{set_name}-{dt.date.today().isoformat()}")
    with Store.open(found.database, verify=True) as store, batch.client(found) as api:
        rows = batch.plan(store, kind, set_name, label, terms(found), per_request, over_limit)
        console.print(f"{label}: {sum(len(r.targets) for r in rows)} {kind} targets in "
                      f"{len(rows)} requests recorded")
        _advance(store, api, found, [label])


@internetnl_app.command("resume")
def resume(label: Label = None) -> None:
    """Continue the unfinished batches (or the one labelled): nothing is sent twice."""
    from meting.internetnl import batch

    found = settings.load()
    with Store.open(found.database, verify=True) as store, batch.client(found) as api:
        labels = [label] if label else batch.unfinished(store)
        if not labels:
            console.print("no unfinished Internet.nl batches")
            return
        _known(store, labels)
        _advance(store, api, found, labels)


@internetnl_app.command("status")
def status(label: Label = None, refresh: Annotated[bool, typer.Option(
        help="ask Internet.nl for the states of requests still running")] = True) -> None:
    """Every request of every batch (or the one labelled) and its state."""
    from meting.internetnl import batch
    from meting.store.internetnl import InternetnlStore

    found = settings.load()
    with Store.open(found.database, create=False) as store:
        books = InternetnlStore(store)
        labels = [label] if label else books.batches()
        _known(store, labels)
        if refresh and any(r.state in ("registering", "running", "generating")
                           for r in books.requests(label)):
            from meting.internetnl.api import Unavailable

            with batch.client(found) as api:
                worker = batch.Batch(store, api, found)
                try:
                    for name in labels:
                        worker.refresh(name)
                except Unavailable as exc:  # the states last recorded are still worth seeing
                    Console(stderr=True).print(f"{escape(str(exc))}; states as last recorded")
        _requests_table(books.requests(label))


@internetnl_app.command("cancel")
def cancel(label: Annotated[str, typer.Option("--label", help="the batch to cancel")]) -> None:
    """Cancel a batch's requests at Internet.nl (no resuming after this)."""
    from meting.internetnl import batch

    found = settings.load()
    with Store.open(found.database, verify=True) as store, batch.client(found) as api:
        _known(store, [label])
        _requests_table(batch.Batch(store, api, found).cancel(label))


def _known(store: Store, labels: Sequence[str]) -> None:
    from meting.store.internetnl import InternetnlStore

    known = set(InternetnlStore(store).batches())
    unknown = [name for name in labels if name not in known]
    if unknown:
        raise InputError(f"no Internet.nl batch {unknown[0]!r} (known: "
                         f"{', '.join(sorted(known)) or 'none yet'})")


def _label(text: str) -> str:
    from meting.textfile import name_problem

    label = " ".join(text.split())
    problem = name_problem(label, limits.ROUND_LABEL, "round label")
    if problem:
        raise InputError(f"--label: {problem}")
    return label


def _advance(store: Store, api: BatchClient, found: settings.Settings,
             labels: list[str]) -> None:
    from meting.internetnl import batch

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               TextColumn("{task.completed}/{task.total} requests done"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("Internet.nl", total=None)

        def report(rows: Sequence[RequestInfo], note: str) -> None:
            if rows:
                states = Counter(r.state for r in rows)
                done = states["done"] + states["imported"]
                text = ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
                progress.update(task, total=len(rows), completed=done,
                                description=f"{escape(rows[0].batch)}: {text}; {escape(note)}")
            else:
                progress.update(task, description=escape(note))

        worker = batch.Batch(store, api, found, report)
        for name in labels:
            info = worker.advance(name)
            progress.update(task, description=f"{escape(name)}: stored")
            console.print(f"round {info.label} stored: {info.done} results from Internet.nl")


def _requests_table(rows: Sequence[RequestInfo]) -> None:
    table = Table("batch", "part", "request id", "state", "domains", "sent", "note")
    for r in rows:
        table.add_row(escape(r.batch), f"{r.part}/{r.parts}", r.request_id or "–", r.state,
                      str(len(r.targets)),
                      r.submitted_at.strftime("%Y-%m-%d %H:%M") if r.submitted_at else "–",
                      escape(r.message or ""))
    console.print(table)


# -- meting compare ----------------------------------------------------------------------

WORDS = {
    "nl": {"title": "Overeenstemming per kolom: {a} en {b}", "kind": "soort",
           "column": "kolom", "compared": "vergeleken", "agreeing": "gelijk",
           "share": "overeenstemming", "domain": "domein", "status": "status {r}",
           "explanation": "uitleg {r}", "differ": "Verschillen",
           "only": "alleen in {a}: {na} tests; alleen in {b}: {nb} tests",
           "more": "en nog {n} verschillen; alle verschillen met --out BESTAND.csv",
           "written": "geschreven: {p}"},
    "en": {"title": "Agreement per column: {a} and {b}", "kind": "kind",
           "column": "column", "compared": "compared", "agreeing": "agreeing",
           "share": "agreement", "domain": "domain", "status": "status {r}",
           "explanation": "explanation {r}", "differ": "Differences",
           "only": "only in {a}: {na} tests; only in {b}: {nb} tests",
           "more": "and {n} more differences; all of them with --out FILE.csv",
           "written": "written: {p}"},
}


def compare(rounds: Annotated[list[str], typer.Option(
                "--round", help="a round (label or id); give exactly two")],
            out: Annotated[Path | None, typer.Option(
                help="write every difference: .csv, or .json with the agreement too")] = None,
            as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
            lang: Annotated[str, typer.Option(help="nl or en")] = "nl",
            shown: Annotated[int, typer.Option(help="differences shown in the table")] = 20,
            ) -> None:
    """Two rounds (e.g. meting's and Internet.nl's) per column: how many domains agree, and
    each difference with both statuses and both explanations."""
    from meting.analysis.agreement import agreement
    from meting.analysis.rules import counting_rules
    from meting.report.numbers import Numbers

    if len(rounds) != 2:
        raise InputError(f"give exactly two rounds (--round A --round B), not {len(rounds)}")
    if lang not in WORDS:
        raise InputError(f"--lang {lang!r}: nl or en")
    with Store.open(settings.load().database, create=False) as store:
        a, b = (store.find_round(ref) for ref in rounds)
        found = agreement(a.label, store.results(a.id), b.label, store.results(b.id))
    if as_json:
        console.out(json.dumps(found.to_json(lang), ensure_ascii=False, indent=1))
    else:
        _print_agreement(found, WORDS[lang], Numbers(lang, counting_rules().rounding), shown)
    if out is not None:
        _write(found, out, lang)
        (Console(stderr=True) if as_json else console).print(
            WORDS[lang]["written"].format(p=escape(str(out))))


def _print_agreement(found: Agreement, w: dict[str, str], num: Numbers, shown: int) -> None:
    a, b = escape(found.round_a), escape(found.round_b)
    table = Table(w["kind"], w["column"], w["compared"], w["agreeing"], w["share"],
                  title=w["title"].format(a=a, b=b))
    for c in found.columns:
        table.add_row(c.kind, c.column, num.count(c.compared), num.count(c.agreeing),
                      num.percent(c.share))
    console.print(table)
    console.print(w["only"].format(a=a, b=b, na=num.count(found.only_a),
                                   nb=num.count(found.only_b)))
    if not found.disagreements or shown <= 0:
        return
    lang = num.lang
    differ = Table(w["domain"], w["column"], w["status"].format(r=a), w["status"].format(r=b),
                   w["explanation"].format(r=a), w["explanation"].format(r=b),
                   title=w["differ"])
    for d in found.disagreements[:shown]:
        row = d.to_json(lang)
        differ.add_row(escape(d.domain), f"{d.kind} {d.column}", d.status_a, d.status_b,
                       escape(row["explanation_a"]), escape(row["explanation_b"]))
    console.print(differ)
    if len(found.disagreements) > shown:
        console.print(w["more"].format(n=num.count(len(found.disagreements) - shown)))


def _write(found: Agreement, out: Path, lang: str) -> None:
    try:
        if out.suffix.lower() == ".json":
            out.write_text(json.dumps(found.to_json(lang), ensure_ascii=False, indent=1),
                           encoding="utf-8")
            return
        if out.suffix.lower() != ".csv":
            raise InputError(f"--out {out}: a .csv or .json file")
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, ["domain", "kind", "column", "status_a", "status_b",
                                             "explanation_a", "explanation_b"])
            writer.writeheader()
            writer.writerows(d.to_json(lang) for d in found.disagreements)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot write it ({exc.strerror})") from None
