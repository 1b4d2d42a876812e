"""`meting check web|mail NAME`: one test now, in the words of the report.

Exit status: 0 when no column failed, 1 when a column failed, 2 on a usage or input
error (a name that is not a name, does not exist, or whose name servers do not exist).
Columns without a result (error, unreachable, not_testable) do not fail the command:
they are left out, as the report leaves them out of its counts.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

app = typer.Typer(help="Test one web host or one mail domain now.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)

WORDS = {
    "nl": {"tested": "Getest: {name}", "from": " (uit {typed!r})",
           "title": "{kind}test van {name}", "status": "status", "explanation": "uitleg",
           "evidence": "Bewijs per server",
           "budget": "de {kind}test van {name} was niet klaar binnen {seconds:g} s",
           "broke": "de {kind}test van {name} liep vast ({what}); meld dit alstublieft"},
    "en": {"tested": "Tested: {name}", "from": " (from {typed!r})",
           "title": "{kind} test of {name}", "status": "status", "explanation": "explanation",
           "evidence": "Evidence per server",
           "budget": "the {kind} test of {name} did not finish within {seconds:g} s",
           "broke": "the {kind} test of {name} broke ({what}); please report it"},
}
STYLE = {"passed": "green", "failed": "red", "warning": "yellow", "info": "cyan"}


def fail(message: str, lang: str = "en") -> None:
    prefix = "fout" if lang == "nl" else "error"
    errors.print(f"[bold red]{prefix}:[/] {escape(message)}", soft_wrap=True, highlight=False)
    raise typer.Exit(2)


def check(kind: str, typed: str, as_json: bool, show_evidence: bool,
          lang: str | None, norm: str | None = None) -> None:
    import asyncio

    from meting import norms
    from meting.probe.guard import parse_networks
    from meting.probe.routing import RoutingDataError
    from meting.registry.names import BadDomainName, display, target_from
    from meting.settings import load
    from meting.tester import routing_data, run_test

    try:
        settings = load({"lang": lang, "norm": norm})
        if settings.lang not in WORDS:
            raise ValueError(f"--lang {settings.lang!r}: choose nl or en")
        parse_networks(settings.allowed_networks)
        if settings.norm not in norms.versions():
            raise ValueError(f"--norm {settings.norm!r}: choose {', '.join(norms.versions())}")
        target = target_from(typed, kind)
        routing = routing_data(settings)
    except (BadDomainName, ValueError, RoutingDataError) as exc:
        fail(str(exc))
    words, name, lang = WORDS[settings.lang], target.name, settings.lang
    try:
        evidence, judged = asyncio.run(run_test(kind, name, settings, routing))
    except TimeoutError:
        fail(words["budget"].format(kind=kind, name=name, seconds=settings.test_budget), lang)
    except Exception as exc:  # a bug in one probe or check: a clear message, no traceback
        fail(words["broke"].format(kind=kind, name=name, what=type(exc).__name__), lang)
    refusal = input_error(evidence, judged, settings.lang)
    if refusal:
        fail(refusal, lang)
    result = {"target": name, "kind": kind, "typed": target.typed,
              "taken_from": target.taken_from, "norm": settings.norm, **named(judged, kind)}
    if show_evidence:
        result["evidence"] = evidence
    if as_json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        show(result, kind, display(name), target, settings.lang, evidence if show_evidence
             else None)
    failed = any(v["status"] == "failed" for v in judged["columns"].values())
    raise typer.Exit(1 if failed else 0)


def input_error(evidence: dict[str, Any], judged: dict[str, Any], lang: str) -> str | None:
    """The explanation to stop with when the name or its name servers do not exist."""
    from meting.checks.unprobed import failed_lookups, missing_name, nameservers_not_found
    from meting.evidence.models import NotTestableEvidence
    from meting.evidence.validate import typed

    model = typed(evidence)
    if isinstance(model, NotTestableEvidence):
        return None
    found = missing_name(model)
    if found is None:
        answered = failed_lookups(model)
        if answered and answered[0].ok:  # answered: there are none, not "no answer"
            found = nameservers_not_found(model)
    return getattr(found.explanation, lang) if found else None


def named(judged: dict[str, Any], kind: str) -> dict[str, Any]:
    """Columns and subtests with the names people read beside their ids."""
    from meting.checks import explain
    from meting.report.texts import Texts

    out: dict[str, Any] = {}
    for group in ("columns", "subtests"):
        out[group] = {}
        for key, v in judged[group].items():
            names = {lang: Texts(lang).column(key) if group == "columns"
                     else explain.name(key, lang) for lang in ("nl", "en")}
            out[group][key] = {**v, "name": names}
    return out


def show(result: dict[str, Any], kind: str, shown: str, target: Any, lang: str,
         evidence: dict[str, Any] | None) -> None:
    from meting.report.texts import Texts

    texts, words = Texts(lang), WORDS[lang]
    line = words["tested"].format(name=shown)
    if target.changed:
        line += words["from"].format(typed=target.typed)
    console.print(line, soft_wrap=True, highlight=False, markup=False)
    table = Table(title=words["title"].format(kind=texts.kind(kind), name=shown))
    table.add_column("")
    table.add_column(words["status"])
    table.add_column(words["explanation"], overflow="fold")
    for group in ("columns", "subtests"):
        for v in result[group].values():
            label = v["name"][lang] if group == "columns" else f"  {v['name'][lang]}"
            status = texts.status(v["status"])
            style = STYLE.get(v["status"])
            table.add_row(label, f"[{style}]{status}[/]" if style else status,
                          v["explanation"][lang])
    console.print(table)
    if evidence is not None:
        from meting.check_evidence import summary

        console.print(summary(evidence, lang, words["evidence"]))


# the options both kinds of test take
JsonFlag = Annotated[bool, typer.Option("--json", help="JSON instead of a table")]
EvidenceFlag = Annotated[bool, typer.Option(help="show the evidence too")]
LangOption = Annotated[str | None, typer.Option(
    "--lang", help="nl or en (default: the lang setting, nl)")]
NormOption = Annotated[str | None, typer.Option(help="norm version to judge by")]


@app.command("web")
def check_web(
        host: Annotated[str, typer.Argument(
            help="web host, URL or host:port/path (e.g. www.example.nl)")],
        as_json: JsonFlag = False, evidence: EvidenceFlag = False,
        lang: LangOption = None, norm: NormOption = None) -> None:
    """Test a web host (e.g. www.example.nl)."""
    check("web", host, as_json, evidence, lang, norm)


@app.command("mail")
def check_mail(
        domain: Annotated[str, typer.Argument(
            help="mail domain or e-mail address (e.g. example.nl)")],
        as_json: JsonFlag = False, evidence: EvidenceFlag = False,
        lang: LangOption = None, norm: NormOption = None) -> None:
    """Test a mail domain (e.g. example.nl)."""
    check("mail", domain, as_json, evidence, lang, norm)
