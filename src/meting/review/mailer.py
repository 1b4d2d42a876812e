"""Delivering queued mails through the configured SMTP relay.

Each mail is marked ``sending`` (committed) before the relay is spoken to and ``sent`` as
soon as the relay accepted it; a refused or failed delivery is ``failed`` with the SMTP
error and tried again later (review.yaml: attempts and waits). A mail a stopped process
left ``sending`` may have been delivered: it becomes ``uncertain`` and is never sent again
by itself (``meting mail resend ID`` does). So no restart sends a mail twice.

The relay is spoken to in plain SMTP (``none``), after STARTTLS (``starttls``, port 587)
or in TLS from the start (``tls``, port 465); its certificate must chain to a CA of
``smtp_ca_file`` (else the system's) and name the host as configured. A login goes only
over TLS. When the relay itself fails (unreachable, untrusted, no TLS, login refused),
delivery stops at that mail (it is recorded as failed with the reason, to be retried)
and ``Delivery.stopped`` says what to fix, in one line; the password is never shown.
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
from pathlib import Path

from meting.review.config import config
from meting.settings import Settings
from meting.store.review import ReviewStore
from meting.store.review_records import MailInfo

SECURITIES = ("none", "starttls", "tls")
TIMEOUT = 30.0


class MailSettingsError(ValueError):
    pass


class RelayError(Exception):
    """The relay itself failed (not one mail): the message says what, and what to check."""


@dataclass(frozen=True)
class Delivery:
    sent: int = 0
    failed: int = 0
    uncertain: int = 0  # left ``sending`` by a stopped process, found now
    stopped: str = ""  # why delivery stopped early (a RelayError), else empty


def check(settings: Settings) -> None:
    if settings.smtp_security not in SECURITIES:
        raise MailSettingsError(f"smtp_security {settings.smtp_security!r}: one of "
                                f"{', '.join(SECURITIES)}")
    if "@" not in settings.mail_sender:
        raise MailSettingsError(f"mail_sender {settings.mail_sender!r} is not an address")
    if settings.smtp_user and settings.smtp_security == "none":
        raise MailSettingsError("smtp_user is set but smtp_security is none: the password "
                                "would cross the network unencrypted (use starttls or tls)")
    if settings.smtp_ca_file and not Path(settings.smtp_ca_file).is_file():
        raise MailSettingsError(f"smtp_ca_file {settings.smtp_ca_file!r} is not a file")


def message(mail: MailInfo, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.recipient
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(mail.created_at)
    msg["Message-ID"] = mail.message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(mail.text)
    msg.add_alternative(mail.html, subtype="html")
    # after the parts are made: making them moves Content-* headers into the first part
    msg["Content-Language"] = mail.lang
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
        except RelayError as exc:
            review.mail_failed(mail.id, str(exc), now() + rules.retry_after(mail.attempts))
            return Delivery(sent, failed + 1, uncertain, stopped=str(exc))
        except (OSError, smtplib.SMTPException) as exc:
            review.mail_failed(mail.id, describe(exc), now() + rules.retry_after(mail.attempts))
            failed += 1
            continue
        review.mail_sent(mail.id)
        sent += 1
    return Delivery(sent, failed, uncertain)


def send(msg: EmailMessage, settings: Settings) -> None:
    """One SMTP transaction with the relay; raises on any refusal (RelayError when the
    relay failed before the mail was handed over)."""
    with connect(settings) as client:
        refused = client.send_message(msg)
    if refused:
        raise smtplib.SMTPRecipientsRefused(refused)


def connect(settings: Settings) -> smtplib.SMTP:
    """A session with the relay, secured and logged in as the settings say."""
    relay = f"{settings.smtp_host}:{settings.smtp_port}"
    context = ssl.create_default_context(cafile=settings.smtp_ca_file or None)
    client: smtplib.SMTP | None = None
    try:
        if settings.smtp_security == "tls":
            client = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port,
                                      timeout=TIMEOUT, context=context)
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT)
        client.ehlo()
        if settings.smtp_security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if settings.smtp_user:
            client.login(settings.smtp_user, settings.smtp_password)
        return client
    except (OSError, smtplib.SMTPException) as exc:
        if client is not None:
            client.close()
        raise RelayError(relay_problem(relay, settings, exc)) from None


def relay_problem(relay: str, settings: Settings, exc: BaseException) -> str:
    """What went wrong with the relay, in one line, and what to check."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (f"the relay {relay} is not trusted ({exc.verify_message}): set smtp_ca_file "
                f"to the PEM file of the CA that signed its certificate")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return (f"the relay {relay} refused the login of {settings.smtp_user!r} "
                f"({describe(exc)}): check smtp_user and smtp_password")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return (f"the relay {relay}: {exc} (smtp_security {settings.smtp_security}); check "
                f"smtp_security and smtp_port (starttls on 587, tls on 465)")
    if isinstance(exc, ssl.SSLError):
        return (f"TLS with the relay {relay} failed ({exc.reason or exc}): check "
                f"smtp_security and smtp_port (starttls on 587, tls on 465)")
    if isinstance(exc, smtplib.SMTPException):
        return f"the relay {relay}: {describe(exc)}"
    return f"the relay {relay} cannot be reached: {getattr(exc, 'strerror', None) or exc}"


def describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) \
            else str(exc.smtp_error)
        return f"SMTP {exc.smtp_code}: {text}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{rcpt}: SMTP {code} {err.decode(errors='replace')}"
                         for rcpt, (code, err) in exc.recipients.items())
    return f"{type(exc).__name__}: {exc}"
