"""The review cycle on the command line: review windows, reactions, explanations,
re-tests, recipients, mails, schedules and the scheduler (``meting.review``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from meting.review.cycle import Cycle

console = Console()
errors = Console(stderr=True)

review_app = typer.Typer(help="The review window of a finished round.", no_args_is_help=True)
reaction_app = typer.Typer(help="Formal reactions of organisations to a round.",
                           no_args_is_help=True)
explanation_app = typer.Typer(help="Explanations (comply or explain) on one domain and column.",
                              no_args_is_help=True)
recipient_app = typer.Typer(help="Where the review cycle's mails go.", no_args_is_help=True)
mail_app = typer.Typer(help="The review cycle's mails: recorded, sent, retried.",
                       no_args_is_help=True)
schedule_app = typer.Typer(help="Rounds on a schedule (run by meting scheduler).",
                           no_args_is_help=True)

Round = Annotated[str, typer.Option("--round", help="round label or number")]
Organisation = Annotated[str, typer.Option("--organisation", help="organisation name")]
Note = Annotated[str | None, typer.Option("--note", help="a word to the organisation")]


def register(app: typer.Typer) -> None:
    """Add the review cycle's commands to the ``meting`` command."""
    app.add_typer(review_app, name="review")
    app.add_typer(reaction_app, name="reaction")
    app.add_typer(explanation_app, name="explanation")
    app.add_typer(recipient_app, name="recipient")
    app.add_typer(mail_app, name="mail")
    app.add_typer(schedule_app, name="schedule")
    app.command("retest")(retest)
    app.command("scheduler")(scheduler)


def fail(message: str) -> None:
    errors.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(2)


def parse_date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{option} {text!r} is not a date (YYYY-MM-DD)")
        raise


@contextmanager
def cycle() -> Iterator[Cycle]:
    """The review services over the configured store; clear errors for what users cause."""
    from meting import settings
    from meting.review.cron import CronError
    from meting.review.cycle import Cycle
    from meting.review.mailer import MailSettingsError
    from meting.run.requests import CommandError
    from meting.store import Store, StoreError

    try:
        loaded = settings.load()
        with Store.open(loaded.database) as store:
            yield Cycle(store, loaded, dt.date.today())
    except (StoreError, ValueError, CronError, MailSettingsError, CommandError) as exc:
        fail(str(exc))


def deliver(c: Cycle) -> None:
    """Send what is due now; a relay that fails leaves the mails for a retry."""
    from meting.review.mailer import deliver_due

    queued = len(c.review.mails("queued")) + len(c.review.mails("failed"))
    if not queued:
        return
    if not c.settings.smtp_host:
        console.print(f"{queued} mails queued; no relay set (smtp_host): "
                      "they are sent by meting mail send or meting scheduler")
        return
    done = deliver_due(c.review, c.settings)
    if done.stopped:
        errors.print(f"[yellow]mails not sent[/]: {escape(done.stopped)}", soft_wrap=True)
        return
    note = f", {done.failed} failed (retried later; meting mail list)" if done.failed else ""
    console.print(f"mails: {done.sent} sent{note}")


# -- review ------------------------------------------------------------------------------

@review_app.command("open")
def review_open(round_ref: Round,
                until: Annotated[str, typer.Option("--until", help="closing date YYYY-MM-DD")],
                ) -> None:
    """Open the review of a finished round until a closing date; mails the organisations."""
    closes = parse_date(until, "--until")
    with cycle() as c:
        window, queued = c.open(round_ref, closes)
        console.print(f"review of round {window.label} open until {window.closes_on}; "
                      f"{queued} mails queued")
        deliver(c)


@review_app.command("close")
def review_close(round_ref: Round) -> None:
    """Close the review now: the round's figures are final and may be published."""
    with cycle() as c:
        window, queued = c.close(round_ref)
        console.print(f"review of round {window.label} closed; figures final; "
                      f"{queued} mails queued")
        deliver(c)


@review_app.command("status")
def review_status(round_ref: Annotated[str | None, typer.Option(
        "--round", help="one round (default: every reviewed round)")] = None) -> None:
    """Review windows with their reactions, explanations and re-tests."""
    with cycle() as c:
        cy = c
        windows = cy.review.windows(cy.today)
        if round_ref is not None:
            wanted = cy.round(round_ref).id
            windows = [w for w in windows if w.round_id == wanted]
            if not windows:
                fail(f"the review of round {round_ref} has not been opened")
        table = Table("round", "state", "closes", "reactions", "explanations", "re-tests")
        for w in windows:
            state = "open" if w.is_open else "closed"
            reactions = cy.review.reactions(w.round_id)
            explained = cy.review.explanations(w.round_id)
            table.add_row(w.label, state, str(w.closes_on), _tally(r.state for r in reactions),
                          _tally(e.state for e in explained),
                          str(len(cy.review.retests(w.round_id))))
        console.print(table)


def _tally(states: Iterable[str]) -> str:
    from collections import Counter

    counts = Counter(states)
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "–"


# -- reactions ---------------------------------------------------------------------------

@reaction_app.command("add")
def reaction_add(round_ref: Round, organisation: Organisation,
                 text: Annotated[str | None, typer.Option("--text", help="the reaction")] = None,
                 file: Annotated[str | None, typer.Option(
                     "--file", help="a UTF-8 text file with the reaction")] = None) -> None:
    """Submit an organisation's formal reaction (one per round; the coordinator decides)."""
    if (text is None) == (file is None):
        fail("give the reaction with --text or --file (one of them)")
    if file is not None:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"cannot read {file}: {exc}")
    with cycle() as c:
        found = c.submit_reaction(round_ref, organisation, text or "")
        console.print(f"reaction of {found.organisation} to round {found.round_label} "
                      "submitted; the coordinator approves or returns it")


@reaction_app.command("list")
def reaction_list(round_ref: Round) -> None:
    """The round's reactions and their state."""
    with cycle() as c:
        table = Table("organisation", "state", "text", "note")
        for r in c.review.reactions(c.round(round_ref).id):
            table.add_row(r.organisation, r.state, r.text[:200], r.note or "")
        console.print(table)


@reaction_app.command("approve")
def reaction_approve(round_ref: Round, organisation: Organisation, note: Note = None) -> None:
    """Approve a reaction: printed in the appendix, the organisation's domains get a *."""
    with cycle() as c:
        found = c.decide_reaction(round_ref, organisation, True, note)
        console.print(f"reaction of {found.organisation} approved")
        deliver(c)


@reaction_app.command("return")
def reaction_return(round_ref: Round, organisation: Organisation, note: Note = None) -> None:
    """Return a reaction to the organisation (it may submit a new one while the review is open)."""
    with cycle() as c:
        found = c.decide_reaction(round_ref, organisation, False, note)
        console.print(f"reaction of {found.organisation} returned")
        deliver(c)


# -- explanations ------------------------------------------------------------------------

@explanation_app.command("add")
def explanation_add(
        round_ref: Round,
        domain: Annotated[str, typer.Option("--domain", help="the domain (as registered)")],
        column: Annotated[str, typer.Option("--column", help="report column, e.g. hsts")],
        reason: Annotated[str, typer.Option("--reason", help="why the result is as it is")],
        until: Annotated[str, typer.Option("--until", help="expiry date YYYY-MM-DD")],
        kind: Annotated[str, typer.Option("--kind", help="web or mail")] = "web") -> None:
    """Submit an explanation on one domain and column, valid until an expiry date."""
    expires = parse_date(until, "--until")
    if kind not in ("web", "mail"):
        fail(f"--kind {kind!r}: web or mail")
    with cycle() as c:
        found = c.submit_explanation(round_ref, domain.lower().rstrip("."), kind, column,
                                         reason, expires)
        console.print(f"explanation {found.id} on {found.domain} {found.kind} {found.column} "
                      "submitted; the coordinator accepts or rejects it")


@explanation_app.command("list")
def explanation_list(round_ref: Annotated[str | None, typer.Option(
        "--round", help="given in this round (default: all)")] = None) -> None:
    """Explanations with their state and expiry date."""
    with cycle() as c:
        cy = c
        wanted = cy.round(round_ref).id if round_ref else None
        table = Table("id", "round", "domain", "kind", "column", "state", "until", "reason")
        for e in cy.review.explanations(wanted):
            table.add_row(str(e.id), e.round_label, e.domain, e.kind, e.column, e.state,
                          str(e.expires_on), e.reason[:120])
        console.print(table)


@explanation_app.command("accept")
def explanation_accept(explanation_id: int, note: Note = None) -> None:
    """Accept an explanation: shown beside the status (figures per the counting rules)."""
    with cycle() as c:
        found = c.decide_explanation(explanation_id, True, note)
        console.print(f"explanation {found.id} on {found.domain} {found.column} accepted")
        deliver(c)


@explanation_app.command("reject")
def explanation_reject(explanation_id: int, note: Note = None) -> None:
    """Reject an explanation."""
    with cycle() as c:
        found = c.decide_explanation(explanation_id, False, note)
        console.print(f"explanation {found.id} on {found.domain} {found.column} rejected")
        deliver(c)


# -- re-tests ----------------------------------------------------------------------------

def retest(domain: Annotated[str, typer.Argument(help="the domain to test again")],
           round_ref: Round,
           kind: Annotated[str | None, typer.Option("--kind", help="only web or mail")] = None,
           by: Annotated[str, typer.Option("--by", help="who asks (organisation name or "
                                                       "coordinator)")] = "coordinator",
           executor: Annotated[str | None, typer.Option(
               help="local or celery (default: the review_executor setting)")] = None,
           ) -> None:
    """Test a domain of a round again now (during its review); stored beside the original."""
    import dataclasses

    if kind not in (None, "web", "mail"):
        fail(f"--kind {kind!r}: web or mail")
    kinds = (kind,) if kind else ("web", "mail")
    with cycle() as c:
        if executor is not None:
            c.settings = dataclasses.replace(c.settings, review_executor=executor)
        run = c.retest(round_ref, domain.lower().rstrip("."), by, kinds)
        table = Table("kind", "column", "round", "re-test")
        for r in run.retests:
            for column, status in r.columns.items():
                table.add_row(r.kind, column, run.before.get((r.kind, column), "–"), status)
        console.print(table)
        console.print(f"{len(run.retests)} re-tests of {domain} stored in round {round_ref}")
        deliver(c)


# -- recipients --------------------------------------------------------------------------

def _scope(organisation: str | None, umbrella: str | None, coordinator: bool
           ) -> tuple[str, str]:
    given = [x for x in (organisation, umbrella) if x] + (["c"] if coordinator else [])
    if len(given) != 1:
        fail("name one of --organisation NAME, --umbrella NAME or --coordinator")
    if organisation:
        return "organisation", organisation
    return ("umbrella", umbrella or "") if umbrella else ("coordinator", "")


OrgOpt = Annotated[str | None, typer.Option("--organisation", help="an organisation")]
UmbOpt = Annotated[str | None, typer.Option("--umbrella", help="an umbrella organisation")]
CoordOpt = Annotated[bool, typer.Option("--coordinator", help="the coordinators")]


@recipient_app.command("add")
def recipient_add(address: str, organisation: OrgOpt = None, umbrella: UmbOpt = None,
                  coordinator: CoordOpt = False,
                  lang: Annotated[str, typer.Option("--lang", help="nl or en")] = "nl") -> None:
    """Send an organisation's, umbrella's or the coordinators' mails to this address."""
    from meting.review.recipients import LANGS, valid_address

    scope, name = _scope(organisation, umbrella, coordinator)
    if not valid_address(address):
        fail(f"{address!r} is not an e-mail address")
    if lang not in LANGS:
        fail(f"--lang {lang!r}: nl or en")
    with cycle() as c:
        c.review.add_recipient(scope, name, address, lang)
        console.print(f"{address} receives the mails of {scope} {name}".rstrip())


@recipient_app.command("remove")
def recipient_remove(address: str, organisation: OrgOpt = None, umbrella: UmbOpt = None,
                     coordinator: CoordOpt = False) -> None:
    """Stop sending to this address."""
    scope, name = _scope(organisation, umbrella, coordinator)
    with cycle() as c:
        if not c.review.remove_recipient(scope, name, address):
            fail(f"{address} is not a recipient of {scope} {name}".rstrip())
        console.print(f"{address} removed")


@recipient_app.command("list")
def recipient_list() -> None:
    """Every registered recipient (organisations' registry contacts receive mail too)."""
    with cycle() as c:
        table = Table("scope", "name", "address", "language")
        for r in c.review.recipients():
            table.add_row(r.scope, r.name, r.address, r.lang)
        console.print(table)


# -- mails -------------------------------------------------------------------------------

@mail_app.command("list")
def mail_list(state: Annotated[str | None, typer.Option(
        "--state", help="queued, sending, sent, failed or uncertain")] = None) -> None:
    """Recorded mails: to whom, what, when, delivered or the SMTP error."""
    with cycle() as c:
        table = Table("id", "event", "to", "subject", "state", "tries", "sent", "error")
        for m in c.review.mails(state):
            table.add_row(str(m.id), m.event, m.recipient, m.subject[:60], m.state,
                          str(m.attempts), f"{m.sent_at:%Y-%m-%d %H:%M}" if m.sent_at else "",
                          (m.last_error or "")[:80])
        console.print(table)


@mail_app.command("send")
def mail_send() -> None:
    """Send the queued mails and retry failed ones that are due."""
    from meting.review.mailer import deliver_due

    with cycle() as c:
        cy = c
        if not cy.settings.smtp_host:
            fail("no SMTP relay is set (smtp_host in meting.toml or METING_SMTP_HOST)")
        done = deliver_due(cy.review, cy.settings)
        if done.stopped:
            fail(f"{done.stopped} ({done.sent} sent before)" if done.sent else done.stopped)
        console.print(f"mails: {done.sent} sent, {done.failed} failed, "
                      f"{done.uncertain} left uncertain by a stopped process")


@mail_app.command("resend")
def mail_resend(mail_id: int) -> None:
    """Queue a failed or uncertain mail again (a delivered one is refused)."""
    with cycle() as c:
        c.review.resend_mail(mail_id)
        console.print(f"mail {mail_id} queued again")
        deliver(c)


# -- schedules ---------------------------------------------------------------------------

@schedule_app.command("add")
def schedule_add(
        set_name: Annotated[str, typer.Option("--set", help="the domain set")],
        every: Annotated[str | None, typer.Option(
            "--every", help="half-yearly, quarterly, monthly, weekly or daily")] = None,
        cron: Annotated[str | None, typer.Option(
            "--cron", help='five-field cron (UTC), e.g. "0 2 1 3,9 *"')] = None,
        label_pattern: Annotated[str | None, typer.Option(
            "--label-pattern", help="round label, strftime of the due time, e.g. %Y-%m")]
        = None,
        retest_laggards: Annotated[bool, typer.Option(
            "--retest-laggards", help="re-test the last round's laggards every month")]
        = False) -> None:
    """Run rounds of a set on a schedule."""
    from meting.review.config import config
    from meting.review.cron import Cron

    if (every is None) == (cron is None):
        fail("give --every WORD or --cron EXPRESSION (one of them)")
    if every is not None and every not in config().every:
        fail(f"--every {every!r}: one of {', '.join(config().every)}")
    expression = config().every[every] if every else str(cron)
    with cycle() as c:
        parsed = Cron.parse(expression)
        found = c.review.add_schedule(set_name, parsed.text, label_pattern,
                                          retest_laggards)
        console.print(f"schedule {found.id}: set {found.set_name} at \"{found.cron}\" (UTC)")


@schedule_app.command("list")
def schedule_list() -> None:
    """Schedules with the last time each acted."""
    with cycle() as c:
        table = Table("id", "set", "cron (UTC)", "label", "laggard re-tests", "last due",
                      "last round")
        for s in c.review.schedules():
            table.add_row(str(s.id), s.set_name, s.cron, s.label_pattern or "",
                          "yes" if s.retest_laggards else "no",
                          f"{s.last_due:%Y-%m-%d %H:%M}" if s.last_due else "never",
                          str(s.last_round_id or ""))
        console.print(table)


@schedule_app.command("remove")
def schedule_remove(schedule_id: int) -> None:
    """Remove a schedule (its rounds stay)."""
    with cycle() as c:
        c.review.remove_schedule(schedule_id)
        console.print(f"schedule {schedule_id} removed")


def scheduler(interval: Annotated[float, typer.Option(help="seconds between passes")] = 60,
              once: Annotated[bool, typer.Option("--once", help="one pass, then stop")]
              = False,
              executor: Annotated[str | None, typer.Option(
                  help="local or celery: who runs the scheduled rounds and re-tests "
                       "(default: the review_executor setting)")] = None) -> None:
    """The long-running process: scheduled rounds, laggard re-tests, closing reviews, mail."""
    import dataclasses

    from meting.review.retest import check_executor
    from meting.review.scheduler import run_forever, tick

    if executor not in (None, "local", "celery"):
        fail(f"--executor {executor!r}: local or celery")
    with cycle() as c:
        cy = c
        executor = executor or cy.settings.review_executor
        check_executor(dataclasses.replace(cy.settings, review_executor=executor))
        if once:
            for line in tick(cy.store, cy.settings, console, executor=executor):
                console.print(line)
            return
        console.print(f"scheduler running (every {interval:g} s); Ctrl-C stops it")
        run_forever(cy.store, cy.settings, console, interval, executor)


# -- change reports ----------------------------------------------------------------------

def change_report(round_ref: str, fmt: str | None, lang: str, out: str | None,
                  organisation: str | None, umbrella: str | None, asked: bool) -> None:
    """``meting report --round R --changes``: a table, or a file in json, csv or xlsx
    (``fmt``, else the suffix of ``out``)."""
    if fmt is None:
        fmt = Path(out).suffix.lstrip(".").lower() if out and Path(out).suffix else "html"
    from meting.analysis.changes import CHANGES
    from meting.analysis.load import change_report as load_changes
    from meting.report.changes import FORMATS, render_changes
    from meting.report.texts import LANGUAGES, Texts

    if not asked:
        fail("--organisation and --umbrella go with --changes")
    if organisation and umbrella:
        fail("give --organisation or --umbrella, not both")
    if fmt not in (*FORMATS, "html"):
        fail(f"--changes is written as a table or in {', '.join(FORMATS)}, not {fmt}")
    if lang not in LANGUAGES:
        fail(f"unknown language {lang!r}; one of {', '.join(LANGUAGES)}")
    with cycle() as c:
        report = load_changes(c.store, round_ref, organisation, umbrella)
    if fmt in FORMATS:
        path = Path(out or f"changes-{report.round_label}.{fmt}")
        path.write_bytes(render_changes(report, fmt, lang))
        console.print(f"changes written to {path}")
        return
    t = Texts(lang)
    since = report.previous_label or "–"
    table = Table(t("organisation"), t("domain"), t("standard"), t("before"), t("after"),
                  t("change"), title=f"{report.round_label} ← {since}")
    for ch in report.changes:
        table.add_row(ch.organisation, f"{ch.domain} ({t.kind(ch.kind)})", t.column(ch.column),
                      t.status(ch.before) if ch.before else "–", t.status(ch.after),
                      t(f"change_{ch.change}"))
    console.print(table)
    console.print(", ".join(f"{len(report.of(k))} {t(f'change_{k}')}" for k in CHANGES))
