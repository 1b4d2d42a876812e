"""Delivering queued mails through the configured SMTP relay.

Each mail is marked ``sending`` (committed) before the relay is spoken to and ``sent`` as
soon as the relay accepted it; a refused or failed delivery is ``failed`` with the SMTP
error and tried again later (review.yaml: attempts and waits). A mail a stopped process
left ``sending`` may have been delivered: it becomes ``uncertain`` and is never sent again
by itself (``meting mail resend ID`` does). So no restart sends a mail twice.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime

from meting.review.config import config
from meting.settings import Settings
from meting.store.review import ReviewStore
from meting.store.review_records import MailInfo

SECURITIES = ("none", "starttls", "tls")
TIMEOUT = 30.0


class MailSettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Delivery:
    sent: int = 0
    failed: int = 0
    uncertain: int = 0  # left ``sending`` by a stopped process, found now


def check(settings: Settings) -> None:
    if settings.smtp_security not in SECURITIES:
        raise MailSettingsError(f"smtp_security {settings.smtp_security!r}: one of "
                                f"{', '.join(SECURITIES)}")
    if "@" not in settings.mail_sender:
        raise MailSettingsError(f"mail_sender {settings.mail_sender!r} is not an address")


def message(mail: MailInfo, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.recipient
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(mail.created_at)
    msg["Message-ID"] = mail.message_id
    msg["Content-Language"] = mail.lang
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(mail.text)
    msg.add_alternative(mail.html, subtype="html")
    return msg


def deliver_due(review: ReviewStore, settings: Settings,
                now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
                sleep: Callable[[float], None] = time.sleep) -> Delivery:
    """Send every mail that is due now; the counts. Without a relay (no smtp_host) nothing
    is sent and the mails stay queued."""
    check(settings)
    uncertain = review.mark_interrupted_mails(now() - dt.timedelta(seconds=4 * TIMEOUT))
    if not settings.smtp_host:
        return Delivery(uncertain=uncertain)
    sent = failed = 0
    rules = config()
    while True:
        if sent + failed and settings.mail_interval > 0:
            sleep(settings.mail_interval)  # before claiming: a stop here leaves it queued
        mail = review.claim_mail(now(), rules.mail_attempts)
        if mail is None:
            break
        try:
            send(message(mail, settings.mail_sender), settings)
        except (OSError, smtplib.SMTPException) as exc:
            review.mail_failed(mail.id, describe(exc), now() + rules.retry_after(mail.attempts))
            failed += 1
            continue
        review.mail_sent(mail.id)
        sent += 1
    return Delivery(sent, failed, uncertain)


def send(msg: EmailMessage, settings: Settings) -> None:
    """One SMTP transaction with the relay; raises on any refusal."""
    context = ssl.create_default_context()
    if settings.trust_store:
        context.load_verify_locations(settings.trust_store)
    if settings.smtp_security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port,
                                                timeout=TIMEOUT, context=context)
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT)
    with client:
        client.ehlo()
        if settings.smtp_security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if settings.smtp_user:
            client.login(settings.smtp_user, settings.smtp_password)
        refused = client.send_message(msg)
    if refused:
        raise smtplib.SMTPRecipientsRefused(refused)


def describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) \
            else str(exc.smtp_error)
        return f"SMTP {exc.smtp_code}: {text}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{rcpt}: SMTP {code} {err.decode(errors='replace')}"
                         for rcpt, (code, err) in exc.recipients.items())
    return f"{type(exc).__name__}: {exc}"
