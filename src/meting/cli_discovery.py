"""Discovery on the command line: ``meting discover`` and ``meting candidates``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from meting.errors import EXIT_INPUT

console = Console()
errors = Console(stderr=True)
candidates_app = typer.Typer(help="Names discovery found: list, accept into the registry, "
                             "or ignore.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("discover")(discover)
    app.add_typer(candidates_app, name="candidates")
    app.add_typer(register_app, name="register")
    app.add_typer(sets_app, name="sets")


Lang = Annotated[str | None, typer.Option(
    "--lang", help="nl or en (default: the lang setting)")]


def language(lang: str | None) -> str:
    from meting import settings

    chosen = lang or settings.load().lang
    if chosen not in ("nl", "en"):
        fail(f"--lang {chosen!r}: choose nl or en")
    return chosen


def fail(message: str, lang: str = "en") -> NoReturn:
    from meting.discovery.messages import message as said

    errors.print(f"[bold red]{said('error').text(lang)}:[/] {escape(message)}",
                  soft_wrap=True)
    raise typer.Exit(EXIT_INPUT)


def failed(exc: Exception, lang: str) -> NoReturn:
    """One line for an error: in ``lang`` when a layer worded it, else as it is."""
    from meting.words import in_language

    fail(in_language(exc, lang), lang)


def say(key: str, lang: str, **values: object) -> None:
    from meting.discovery.messages import message

    console.print(escape(message(key, **values).text(lang)), soft_wrap=True)


def discover(
        organisation: Annotated[list[str] | None, typer.Option(
            help="only this organisation's domains (repeatable)")] = None,
        set_name: Annotated[str | None, typer.Option(
            "--set", help="only the organisations of this domain set's domains")] = None,
        sources: Annotated[str, typer.Option(
            help="comma-separated: evidence, nsec, dns, ct")] = "evidence,nsec,dns",
        ct_file: Annotated[list[Path] | None, typer.Option(
            "--ct-file", help="a CT export: crt.sh JSON or a log's get-entries JSON "
            "(repeatable)")] = None,
        ct_log: Annotated[list[str] | None, typer.Option(
            "--ct-log", help="a CT log's base URL, read over its RFC 6962 API "
            "(repeatable; adds to the ct_logs setting)")] = None,
        ct_max_entries: Annotated[int | None, typer.Option(
            help="the newest entries read of each log at most (default: the "
            "ct_max_entries setting, 10,000)")] = None,
        lang: Lang = None,
) -> None:
    """Find hosts and domains of known organisations that the registry does not list."""
    from meting import settings
    from meting.discovery.messages import message as said
    from meting.discovery.service import DiscoveryError, parse_sources
    from meting.discovery.service import discover as run
    from meting.registry.rows import set_name as normal_set_name
    from meting.store import StoreError

    words = language(lang)
    if organisation and set_name:
        fail(said("organisation_or_set").text(words), words)
    try:
        chosen = parse_sources(sources)
        outcome = run(settings.load({"ct_max_entries": ct_max_entries}), chosen,
                      organisation or None, normal_set_name(set_name) if set_name else None,
                      ct_file or [], ct_log or [])
    except (DiscoveryError, StoreError, ValueError) as exc:
        failed(exc, words)
    for note in outcome.notes:
        console.print(escape(note.text(words)), soft_wrap=True)
    say("summary", words, organisations=outcome.organisations,
        found=", ".join(f"{source} {outcome.found[source]}" for source in chosen),
        new=len(outcome.new), again=outcome.again, questions=outcome.questions)
    for name in outcome.new:
        say("new_candidate", words, name=name)


State = Annotated[str | None, typer.Option(help="new, accepted or ignored")]


@candidates_app.command("list")
def list_candidates(organisation: Annotated[str | None, typer.Option()] = None,
                    state: State = None,
                    as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The candidates, per organisation, with their sources and when they were seen."""
    from meting import settings
    from meting.discovery.decide import listed
    from meting.store import StoreError

    try:
        rows = listed(settings.load(), organisation, state)
    except (StoreError, ValueError) as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps([{"name": c.name, "organisation": c.organisation,
                           "sources": c.sources, "state": c.state,
                           "first_seen": c.first_seen.isoformat(),
                           "last_seen": c.last_seen.isoformat()} for c in rows], indent=2))
        return
    table = Table("name", "organisation", "sources", "first seen", "last seen", "state")
    for c in rows:
        table.add_row(escape(c.name), escape(c.organisation or "?"),
                      escape(", ".join(sorted(c.sources))), f"{c.first_seen:%Y-%m-%d %H:%M}",
                      f"{c.last_seen:%Y-%m-%d %H:%M}", c.state)
    console.print(table)


@candidates_app.command("accept")
def accept(names: Annotated[list[str], typer.Argument(help="candidate names")],
           organisation: Annotated[str | None, typer.Option(
               help="the organisation they belong to (default: where they were found)")]
           = None,
           mail: Annotated[bool | None, typer.Option(
               "--mail/--no-mail", help="give them the mail role (default: only "
               "registrable domains)")] = None,
           sets: Annotated[list[str] | None, typer.Option(
               "--set", help="domain set to put them in (repeatable)")] = None,
           lang: Lang = None) -> None:
    """Make candidates registry domains of their organisation; all of them or none."""
    from meting import settings
    from meting.discovery.decide import accept as run
    from meting.discovery.messages import message
    from meting.discovery.service import DiscoveryError
    from meting.store import StoreError

    words = language(lang)
    try:
        accepted = run(settings.load(), [n.strip().rstrip(".").lower() for n in names],
                       organisation, mail, sets or [])
    except (DiscoveryError, StoreError, ValueError) as exc:
        failed(exc, words)
    for group in accepted:
        where = message("accepted_sets", sets=", ".join(group.sets)) if group.sets else ""
        say("accepted", words, organisation=group.organisation, count=len(group.domains),
            sets=where, names=", ".join(group.domains))


@candidates_app.command("ignore")
def ignore(names: Annotated[list[str], typer.Argument(help="candidate names")],
           lang: Lang = None) -> None:
    """Keep candidates out of the registry (discovery will not offer them as new again)."""
    from meting import settings
    from meting.discovery.decide import ignore as run
    from meting.discovery.service import DiscoveryError
    from meting.store import StoreError

    words = language(lang)
    try:
        run(settings.load(), [n.strip().rstrip(".").lower() for n in names])
    except (DiscoveryError, StoreError, ValueError) as exc:
        failed(exc, words)
    say("ignored", words, count=len(names))


register_app = typer.Typer(help="Registers of government organisations and domains.",
                           no_args_is_help=True)


@register_app.command("import")
def import_register(
        register: Annotated[str, typer.Argument(
            help="roo (Register van Overheidsorganisaties, XML), websiteregister "
            "(Websiteregister Rijksoverheid) or rio (Register Internetdomeinen Overheid)")],
        path: Annotated[Path, typer.Argument(help="the register's export")],
        dry_run: Annotated[bool, typer.Option(
            "--dry-run", help="show what would be added, changed and left alone")] = False,
) -> None:
    """Import a register's export; a file with errors imports nothing, and a value a
    coordinator set is never overwritten (it is listed as kept)."""
    from meting import settings
    from meting.cli_registry import PROBLEMS_SHOWN
    from meting.discovery.registers.importer import import_register as run
    from meting.store import StoreError

    try:
        outcome = run(settings.load(), register, path, dry_run)
    except (StoreError, ValueError) as exc:
        fail(str(exc))
    for problem in outcome.warnings[:PROBLEMS_SHOWN]:
        errors.print(f"[yellow]warning:[/] {escape(str(problem))}", soft_wrap=True)
    for problem in outcome.errors[:PROBLEMS_SHOWN]:
        errors.print(f"[bold red]error:[/] {escape(str(problem))}", soft_wrap=True)
    if outcome.changes is None:
        fail(f"nothing imported: {len(outcome.errors)} error(s) in {path}")
    changes = outcome.changes
    for word, lines in (("added", changes.added), ("changed", changes.changed),
                        ("kept", changes.kept)):
        for line in lines:
            console.print(f"  {word}: {escape(line)}", soft_wrap=True)
    verb = "imported" if outcome.kept else "dry run, nothing kept"
    console.print(f"{verb}: {outcome.rows} row(s) of {escape(str(path))}: "
                  f"{len(changes.added)} added, {len(changes.changed)} changed, "
                  f"{len(changes.kept)} coordinator's value(s) kept, {changes.alone} left "
                  "alone", soft_wrap=True)


sets_app = typer.Typer(help="Domain sets made from what is there.", no_args_is_help=True)


@sets_app.command("live-web")
def live_web(name: Annotated[str, typer.Argument(help="the set to make (or replace)")],
             organisation: Annotated[list[str] | None, typer.Option(
                 help="an organisation (repeatable; default: all)")] = None,
             category: Annotated[list[str] | None, typer.Option(
                 help="a layer, e.g. gemeente (repeatable)")] = None,
             lang: Lang = None) -> None:
    """A set of every live web host of these organisations (accepted discovered hosts
    included): the domains whose web host resolves to an address now."""
    from meting import settings
    from meting.discovery.messages import message as said
    from meting.discovery.service import DiscoveryError
    from meting.discovery.sets import live_web_set
    from meting.registry.vocabulary import category_of
    from meting.store import StoreError

    words = language(lang)
    layers = []
    for word in category or []:
        layer = category_of(word)
        if layer is None:
            fail(said("not_a_layer", word=repr(word)).text(words), words)
        layers.append(layer)
    try:
        made = live_web_set(settings.load(), name, organisation or [], layers)
    except (DiscoveryError, StoreError, ValueError) as exc:
        failed(exc, words)
    for host in made.not_live:
        say("not_live", words, host=host)
    say("live_set", words, set=made.name, count=len(made.members),
        organisations=made.organisations, left=len(made.not_live))
