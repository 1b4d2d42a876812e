"""Mail through the lab relay as a real submission service takes it: STARTTLS on 587 and
implicit TLS on 465, each with a login (SMTP AUTH), the relay's certificate verified against
the lab's CA. A wrong password and an untrusted relay each give one clear line, and the
mail is then recorded as failed, never as sent. `meting mail send` runs in the scanner
namespace as a coordinator would run it."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from meting.lab import mailbox
from meting.store import Store
from meting.store.review import ReviewStore
from meting.store.review_records import MailInfo
from tests.lab.conftest import Lab
from tests.lab.test_review_cycle import meting, ours, state, text_of, wait_for

pytestmark = pytest.mark.lab


def login(lab: Lab, port: int, security: str, **extra: Any) -> dict[str, Any]:
    return {"SMTP_PORT": port, "SMTP_SECURITY": security,
            "SMTP_USER": lab.info["mail_relay_user"],
            "SMTP_PASSWORD": mailbox.relay_password(state(lab)),
            "SMTP_CA_FILE": lab.trust_store, **extra}


def queued_mail(tmp_path: Path) -> tuple[Path, str, str]:
    """A store with one queued mail to a fresh address; the store, the address, the subject."""
    os.chmod(tmp_path, 0o755)
    db = tmp_path / "relay.db"
    tag = uuid.uuid4().hex[:8]
    address, subject = f"relay-{tag}@perfect.nl", f"Proef {tag}"
    with Store.open(f"sqlite:///{db}") as store:
        ReviewStore(store).queue_mail(f"test:{tag}", "published", address, "nl", subject,
                                      f"tekst {tag}", f"<p>tekst {tag}</p>", f"<{tag}@lab>")
    return db, address, subject


def the_mail(db: Path) -> MailInfo:
    with Store.open(f"sqlite:///{db}") as store:
        [mail] = ReviewStore(store).mails()
    return mail


@pytest.mark.parametrize(("port", "security"), [(587, "starttls"), (465, "tls")])
def test_a_mail_is_delivered_over_tls_after_a_login(lab: Lab, tmp_path: Path, port: int,
                                                    security: str) -> None:
    db, address, subject = queued_mail(tmp_path)
    done = meting(lab, db, "mail", "send", **login(lab, port, security))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "mails: 1 sent, 0 failed" in done.stdout
    wait_for(lambda: ours(lab, address), f"the mail to {address}")
    [got] = ours(lab, address)
    assert got["Subject"] == subject and "tekst" in text_of(got)
    assert the_mail(db).state == "sent"
    log = (mailbox.root(state(lab)) / "maillog").read_text(errors="replace")
    # the relay's own log: the mail was handed in by the logged-in user
    assert f"sasl_username={lab.info['mail_relay_user']}@" in log


def test_a_wrong_password_gives_one_line_and_nothing_is_marked_sent(
        lab: Lab, tmp_path: Path) -> None:
    db, address, _ = queued_mail(tmp_path)
    wrong = f"fout-{uuid.uuid4().hex}"
    done = meting(lab, db, "mail", "send", **login(lab, 587, "starttls", SMTP_PASSWORD=wrong))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "refused the login of 'meting'" in lines[0] and "535" in lines[0]
    assert "smtp_password" in lines[0] and "Traceback" not in done.stderr
    assert wrong not in done.stdout + done.stderr
    mail = the_mail(db)
    assert mail.state == "failed" and "535" in (mail.last_error or "")
    assert wrong not in (mail.last_error or "")
    assert not ours(lab, address)


def test_a_relay_whose_certificate_is_not_trusted_is_refused(lab: Lab,
                                                              tmp_path: Path) -> None:
    db, address, _ = queued_mail(tmp_path)
    # the system's CAs only: they do not know the lab's CA, which signed the relay's
    done = meting(lab, db, "mail", "send", **login(lab, 465, "tls", SMTP_CA_FILE=""))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "is not trusted" in lines[0] and "smtp_ca_file" in lines[0]
    mail = the_mail(db)
    assert mail.state == "failed" and "not trusted" in (mail.last_error or "")
    assert not ours(lab, address)


def test_a_login_without_tls_is_refused_before_the_relay_is_spoken_to(
        lab: Lab, tmp_path: Path) -> None:
    db, address, _ = queued_mail(tmp_path)
    done = meting(lab, db, "mail", "send", **login(lab, 25, "none"))
    assert done.returncode == 2
    assert "unencrypted" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert the_mail(db).state == "queued" and not ours(lab, address)
