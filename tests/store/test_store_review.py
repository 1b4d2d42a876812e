"""The review cycle in the store: windows, reactions, explanations, re-tests, mails and
schedules, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from rich.console import Console

from meting.review.recipients import Addressee, recipients
from meting.settings import Settings
from meting.store import RoundInfo, Store, StoreError
from meting.store.records import Refusal
from meting.store.review import ReviewStore
from meting.web.accounts import Accounts
from tests.store.helpers import entry, evidence, judged

TODAY = dt.date(2026, 11, 30)
LIMIT = (3, dt.timedelta(hours=24))


def finished_round(store: Store, label: str = "2026-11", day: dt.date = TODAY,
                   hsts: str = "failed") -> int:
    round_id = store.create_round("kerndomeinen", "current", label, day)
    store.plan_round(round_id)
    for test in store.pending_tests(round_id):
        columns = {"hsts": hsts, "dnssec": "passed"} if test.kind == "web" else \
            {"dmarc": "passed"}
        store.save_result(test.test_id, evidence(test.kind, test.target), judged(columns))
    store.set_round_state(round_id, "running")
    store.set_round_state(round_id, "finished")
    return round_id


@pytest.fixture
def review(store: Store) -> ReviewStore:
    store.import_entries([entry("voorbeeld.nl"), entry("ander.nl", "Gemeente Ander"),
                          entry("buiten.nl", "Gemeente Buiten", sets=("overig",))])
    return ReviewStore(store)


def test_a_review_opens_once_on_a_finished_round_and_closes_once(
        store: Store, review: ReviewStore) -> None:
    planned = store.create_round("kerndomeinen", "current", "open", TODAY)
    with pytest.raises(StoreError, match="only a finished round can be reviewed"):
        review.open_window(planned, TODAY + dt.timedelta(days=9), TODAY)
    round_id = finished_round(store)
    with pytest.raises(StoreError, match="has passed"):
        review.open_window(round_id, TODAY - dt.timedelta(days=1), TODAY)
    window = review.open_window(round_id, TODAY + dt.timedelta(days=14), TODAY)
    assert window.is_open and window.closes_on == dt.date(2026, 12, 14)
    with pytest.raises(StoreError, match="already open until 14 December 2026") as refused:
        review.open_window(round_id, TODAY + dt.timedelta(days=20), TODAY)
    assert isinstance(refused.value, Refusal) and refused.value.text("nl") == (
        "de reactieperiode van meting 2026-11 is al open, tot en met 14 december 2026")
    assert not review.window(round_id, dt.date(2026, 12, 15)).is_open  # type: ignore[union-attr]
    closed = review.close_window(round_id, TODAY)
    assert not closed.is_open and closed.closed_at is not None
    assert closed.closing_moment == closed.closed_at
    with pytest.raises(StoreError, match="was closed on"):
        review.close_window(round_id, TODAY)


def test_a_reaction_counts_only_once_the_coordinator_approves_it(
        store: Store, review: ReviewStore) -> None:
    round_id = finished_round(store)
    with pytest.raises(StoreError, match="has not been opened"):
        review.submit_reaction(round_id, "Gemeente Ander", "tekst", TODAY)
    review.open_window(round_id, TODAY + dt.timedelta(days=14), TODAY)
    with pytest.raises(StoreError, match="has no domains in round"):
        review.submit_reaction(round_id, "Gemeente Buiten", "tekst", TODAY)
    review.submit_reaction(round_id, "Gemeente Ander", "eerste tekst", TODAY)
    assert store.reactions(round_id) == {}  # no asterisk yet
    returned = review.decide_reaction(round_id, "Gemeente Ander", False, "te lang")
    assert (returned.state, returned.note) == ("returned", "te lang")
    review.submit_reaction(round_id, "Gemeente Ander", "tweede tekst", TODAY)
    review.decide_reaction(round_id, "Gemeente Ander", True)
    assert store.reactions(round_id) == {"Gemeente Ander": "tweede tekst"}
    assert {r.domain: r.reaction for r in store.results(round_id, "web")} == {
        "ander.nl": True, "voorbeeld.nl": False}
    with pytest.raises(StoreError, match="already approved"):
        review.submit_reaction(round_id, "Gemeente Ander", "derde", TODAY)
    with pytest.raises(StoreError, match="already approved"):
        review.decide_reaction(round_id, "Gemeente Ander", True)


def test_an_explanation_names_a_measured_column_and_holds_until_it_expires(
        store: Store, review: ReviewStore) -> None:
    round_id = finished_round(store)
    review.open_window(round_id, TODAY + dt.timedelta(days=14), TODAY)
    expiry = dt.date(2027, 5, 31)
    with pytest.raises(StoreError, match="has no column 'dane'"):
        review.submit_explanation(round_id, "ander.nl", "web", "dane", "r", expiry, TODAY)
    with pytest.raises(StoreError, match="must be after today"):
        review.submit_explanation(round_id, "ander.nl", "web", "hsts", "r", TODAY, TODAY)
    with pytest.raises(StoreError, match=r"no web result for buiten\.nl"):
        review.submit_explanation(round_id, "buiten.nl", "web", "hsts", "r", expiry, TODAY)
    given = review.submit_explanation(round_id, "ander.nl", "web", "hsts", "portaal",
                                      expiry, TODAY)
    assert review.explanations_valid_for(round_id) == []  # not accepted yet
    review.decide_explanation(given.id, True)
    with pytest.raises(StoreError, match="already accepted"):
        review.decide_explanation(given.id, False)
    spring = finished_round(store, "2027-03", dt.date(2027, 3, 1))
    autumn = finished_round(store, "2027-09", dt.date(2027, 9, 1))
    assert [e.domain for e in review.explanations_valid_for(round_id)] == ["ander.nl"]
    assert [e.domain for e in review.explanations_valid_for(spring)] == ["ander.nl"]
    assert review.explanations_valid_for(autumn) == []  # expired by then


def test_retests_only_of_the_rounds_domains_while_open_and_within_the_limit(
        store: Store, review: ReviewStore) -> None:
    round_id = finished_round(store)
    with pytest.raises(StoreError, match="has not been opened"):
        review.plan_retests(round_id, "ander.nl", "Gemeente Ander", TODAY, LIMIT)
    review.open_window(round_id, TODAY + dt.timedelta(days=14), TODAY)
    with pytest.raises(StoreError, match=r"buiten\.nl is not in round 2026-11"):
        review.plan_retests(round_id, "buiten.nl", "Gemeente Buiten", TODAY, LIMIT)
    planned = review.plan_retests(round_id, "ander.nl", "Gemeente Ander", TODAY, LIMIT)
    assert sorted(p.kind for p in planned) == ["mail", "web"]
    with pytest.raises(StoreError, match="asked 2 re-tests in the last 24 hours; at most 3"):
        review.plan_retests(round_id, "ander.nl", "coordinator", TODAY, LIMIT)
    one = review.plan_retests(round_id, "ander.nl", "x", TODAY, LIMIT, kinds=("web",))
    web = next(p for p in planned if p.kind == "web")
    stored = evidence("web", web.target, "a re-test")
    assert review.save_retest(web.test_id, stored, judged({"hsts": "passed"}), 1)
    assert not review.save_retest(web.test_id, evidence("web", web.target),
                                  judged({"hsts": "failed"}), 1)  # once
    done = review.retests(round_id)
    assert [(r.domain, r.kind, r.columns) for r in done] == [
        ("ander.nl", "web", {"hsts": "passed"})]
    assert review.retest_evidence(web.test_id) == stored
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    assert {p.test_id for p in review.pending_retests(later)} == {
        p.test_id for p in [*planned, *one] if p.test_id != web.test_id}
    # the original result is untouched, beside the re-test
    original = next(r for r in store.results(round_id, "web") if r.domain == "ander.nl")
    assert original.columns["hsts"] == "failed"
    review.close_window(round_id, TODAY)
    with pytest.raises(StoreError, match="closed on"):
        review.plan_retests(round_id, "ander.nl", "Gemeente Ander", TODAY, None)


def test_a_mail_is_queued_once_and_a_stopped_delivery_is_never_repeated(
        review: ReviewStore) -> None:
    def queue(key: str) -> bool:
        return review.queue_mail(key, "review_opened", "a@ander.nl", "nl", "onderwerp", "tekst",
                                 "<p>tekst</p>", "<1@x>")

    assert queue("opened:1:a@ander.nl") and not queue("opened:1:a@ander.nl")
    assert queue("opened:1:b@ander.nl")
    now = dt.datetime.now(dt.UTC)
    first = review.claim_mail(now, 5)
    assert first is not None and first.state == "sending" and first.attempts == 1
    # a process stops here, while speaking to the relay: the mail may have gone out
    second = review.claim_mail(now, 5)
    assert second is not None and second.id != first.id
    review.mail_failed(second.id, "SMTP 451: try later", now + dt.timedelta(minutes=5))
    assert review.claim_mail(now + dt.timedelta(minutes=1), 5) is None  # not due yet
    assert review.mark_interrupted_mails(now + dt.timedelta(minutes=10)) == 1
    again = review.claim_mail(now + dt.timedelta(minutes=6), 5)
    assert again is not None and again.id == second.id and again.attempts == 2
    review.mail_sent(again.id)
    states = {m.id: (m.state, m.last_error) for m in review.mails()}
    assert states[first.id][0] == "uncertain" and states[second.id] == ("sent", None)
    assert review.claim_mail(now + dt.timedelta(days=1), 5) is None  # nothing sent twice
    review.resend_mail(first.id)  # the coordinator's decision
    assert review.claim_mail(now + dt.timedelta(days=1), 5) is not None
    with pytest.raises(StoreError, match="was delivered"):
        review.resend_mail(second.id)


def test_a_missed_schedule_starts_one_round_when_the_scheduler_is_back(
        store: Store, review: ReviewStore, tmp_path: Path) -> None:
    from meting.review import scheduler

    schedule = review.add_schedule("kerndomeinen", "0 2 1 * *", "%Y-%m", False)
    ran: list[str] = []

    def runner(store: Store, console: Console, info: RoundInfo, settings: Settings,
               executor: str) -> RoundInfo:
        ran.append(info.label)  # stands in for probing: every test gets its statuses
        for test in store.pending_tests(info.id):
            store.save_result(test.test_id, evidence(test.kind, test.target),
                              judged({"hsts": "passed"}))
        store.set_round_state(info.id, "running")
        store.set_round_state(info.id, "finished")
        return store.round(info.id)

    settings = Settings(database=str(store.engine.url), smtp_host="")
    console = Console(file=open(tmp_path / "out.txt", "w"))  # noqa: SIM115
    created = schedule.created_at

    def at(days: float) -> dt.datetime:
        return created + dt.timedelta(days=days)

    assert scheduler.tick(store, settings, console, lambda: at(0.0005), runner=runner) == []
    # down for four months: four first-of-the-month times missed, one round
    done = scheduler.tick(store, settings, console, lambda: at(125), runner=runner)
    assert len(ran) == 1 and len(done) == 1
    due = review.schedules()[0].last_due
    assert due is not None and due.day == 1 and due.hour == 2 and due <= at(125)
    assert ran == [due.strftime("%Y-%m")]
    assert scheduler.tick(store, settings, console, lambda: at(125.01), runner=runner) == []
    assert len(ran) == 1
    assert store.round_by_label(ran[0]).state == "finished"
    with pytest.raises(StoreError, match="no domain set 'geen'"):
        review.add_schedule("geen", "0 2 1 * *", None, False)


def test_an_organisations_and_an_umbrellas_mail_goes_to_their_accounts_once(
        store: Store, review: ReviewStore) -> None:
    accounts = Accounts(store)
    accounts.add("Beheer@Voorbeeld.nl", "organisation", ["Gemeente Voorbeeld"])
    accounts.add("it@provider.nl", "organisation", ["Gemeente Voorbeeld", "Gemeente Ander"])
    accounts.add("vng@vng.nl", "umbrella", umbrella="VNG")
    accounts.add("coordinator@meting.nl", "coordinator")
    review.add_recipient("organisation", "Gemeente Voorbeeld", "it@provider.nl", "en")

    assert recipients(review, "organisation", "Gemeente Voorbeeld") == [
        Addressee("beheer@voorbeeld.nl", "nl"), Addressee("it@provider.nl", "en")]
    assert recipients(review, "organisation", "Gemeente Ander") == [
        Addressee("it@provider.nl", "nl")]
    assert recipients(review, "organisation", "Gemeente Buiten") == []
    assert recipients(review, "umbrella", "VNG") == [Addressee("vng@vng.nl", "nl")]
    assert recipients(review, "umbrella", "IPO") == []


def test_an_accounts_mails_are_in_the_language_it_chose(store: Store,
                                                       review: ReviewStore) -> None:
    accounts = Accounts(store)
    accounts.add("beheer@voorbeeld.nl", "organisation", ["Gemeente Voorbeeld"])
    accounts.add("cio@voorbeeld.nl", "organisation", ["Gemeente Voorbeeld"])
    accounts.add("vng@vng.nl", "umbrella", umbrella="VNG")
    accounts.set_language("cio@voorbeeld.nl", "en")
    accounts.set_language("vng@vng.nl", "en")
    assert recipients(review, "organisation", "Gemeente Voorbeeld") == [
        Addressee("beheer@voorbeeld.nl", "nl"), Addressee("cio@voorbeeld.nl", "en")]
    assert recipients(review, "umbrella", "VNG") == [Addressee("vng@vng.nl", "en")]
    accounts.set_language("vng@vng.nl", "nl")  # switched back
    assert recipients(review, "umbrella", "VNG") == [Addressee("vng@vng.nl", "nl")]
    with pytest.raises(StoreError, match="language 'de'"):
        accounts.set_language("vng@vng.nl", "de")
    with pytest.raises(StoreError):
        accounts.set_language("niemand@vng.nl", "en")


def test_accounts_made_before_the_language_column_read_dutch(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine, text

    from meting.store import migrate

    url = f"sqlite:///{tmp_path / 'oud.db'}"
    engine = create_engine(url)
    with engine.connect() as connection:
        command.upgrade(migrate.config(connection), "15a")
        connection.execute(text(
            "INSERT INTO users (email, role, must_change_password, created_at) "
            "VALUES ('oud@voorbeeld.nl', 'coordinator', 0, '2026-01-01 00:00:00')"))
        connection.commit()
    engine.dispose()
    with Store.open(url) as store, store.engine.connect() as connection:
        assert connection.execute(text("SELECT lang FROM users")).scalar_one() == "nl"
