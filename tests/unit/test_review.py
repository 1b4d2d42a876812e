"""The review cycle's pure parts: cron, the counting rules' review choices, change reports,
mail texts; and delivery that fails on a refused connection and is retried later."""

from __future__ import annotations

import dataclasses
import datetime as dt
import socket
from importlib.resources import files
from pathlib import Path

import pytest
import yaml

from meting.analysis.changes import changes
from meting.analysis.figures import round_figures
from meting.analysis.model import DomainResult, RoundResults
from meting.analysis.review import AcceptedExplanation, RetestColumns, apply_review
from meting.analysis.rules import ReviewRules, counting_rules, rules_from_data
from meting.review import notices
from meting.review.cron import Cron, CronError
from meting.review.mailer import deliver_due
from meting.settings import Settings
from meting.store import Store
from meting.store.review import ReviewStore

UTC = dt.UTC


def test_cron_fields_lists_ranges_and_steps() -> None:
    cron = Cron.parse("0 2 1 3,9 *")
    assert cron.latest(dt.datetime(2026, 11, 30, 12, tzinfo=UTC)) == dt.datetime(
        2026, 9, 1, 2, tzinfo=UTC)
    assert cron.latest(dt.datetime(2026, 3, 1, 1, 59, tzinfo=UTC)) == dt.datetime(
        2025, 9, 1, 2, tzinfo=UTC)
    every = Cron.parse("*/15 8-9 * * 1-5")  # weekdays, quarter hours
    assert every.latest(dt.datetime(2026, 11, 29, 12, tzinfo=UTC)) == dt.datetime(
        2026, 11, 27, 9, 45, tzinfo=UTC)  # Sunday: back to Friday
    either = Cron.parse("0 0 13 * 5")  # the 13th or a Friday, as cron has it
    assert either.day_matches(dt.date(2026, 11, 13)) and either.day_matches(
        dt.date(2026, 11, 20)) and not either.day_matches(dt.date(2026, 11, 21))
    for bad in ("0 2 1 3,9", "61 * * * *", "a * * * *", "0 0 0 * *", "*/0 * * * *"):
        with pytest.raises(CronError):
            Cron.parse(bad)


def test_missed_times_give_one_due_time_the_latest() -> None:
    cron = Cron.parse("0 2 1 * *")
    last = dt.datetime(2026, 1, 1, 2, tzinfo=UTC)
    assert cron.due(last, dt.datetime(2026, 5, 20, tzinfo=UTC)) == dt.datetime(
        2026, 5, 1, 2, tzinfo=UTC)
    assert cron.due(dt.datetime(2026, 5, 1, 2, tzinfo=UTC),
                    dt.datetime(2026, 5, 20, tzinfo=UTC)) is None


def results(*rows: DomainResult) -> RoundResults:
    return RoundResults("2026-11", "2026-11", dt.date(2026, 11, 1), "kern", "current", rows)


def row(domain: str, organisation: str, hsts: str, umbrella: str = "VNG",
        dnssec: str = "passed") -> DomainResult:
    return DomainResult(domain, organisation, "gemeente", umbrella, "web",
                        {"hsts": hsts, "dnssec": dnssec})


ROUND = results(row("a.nl", "A", "failed"), row("b.nl", "B", "failed"),
                row("c.nl", "C", "passed"))
RETEST = [RetestColumns("a.nl", "web", {"hsts": "passed", "dnssec": "passed"},
                        {"hsts": {"nl": "HSTS een jaar", "en": "HSTS a year"}})]
EXPLAINED = [AcceptedExplanation("b.nl", "web", "hsts", "portaal wordt vervangen")]


def hsts(found: RoundResults) -> tuple[int, int]:
    tally = round_figures(found).kinds["web"].adoption["all"]["hsts"]
    return tally.compliant, tally.counted


def test_default_rules_use_retests_and_show_explanations_without_changing_figures() -> None:
    rules = counting_rules().review
    assert (rules.use_retests, rules.explanations_change_figures) == (True, False)
    counted = apply_review(ROUND, RETEST, EXPLAINED, rules)
    assert hsts(ROUND) == (1, 3) and hsts(counted) == (2, 3)
    a, b, _ = counted.rows
    assert a.retested and a.columns["hsts"] == "passed" and a.details["hsts"].en == "HSTS a year"
    assert b.explained == {"hsts": "portaal wordt vervangen"} and b.columns["hsts"] == "failed"
    assert counted.review is not None and counted.review.to_json() == {
        "retests": {"rule": "hertests-voor-sluiting", "done": 1, "used": 1},
        "explanations": {"rule": "uitleg-telt-niet", "accepted": 1, "counted": 0}}


def test_the_other_choices_of_the_rules_change_the_figures_the_other_way() -> None:
    rules = ReviewRules(use_retests=False, explanations_change_figures=True)
    counted = apply_review(ROUND, RETEST, EXPLAINED, rules)
    assert hsts(counted) == (1, 2)  # a.nl stays failed; b.nl is left out (not applicable)
    assert not counted.rows[0].retested
    assert counted.review is not None and counted.review.to_json()["retests"] == {
        "rule": "hertests-voor-sluiting", "done": 1, "used": 0}
    assert counted.review.explanations_counted == 1


def test_changes_per_domain_and_column_since_the_previous_round() -> None:
    before = dataclasses.replace(results(row("a.nl", "A", "passed"), row("b.nl", "B", "failed"),
                                         row("d.nl", "D", "failed", "IPO")), label="2026-03")
    now = results(row("a.nl", "A", "failed"), row("b.nl", "B", "passed", dnssec="error"),
                  row("c.nl", "C", "passed"), row("d.nl", "D", "failed", "IPO"))
    report = changes(now, before, counting_rules())
    found = {(c.domain, c.column): c.change for c in report.changes}
    assert found == {("a.nl", "hsts"): "regressed", ("b.nl", "hsts"): "improved",
                     ("c.nl", "dnssec"): "new", ("c.nl", "hsts"): "new"}
    assert report.previous_label == "2026-03"
    assert [c.domain for c in changes(now, before, counting_rules(), umbrella="IPO").changes
            ] == []
    first = changes(now, None, counting_rules(), organisation="A")
    assert {c.change for c in first.changes} == {"new"} and first.previous_label is None


def test_mail_texts_are_dutch_or_english_and_the_html_is_escaped() -> None:
    report = changes(ROUND, None, counting_rules())
    hostile = "Gemeente <script>alert(1)</script>"
    for lang, words in (("nl", ("Beste", "voldoet niet aan: HSTS", "Uw resultaten")),
                        ("en", ("Dear", "does not meet: HSTS", "Your results"))):
        notice = notices.opened_for_organisation(lang, "A", ROUND, report.for_organisation("A"),
                                                 "14 december 2026", "https://d/review/x")
        text, html = notices.render(notice, lang)
        assert all(w in text for w in words), text
        assert "a.nl" in text and "b.nl" not in text and "https://d/review/x" in html
    evil = notices.reaction_decided("nl", hostile, "2026-11", True, "<b>tekst</b>", None, "")
    _, html = notices.render(evil, "nl")
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;tekst" in html


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when we return: connections refused


def test_a_refused_delivery_is_recorded_and_tried_again_later(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'm.db'}") as store:
        review = ReviewStore(store)
        review.queue_mail("k:a@b.nl", "published", "a@b.nl", "nl", "s", "t", "<p>t</p>", "<m@b>")
        settings = Settings(smtp_host="127.0.0.1", smtp_port=closed_port(),
                            smtp_security="none", mail_sender="meting@b.nl")
        t0 = dt.datetime.now(UTC)
        first = deliver_due(review, settings, now=lambda: t0)
        assert (first.sent, first.failed) == (0, 1)
        [mail] = review.mails()
        assert mail.state == "failed" and "Connection refused" in (mail.last_error or "")
        assert deliver_due(review, settings, now=lambda: t0 + dt.timedelta(seconds=30)).failed == 0
        later = deliver_due(review, settings, now=lambda: t0 + dt.timedelta(minutes=2))
        assert later.failed == 1 and review.mails()[0].attempts == 2


def test_the_relay_password_is_never_shown_and_never_sent_in_the_clear() -> None:
    from meting.review.mailer import MailSettingsError, check

    settings = Settings(smtp_host="relay", smtp_user="meting", smtp_password="geheim-123",
                        smtp_security="none", mail_sender="meting@b.nl")
    assert "geheim-123" not in repr(settings) and "geheim-123" not in str(settings)
    with pytest.raises(MailSettingsError, match="unencrypted"):
        check(settings)
    check(dataclasses.replace(settings, smtp_security="starttls"))
    with pytest.raises(MailSettingsError, match="smtp_ca_file"):
        check(dataclasses.replace(settings, smtp_security="tls", smtp_ca_file="/geen/ca.pem"))


def test_a_retest_without_a_result_leaves_the_measured_column_standing() -> None:
    unanswered = [RetestColumns("a.nl", "web", {"hsts": "error", "dnssec": "not_testable"}, {}),
                  RetestColumns("b.nl", "web", {"hsts": "unreachable", "dnssec": "passed"},
                                {"dnssec": {"nl": "ondertekend", "en": "signed"}})]
    counted = apply_review(ROUND, unanswered, [], counting_rules().review)
    a, b, _ = counted.rows
    assert hsts(counted) == hsts(ROUND) == (1, 3)  # the failures still count
    assert not a.retested and a.columns == ROUND.rows[0].columns
    assert b.retested and b.columns == {"hsts": "failed", "dnssec": "passed"}
    assert b.details["dnssec"].nl == "ondertekend" and "hsts" not in b.details
    assert counted.review is not None and counted.review.to_json()["retests"] == {
        "rule": "hertests-voor-sluiting", "done": 2, "used": 1}


def test_the_statuses_a_retest_cannot_replace_with_must_be_statuses() -> None:
    raw = yaml.safe_load(files("meting.analysis").joinpath(
        "data/counting-rules.yaml").read_text())
    raw["review"]["retests"]["keep_measured_when"] = ["error", "kapot"]
    with pytest.raises(ValueError, match="keep_measured_when"):
        rules_from_data(raw)
