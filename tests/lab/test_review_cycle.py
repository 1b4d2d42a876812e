"""The whole review cycle in the lab: a round over lab domains, its review opened with mails
to the organisations and their umbrella (a restart halfway sends nothing twice), an owner's
fix of one web server and a re-test that confirms it, an explanation and a reaction decided,
the report's figures under the counting rules, the review closed, change reports.

Every `meting` command runs in the scanner namespace, as a user would run it, and mails go
through the lab's mail relay into its mailbox (meting.lab.mailbox)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from meting.lab import mailbox, netns
from meting.registry.lists import read_list
from meting.store import ImportedStatuses, Store
from meting.store.review import ReviewStore
from tests.lab.conftest import Lab
from tests.lab.test_run import scanner_env

pytestmark = pytest.mark.lab

LABEL = "2026-najaar"
GEMEENTE, PROVINCIE, PERFECT = "Gemeente Zonder HSTS", "Provincie Halfjaar", "Gemeente Perfect"
ADDRESSES = {GEMEENTE: "info@geen-hsts.nl", PROVINCIE: "secretariaat@hsts-halfjaar.nl",
             PERFECT: "cio@perfect.nl", "VNG": "koepel@vng.nl"}
REGISTRY = [(GEMEENTE, "gemeente", "geen-hsts.nl", "VNG"),
            (PERFECT, "gemeente", "perfect.nl", "VNG"),
            (PROVINCIE, "provincie", "hsts-halfjaar.nl", "IPO")]
# Unique per run: the lab's mailbox may hold mails of earlier runs.
SENDER = f"meting-{uuid.uuid4().hex[:8]}@coordinatie.lab.invalid"
ONE_YEAR = 'add_header Strict-Transport-Security "max-age=31536000" always;'


@pytest.fixture(scope="module")
def cycle_db(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three organisations of two umbrellas, a March round imported as measured elsewhere,
    recipients for each, and the November round run over the lab."""
    folder = tmp_path_factory.mktemp("review")
    os.chmod(folder, 0o755)
    listed = folder / "registry.csv"
    with listed.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["organisation", "category", "domain", "umbrella", "sets"])
        writer.writerows([[org, cat, dom, umb, "review"] for org, cat, dom, umb in REGISTRY])
    db = folder / "review.db"
    entries = read_list(listed)
    assert entries.ok, entries.errors
    with Store.open(f"sqlite:///{db}") as store:
        store.import_entries(entries.entries)
        march = store.create_round("review", "2021", "2026-voorjaar", dt.date(2026, 3, 1))
        store.import_statuses(march, "web", [
            ImportedStatuses("perfect.nl", {"dnssec": "passed", "hsts": "failed"}),
            ImportedStatuses("hsts-halfjaar.nl", {"dnssec": "passed", "hsts": "passed"})])
        store.set_round_state(march, "running")
        store.set_round_state(march, "finished")
    for name, address in ADDRESSES.items():
        scope = "--umbrella" if name == "VNG" else "--organisation"
        lang = ["--lang", "en"] if name == PROVINCIE else []
        done = meting(lab, db, "recipient", "add", address, scope, name, *lang)
        assert done.returncode == 0, done.stderr
    done = meting(lab, db, "run", "--set", "review", "--label", LABEL, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return db


def settings(lab: Lab, **extra: Any) -> dict[str, Any]:
    return {"SMTP_HOST": lab.info["mail_relay"], "SMTP_SECURITY": "none",
            "MAIL_SENDER": SENDER,
            "DASHBOARD_URL": "https://dashboard.lab.invalid", **extra}


def argv(lab: Lab, db: Path, *args: str, **extra: Any) -> list[str]:
    command = ["env", *scanner_env(lab, db, **settings(lab, **extra)), sys.executable, "-m",
               "meting.cli", *args]
    return netns.exec_argv(lab.scan, command)


def meting(lab: Lab, db: Path, *args: str, timeout: float = 120,
           **extra: Any) -> subprocess.CompletedProcess[str]:
    """`meting ARGS` in the scanner namespace, with the lab's relay as SMTP relay."""
    return subprocess.run(argv(lab, db, *args, **extra), capture_output=True, text=True,
                          timeout=timeout, check=False, env={**os.environ, "COLUMNS": "200"})


def state(lab: Lab) -> Path:
    return Path(os.environ["METING_LAB_DIR"])


def ours(lab: Lab, address: str | None = None) -> list[EmailMessage]:
    """Mails of this run (to `address`), oldest first."""
    found = mailbox.delivered(state(lab), address) if address else mailbox.messages(state(lab))
    return [m for m in found if m["From"] == SENDER]


def mails_to(lab: Lab, address: str, subject: str) -> list[EmailMessage]:
    return [m for m in ours(lab, address) if subject in str(m["Subject"])]


def text_of(message: EmailMessage, subtype: str = "plain") -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    return str(part.get_content())


def wait_for(check: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"waited in vain for {what}")


def test_opening_the_review_mails_each_organisation_and_umbrella_once_despite_a_restart(
        lab: Lab, cycle_db: Path) -> None:
    until = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    # a relay with a rate limit: one mail every 3 s, so the process is killed halfway
    proc = subprocess.Popen(argv(lab, cycle_db, "review", "open", "--round", LABEL, "--until",
                                 until, MAIL_INTERVAL=3), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: any("Resultaten meting" in str(m["Subject"]) or
                             "Results of measurement" in str(m["Subject"])
                             for m in ours(lab)), "the first mail")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    with Store.open(f"sqlite:///{cycle_db}") as store:
        recorded = ReviewStore(store).mails()
    assert len(recorded) == 4  # three organisations and VNG (IPO has no address)
    assert any(m.state == "queued" for m in recorded), "the kill came after the last mail"

    done = meting(lab, cycle_db, "mail", "send")  # the restart
    assert done.returncode == 0, done.stderr
    for address in ADDRESSES.values():
        wait_for(lambda a=address: ours(lab, a), f"the mail to {address}")
    time.sleep(2)  # let the relay deliver anything sent twice before counting
    for address in ADDRESSES.values():
        got = ours(lab, address)
        assert len(got) == 1, f"{address} got {len(got)} mails"
        assert got[0]["To"] == address

    dutch = text_of(ours(lab, ADDRESSES[GEMEENTE])[0])
    assert f"Beste {GEMEENTE}," in dutch
    assert "geen-hsts.nl (Web): voldoet niet aan: HSTS" in dutch
    with Store.open(f"sqlite:///{cycle_db}") as store:
        round_id = store.round_by_label(LABEL).id
    assert f"https://dashboard.lab.invalid/review/{round_id}\n" in dutch
    english = ours(lab, ADDRESSES[PROVINCIE])[0]
    assert "Results of measurement 2026-najaar" in str(english["Subject"])
    assert "regressed: hsts-halfjaar.nl Web HSTS (passed → failed)" in text_of(english)
    assert "hsts-halfjaar.nl" in text_of(english, "html")
    perfect = text_of(ours(lab, ADDRESSES[PERFECT])[0])
    assert "verbeterd: perfect.nl Web HSTS (gezakt → geslaagd)" in perfect
    umbrella = text_of(ours(lab, ADDRESSES["VNG"])[0])
    assert f"{GEMEENTE} — geen-hsts.nl: Web HSTS" in umbrella
    assert PERFECT not in umbrella and PROVINCIE not in umbrella
    assert "Wat te doen" in umbrella


@pytest.fixture
def hsts_fixed(lab: Lab) -> Iterator[None]:
    """The owner of www.geen-hsts.nl adds HSTS of one year to its nginx and reloads it."""
    web = state(lab) / "web"
    conf = web / "nginx.conf"
    original = conf.read_text()
    block = re.compile(r"(    listen [^\n]*443 ssl[^\n]*\n(?:    listen [^\n]*\n)*"
                       r"    server_name www\.geen-hsts\.nl geen-hsts\.nl[^;\n]*;\n)")
    fixed, found = block.subn(lambda m: m.group(1) + f"    {ONE_YEAR}\n", original)
    assert found >= 1, "no HTTPS server block of www.geen-hsts.nl in nginx.conf"
    reload_nginx(lab, conf, fixed)
    try:
        yield
    finally:
        reload_nginx(lab, conf, original)


def reload_nginx(lab: Lab, conf: Path, text: str) -> None:
    conf.write_text(text)
    web = conf.parent
    done = netns.run_in(f"{lab.info['prefix']}web", ["nginx", "-p", str(web), "-c", str(conf),
                                                     "-e", str(web / "error.log"), "-s",
                                                     "reload"], check=False)
    assert done.returncode == 0, done.stderr
    want = "max-age=31536000" if ONE_YEAR in text else None
    address = lab.plan["web_servers"]["no-hsts"]["ipv4"][0]
    probe = ("import ssl, http.client; unverified = ssl._create_unverified_context();"
             f"h = http.client.HTTPSConnection('{address}', context=unverified, timeout=5);"
             "h.request('GET', '/', headers={'Host': 'www.geen-hsts.nl'});"
             "print(h.getresponse().getheader('Strict-Transport-Security'))")

    def served() -> bool:
        out = lab.run(sys.executable, "-c", probe)
        return out.returncode == 0 and out.stdout.strip() == str(want)

    wait_for(served, f"nginx to serve HSTS {want}")


def test_a_fix_is_confirmed_by_a_retest_stored_beside_the_original(
        lab: Lab, cycle_db: Path, hsts_fixed: None) -> None:
    done = meting(lab, cycle_db, "retest", "geen-hsts.nl", "--round", LABEL, "--kind", "web",
                  "--by", GEMEENTE, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    with Store.open(f"sqlite:///{cycle_db}") as store:
        info = store.round_by_label(LABEL)
        original = next(r for r in store.results(info.id, "web") if r.domain == "geen-hsts.nl")
        retests = ReviewStore(store).retests(info.id)
        evidence = ReviewStore(store).retest_evidence(retests[0].id)
    assert original.columns["hsts"] == "failed"  # the round's own result is kept
    assert [(r.domain, r.kind, r.requested_by) for r in retests] == [
        ("geen-hsts.nl", "web", GEMEENTE)]
    assert retests[0].columns["hsts"] == "passed"
    assert {c: s for c, s in retests[0].columns.items() if c != "hsts"} == {
        c: s for c, s in original.columns.items() if c != "hsts"}
    assert "31536000" in json.dumps(evidence)

    wait_for(lambda: mails_to(lab, ADDRESSES[GEMEENTE], "Hertest"), "the re-test mail")
    text = text_of(mails_to(lab, ADDRESSES[GEMEENTE], "Hertest")[0])
    assert "Web HSTS: gezakt → geslaagd" in text


def test_explanation_and_reaction_are_decided_and_reported(lab: Lab, cycle_db: Path) -> None:
    added = meting(lab, cycle_db, "explanation", "add", "--round", LABEL, "--domain",
                   "hsts-halfjaar.nl", "--column", "hsts", "--reason",
                   "Het portaal wordt in januari vervangen; de nieuwe server heeft HSTS.",
                   "--until", "2027-06-30")
    assert added.returncode == 0, added.stderr
    number = re.search(r"explanation (\d+)", added.stdout)
    assert number, added.stdout
    assert meting(lab, cycle_db, "explanation", "accept", number.group(1)).returncode == 0
    reaction = "Wij herkennen ons niet in het oordeel over HSTS; zie onze toelichting."
    assert meting(lab, cycle_db, "reaction", "add", "--round", LABEL, "--organisation",
                  PROVINCIE, "--text", reaction).returncode == 0
    approved = meting(lab, cycle_db, "reaction", "approve", "--round", LABEL,
                      "--organisation", PROVINCIE)
    assert approved.returncode == 0, approved.stderr

    wait_for(lambda: len(ours(lab, ADDRESSES[PROVINCIE])) == 3,
             "the two decision mails")
    subjects = [str(m["Subject"]) for m in ours(lab, ADDRESSES[PROVINCIE])]
    assert "Your explanation on hsts-halfjaar.nl (Web HSTS) was accepted" in subjects
    assert "Your formal reaction to measurement 2026-najaar was approved" in subjects

    out = state(lab).parent / f"review-report-{os.getpid()}.html"
    try:
        assert meting(lab, cycle_db, "report", "--round", LABEL, "--out", str(out)
                      ).returncode == 0
        html = out.read_text()
    finally:
        out.unlink(missing_ok=True)
    assert re.search(r"hsts-halfjaar\.nl</a> \*", html)
    assert reaction in html
    assert "Het portaal wordt in januari vervangen" in html  # beside the status (title)
    assert "1 geaccepteerde uitleg" in html


def test_figures_follow_the_counting_rules_and_the_closed_review_is_final(
        lab: Lab, cycle_db: Path) -> None:
    figures = json.loads(meting(lab, cycle_db, "report", "--round", LABEL, "--format",
                                "json", "--out", "/dev/stdout").stdout.split("report written")[0])
    hsts = figures["adoption"]["web"]["all"]["hsts"]
    # perfect.nl passed, geen-hsts.nl passed by its re-test (used: the default rule), the
    # explained hsts-halfjaar.nl still failed (explanations change no figure by default)
    assert (hsts["compliant"], hsts["counted"]) == (2, 3)
    assert figures["review"] == {
        "retests": {"rule": "hertests-voor-sluiting", "done": 1, "used": 1},
        "explanations": {"rule": "uitleg-telt-niet", "accepted": 1, "counted": 0}}

    closed = meting(lab, cycle_db, "review", "close", "--round", LABEL)
    assert closed.returncode == 0, closed.stderr
    refused = meting(lab, cycle_db, "retest", "geen-hsts.nl", "--round", LABEL)
    assert refused.returncode == 2
    assert "closed" in refused.stderr and "Traceback" not in refused.stderr
    outside = meting(lab, cycle_db, "review", "status", "--round", "2026-voorjaar")
    assert outside.returncode == 2 and "not been opened" in outside.stderr
    for address in ADDRESSES.values():
        wait_for(lambda a=address: [m for m in ours(lab, a)
                                    if "definitief" in str(m["Subject"]) or
                                    "final" in str(m["Subject"])], f"the final mail to {address}")

    changes = json.loads(meting(lab, cycle_db, "report", "--round", LABEL, "--changes",
                                "--format", "json", "--out", "/dev/stdout"
                                ).stdout.split("changes written")[0])
    found = {(c["domain"], c["kind"], c["column"]): c["change"] for c in changes["changes"]}
    assert changes["previous_round"] == "2026-voorjaar"
    assert found[("perfect.nl", "web", "hsts")] == "improved"
    assert found[("hsts-halfjaar.nl", "web", "hsts")] == "regressed"
    assert found[("geen-hsts.nl", "web", "hsts")] == "new"
    assert ("perfect.nl", "web", "dnssec") not in found  # unchanged
    one = json.loads(meting(lab, cycle_db, "report", "--round", LABEL, "--changes",
                            "--umbrella", "IPO", "--format", "json", "--out", "/dev/stdout"
                            ).stdout.split("changes written")[0])
    assert {c["organisation"] for c in one["changes"]} == {PROVINCIE}


def test_a_missed_schedule_runs_one_real_round_and_a_refused_mail_is_recorded(
        lab: Lab, tmp_path: Path) -> None:
    from sqlalchemy import update

    from meting.store.review_models import Schedule

    os.chmod(tmp_path, 0o755)
    listed = tmp_path / "registry.csv"
    with listed.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["organisation", "category", "domain", "umbrella", "sets"])
        writer.writerows([[org, cat, dom, umb, "review"] for org, cat, dom, umb in REGISTRY])
    db = tmp_path / "scheduled.db"
    with Store.open(f"sqlite:///{db}") as store:
        store.import_entries(read_list(listed).entries)
    added = meting(lab, db, "schedule", "add", "--set", "review", "--every", "monthly",
                   "--label-pattern", "gepland-%Y-%m")
    assert added.returncode == 0, added.stderr
    with Store.open(f"sqlite:///{db}") as store:
        with store.engine.begin() as connection:
            # the scheduler was down for a hundred days: three or four monthly times missed
            connection.execute(update(Schedule).values(
                created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=100)))
        ReviewStore(store).queue_mail("test:weigeren", "published", "weigeren@perfect.nl",
                                      "nl", "onderwerp", "tekst", "<p>tekst</p>", "<t@lab>")
    first = meting(lab, db, "scheduler", "--once", timeout=300)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    again = meting(lab, db, "scheduler", "--once", timeout=300)
    assert again.returncode == 0, again.stderr
    with Store.open(f"sqlite:///{db}") as store:
        rounds = store.rounds()
        [mail] = ReviewStore(store).mails()
    assert len(rounds) == 1 and rounds[0].label.startswith("gepland-")
    assert rounds[0].state == "finished" and rounds[0].done == rounds[0].planned == 6
    assert mail.state == "failed" and "5.1.1" in (mail.last_error or "")
    listed_mails = meting(lab, db, "mail", "list", "--state", "failed")
    assert "weigeren@perfect.nl" in listed_mails.stdout
