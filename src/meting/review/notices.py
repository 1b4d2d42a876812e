"""What the review cycle's mails say: one ``Notice`` per event and recipient, in the
recipient's language, rendered as plain text and HTML and queued once (by key)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import make_msgid
from functools import cache
from importlib import resources
from typing import Any

import jinja2
import yaml

from meting.analysis.agreements import LaggardOrganisation, advice_for
from meting.analysis.changes import ChangeReport
from meting.analysis.model import RoundResults
from meting.analysis.rules import counting_rules, streefbeeld
from meting.report.texts import Texts
from meting.review.recipients import Addressee
from meting.store.review import ReviewStore


@dataclass(frozen=True)
class Section:
    title: str
    lines: list[str]


@dataclass(frozen=True)
class Notice:
    subject: str
    greeting: str
    paragraphs: list[str]
    sections: list[Section] = field(default_factory=list)
    link: str = ""


@cache
def _words() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((resources.files("meting.review")
                                           / "data/mail-texts.yaml").read_text("utf-8"))
    words: dict[str, Any] = data["text"]
    return words


def say(lang: str, key: str, **values: Any) -> str:
    return str(_words()[key][lang]).format(**values)


@cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("meting.review", "templates"),
                              autoescape=jinja2.select_autoescape(["html.j2"]),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def render(notice: Notice, lang: str) -> tuple[str, str]:
    """Plain text and HTML of a notice."""
    values = {"n": notice, "closing": say(lang, "closing"), "link_text": say(lang, "link"),
              "automatic": say(lang, "automatic"), "lang": lang}
    return (_templates().get_template("mail.txt.j2").render(values),
            _templates().get_template("mail.html.j2").render(values))


def queue(review: ReviewStore, key: str, event: str, to: Addressee, notice: Notice,
          sender: str) -> bool:
    """Queue the notice for one recipient, once: False when its key was queued before."""
    text, html = render(notice, to.lang)
    domain = sender.rpartition("@")[2] or "localhost"
    return review.queue_mail(f"{key}:{to.address.lower()}", event, to.address, to.lang,
                             notice.subject, text, html, make_msgid(domain=domain))


# -- the events --------------------------------------------------------------------------

def opened_for_organisation(lang: str, organisation: str, results: RoundResults,
                            report: ChangeReport, until: str, link: str) -> Notice:
    sections = [Section(say(lang, "results"), result_lines(lang, organisation, results)),
                change_section(lang, report)]
    return Notice(
        subject=say(lang, "opened_subject", round=results.label, until=until),
        greeting=say(lang, "greeting", name=organisation),
        paragraphs=[say(lang, "opened_intro", round=results.label, name=organisation,
                        until=until)], sections=sections, link=link)


def opened_for_umbrella(lang: str, umbrella: str, label: str,
                        laggards: Sequence[LaggardOrganisation], until: str,
                        link: str) -> Notice:
    t = Texts(lang)
    lines, todo = [], {}
    for org in laggards:
        for d in org.domains:
            misses = ", ".join(f"{t.kind(m.kind)} {t.column(m.column)}" for m in d.misses)
            lines.append(f"{org.organisation} — {d.domain}: {misses}")
            for m in d.misses:
                todo[f"{t.kind(m.kind)} {t.column(m.column)}"] = advice_for(m.kind, m.column,
                                                                            lang)
    intro = say(lang, "umbrella_intro", round=label, name=umbrella, until=until)
    if not lines:
        intro += " " + say(lang, "umbrella_none", name=umbrella)
    sections = [Section(say(lang, "laggards"), lines),
                Section(say(lang, "what_to_do"), [f"{k}: {v}" for k, v in todo.items()])]
    return Notice(subject=say(lang, "umbrella_subject", round=label, name=umbrella),
                  greeting=say(lang, "greeting", name=umbrella), paragraphs=[intro],
                  sections=[s for s in sections if s.lines], link=link)


def retest_done(lang: str, organisation: str, label: str, domain: str,
                before: dict[tuple[str, str], str], after: dict[tuple[str, str], str],
                link: str) -> Notice:
    t = Texts(lang)
    changed = [f"{t.kind(kind)} {t.column(column)}: {t.status(before.get((kind, column), ''))}"
               f" → {t.status(status)}" for (kind, column), status in after.items()
               if before.get((kind, column)) != status]
    paragraphs = [say(lang, "retest_intro", domain=domain, round=label)]
    if not changed:
        paragraphs.append(say(lang, "retest_same"))
    return Notice(subject=say(lang, "retest_subject", domain=domain, round=label),
                  greeting=say(lang, "greeting", name=organisation), paragraphs=paragraphs,
                  sections=[Section(say(lang, "retest_changed"), changed)] if changed else [],
                  link=link)


def reaction_decided(lang: str, organisation: str, label: str, approved: bool, text: str,
                     note: str | None, link: str) -> Notice:
    which = "reaction_approved" if approved else "reaction_returned"
    paragraphs = [say(lang, which)] + ([say(lang, "note", note=note)] if note else [])
    return Notice(subject=say(lang, f"{which}_subject", round=label),
                  greeting=say(lang, "greeting", name=organisation), paragraphs=paragraphs,
                  sections=[Section(say(lang, "your_text"), [text])], link=link)


def explanation_decided(lang: str, organisation: str, domain: str, kind: str, column: str,
                        accepted: bool, reason: str, until: str, note: str | None,
                        link: str) -> Notice:
    t = Texts(lang)
    which = "explanation_accepted" if accepted else "explanation_rejected"
    name = f"{t.kind(kind)} {t.column(column)}"
    paragraphs = [say(lang, which, until=until)] + ([say(lang, "note", note=note)]
                                                     if note else [])
    return Notice(subject=say(lang, f"{which}_subject", domain=domain, column=name),
                  greeting=say(lang, "greeting", name=organisation), paragraphs=paragraphs,
                  sections=[Section(say(lang, "your_text"), [reason])], link=link)


def published(lang: str, name: str, label: str, link: str) -> Notice:
    return Notice(subject=say(lang, "published_subject", round=label),
                  greeting=say(lang, "greeting", name=name),
                  paragraphs=[say(lang, "published_intro", round=label)], link=link)


# -- parts --------------------------------------------------------------------------------

def result_lines(lang: str, organisation: str, results: RoundResults) -> list[str]:
    t, rules = Texts(lang), counting_rules()
    lines = []
    for row in sorted((r for r in results.rows if r.organisation == organisation),
                      key=lambda r: (r.domain, r.kind)):
        missing = [t.column(c.column) for c in streefbeeld(row.kind)
                   if rules.classify(row.columns.get(c.column)) == "not_compliant"]
        verdict = say(lang, "misses", columns=", ".join(missing)) if missing else \
            say(lang, "all_met")
        lines.append(f"{row.domain} ({t.kind(row.kind)}): {verdict}")
    return lines


def change_section(lang: str, report: ChangeReport) -> Section:
    t = Texts(lang)
    if report.previous_label is None:
        return Section(say(lang, "changes", round="–"), [say(lang, "no_previous")])
    lines = [f"{say(lang, c.change)}: {c.domain} {t.kind(c.kind)} {t.column(c.column)} "
             f"({t.status(c.before) if c.before else '–'} → {t.status(c.after)})"
             for c in report.changes if c.change in ("improved", "regressed")]
    return Section(say(lang, "changes", round=report.previous_label),
                   lines or [say(lang, "no_changes")])
