"""The review cycle's services, shared by the command line and the dashboard: each acts
in the store and queues the notices it causes (delivery is ``mailer.deliver_due``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from babel.dates import format_date

from meting.analysis.agreements import laggards
from meting.analysis.load import change_report, find_round, round_results
from meting.analysis.rules import counting_rules
from meting.review import notices
from meting.review.recipients import recipients
from meting.review.retest import RetestRun, retest
from meting.settings import Settings
from meting.store import RoundInfo, Store
from meting.store.review import ReviewStore, said
from meting.store.review_records import ExplanationInfo, ReactionInfo, WindowInfo
from meting.words import Said


class ReviewInputError(Said, ValueError):
    """A request the review services refuse before the store sees it (Dutch and English)."""


@dataclass
class Cycle:
    """The services over one store, with the settings that name relay and dashboard."""

    store: Store
    settings: Settings
    today: dt.date

    @property
    def review(self) -> ReviewStore:
        return ReviewStore(self.store)

    def round(self, ref: str) -> RoundInfo:
        return find_round(self.store, ref)

    def link(self, info: RoundInfo, organisation: str | None = None) -> str:
        """The round's review page in the dashboard (which shows each viewer their own)."""
        return f"{self.settings.dashboard_url.rstrip('/')}/review/{info.id}"

    # windows

    def open(self, ref: str, until: dt.date) -> tuple[WindowInfo, int]:
        """Open the review of a finished round; the window and the mails queued."""
        info = self.round(ref)
        window = self.review.open_window(info.id, until, self.today)
        return window, self.notify_opened(info, window)

    def notify_opened(self, info: RoundInfo, window: WindowInfo) -> int:
        results = round_results(self.store, info, evidence_kinds=())
        report = change_report(self.store, info.id)
        queued = 0
        orgs = self.review.organisations_of_round(info.id)
        for org, _umbrella in orgs:
            for to in recipients(self.review, "organisation", org):
                until = format_date(window.closes_on, format="long", locale=to.lang)
                notice = notices.opened_for_organisation(
                    to.lang, org, results, report.for_organisation(org), until,
                    self.link(info, org))
                queued += notices.queue(self.review, f"opened:{info.id}:organisation:{org}",
                                        "review_opened", to, notice, self.settings.mail_sender)
        behind = laggards(results, counting_rules())
        for umbrella in sorted({u for _, u in orgs if u}):
            for to in recipients(self.review, "umbrella", umbrella):
                until = format_date(window.closes_on, format="long", locale=to.lang)
                notice = notices.opened_for_umbrella(to.lang, umbrella, info.label,
                                                     behind.get(umbrella, []), until,
                                                     self.link(info))
                queued += notices.queue(self.review, f"opened:{info.id}:umbrella:{umbrella}",
                                        "review_opened", to, notice, self.settings.mail_sender)
        return queued

    def close(self, ref: str) -> tuple[WindowInfo, int]:
        """Close the review now: the figures are final; organisations and umbrellas hear."""
        info = self.round(ref)
        window = self.review.close_window(info.id, self.today)
        return window, self.notify_published(info)

    def notify_published(self, info: RoundInfo) -> int:
        orgs = self.review.organisations_of_round(info.id)
        queued = 0
        for scope, names in (("organisation", sorted({o for o, _ in orgs})),
                             ("umbrella", sorted({u for _, u in orgs if u}))):
            for name in names:
                for to in recipients(self.review, scope, name):
                    notice = notices.published(to.lang, name, info.label, self.link(info))
                    queued += notices.queue(self.review, f"published:{info.id}:{scope}:{name}",
                                            "published", to, notice, self.settings.mail_sender)
        return queued

    def close_expired(self) -> list[WindowInfo]:
        """Close every review whose closing date has passed (the scheduler does this)."""
        closed = []
        for window in self.review.windows(self.today):
            if window.closed_at is None and not window.is_open:
                closed.append(self.close(str(window.round_id))[0])
        return closed

    # reactions

    def submit_reaction(self, ref: str, organisation: str, text: str) -> ReactionInfo:
        if not text.strip():
            raise ReviewInputError(said("reaction_needs_text"))
        return self.review.submit_reaction(self.round(ref).id, organisation, text.strip(),
                                           self.today)

    def decide_reaction(self, ref: str, organisation: str, approve: bool,
                        note: str | None = None) -> ReactionInfo:
        info = self.round(ref)
        decided = self.review.decide_reaction(info.id, organisation, approve, note)
        for to in recipients(self.review, "organisation", organisation):
            notice = notices.reaction_decided(to.lang, organisation, info.label, approve,
                                              decided.text, note, self.link(info, organisation))
            stamp = decided.decided_at.isoformat() if decided.decided_at else ""
            notices.queue(self.review, f"reaction:{info.id}:{organisation}:{stamp}",
                          "reaction_decided", to, notice, self.settings.mail_sender)
        return decided

    # explanations

    def submit_explanation(self, ref: str, domain: str, kind: str, column: str, reason: str,
                           expires_on: dt.date) -> ExplanationInfo:
        if not reason.strip():
            raise ReviewInputError(said("explanation_needs_reason"))
        return self.review.submit_explanation(self.round(ref).id, domain, kind, column,
                                              reason.strip(), expires_on, self.today)

    def decide_explanation(self, explanation_id: int, accept: bool,
                           note: str | None = None) -> ExplanationInfo:
        decided = self.review.decide_explanation(explanation_id, accept, note)
        info = self.round(decided.round_label)
        for to in recipients(self.review, "organisation", decided.organisation):
            until = format_date(decided.expires_on, format="long", locale=to.lang)
            notice = notices.explanation_decided(
                to.lang, decided.organisation, decided.domain, decided.kind, decided.column,
                accept, decided.reason, until, note, self.link(info, decided.organisation))
            stamp = decided.decided_at.isoformat() if decided.decided_at else ""
            notices.queue(self.review, f"explanation:{decided.id}:{stamp}",
                          "explanation_decided", to, notice, self.settings.mail_sender)
        return decided

    # re-tests

    def retest(self, ref: str, domain: str, requested_by: str,
               kinds: tuple[str, ...] = ("web", "mail"), in_review: bool = True) -> RetestRun:
        info = self.round(ref)
        run = retest(self.review, info.id, domain, requested_by, self.settings, self.today,
                     kinds, in_review)
        if run.retests and in_review:
            self.notify_retest(info, domain, run)
        return run

    def notify_retest(self, info: RoundInfo, domain: str, run: RetestRun) -> None:
        organisation = run.retests[0].organisation
        after = {(r.kind, c): s for r in run.retests for c, s in r.columns.items()}
        ids = "-".join(str(r.id) for r in run.retests)
        for to in recipients(self.review, "organisation", organisation):
            notice = notices.retest_done(to.lang, organisation, info.label, domain,
                                         run.before, after, self.link(info, organisation))
            notices.queue(self.review, f"retest:{ids}", "retest_done", to, notice,
                          self.settings.mail_sender)
