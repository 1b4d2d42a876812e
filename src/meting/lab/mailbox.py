"""The lab's mail relay with mailboxes: where the review cycle's mails are delivered.

A private Postfix instance in its own namespace (``<prefix>mbox``, on the infra network)
accepts mail from the lab's infra network for any address and delivers it into one
Maildir, ``state/mailbox/boxes/all/`` (``new/`` holds the messages), which tests read;
each delivered copy names its recipient in ``Delivered-To`` (Postfix's virtual agent
takes no per-recipient path from a regexp table, so the header tells mailboxes apart).
Recipients whose local part starts with ``weigeren`` are refused with a permanent error
(554 5.1.1), so a failed delivery can be shown too. It never relays anywhere: nothing
leaves the lab.
"""

from __future__ import annotations

import email
import email.policy
import subprocess
from email.message import EmailMessage
from pathlib import Path

from meting.lab import mail, netns

NOBODY = 65534  # the virtual delivery agent writes the Maildirs as this uid/gid

MAIN_CF = """\
# Written by meting.lab.mailbox; a private lab instance, never the system's.
compatibility_level = 3.6
queue_directory = {root}/spool
data_directory = {root}/data
maillog_file = {root}/maillog
myhostname = relay.lab.invalid
mydomain = lab.invalid
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = all
inet_protocols = all
mynetworks = {networks}
virtual_mailbox_domains = regexp:{root}/etc/domains.regexp
virtual_mailbox_maps = static:all/
virtual_mailbox_base = {root}/boxes
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{uid}
virtual_minimum_uid = 100
virtual_transport = virtual
default_transport = discard
relay_transport = discard
smtpd_banner = $myhostname ESMTP
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = check_recipient_access regexp:{root}/etc/refused.regexp,
    permit_mynetworks, reject
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
message_size_limit = 10240000
biff = no
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C POSTLOG_SERVICE
    POSTLOG_HOSTNAME
"""

DOMAINS = "/^[A-Za-z0-9.-]+$/ OK\n"
REFUSED = "/^weigeren/ REJECT 5.1.1 mailbox unavailable (lab)\n"


def root(state: Path) -> Path:
    return (state / "mailbox").resolve()


def configure(addresses: list[str], networks: list[str], state: Path) -> None:
    """Write the instance under state/mailbox (listeners on `addresses`, clients from
    `networks`)."""
    base = root(state)
    mail.check_traversable(base)
    etc = base / "etc"
    for d in (etc, base / "spool", base / "data", base / "boxes"):
        d.mkdir(parents=True, exist_ok=True)
    clients = " ".join(postfix_network(n) for n in networks)
    (etc / "main.cf").write_text(MAIN_CF.format(root=base, networks=clients, uid=NOBODY))
    listeners = [f"{mail.service_name(a)} inet n - n - - smtpd" for a in addresses]
    listeners.append("virtual   unix  -       n       n       -       -       virtual")
    (etc / "master.cf").write_text(mail.MASTER_CF.format(listeners="\n".join(listeners)))
    (etc / "domains.regexp").write_text(DOMAINS)
    (etc / "refused.regexp").write_text(REFUSED)
    subprocess.run(["chown", "postfix:", str(base / "data")], check=True)
    subprocess.run(["chown", f"{NOBODY}:{NOBODY}", str(base / "boxes")], check=True)
    result = subprocess.run(["postfix", "-c", str(etc), "check"], capture_output=True,
                            text=True)
    if result.returncode != 0:
        raise netns.LabError(f"postfix check of the mailbox relay failed: {result.stderr}")


def postfix_network(prefix: str) -> str:
    """A network as mynetworks writes it: IPv6 in brackets, ``[2001:db8::]/48``."""
    address, _, length = prefix.partition("/")
    return f"[{address}]/{length}" if ":" in address else prefix


def start(addresses: list[str], state: Path, ns: str) -> None:
    etc = str(root(state) / "etc")
    result = netns.run_in(ns, ["postfix", "-c", etc, "start"], check=False, timeout=120)
    if result.returncode != 0:
        raise netns.LabError(f"the mailbox relay did not start in {ns}: {result.stderr}\n"
                             f"{log_tail(state)}")
    missing = mail.wait_ready(ns, [(a, 25) for a in addresses], banner=True)
    if missing:
        raise netns.LabError(f"the mailbox relay gives no 220 banner on "
                             f"{', '.join(missing)}\n{log_tail(state)}")


def log_tail(state: Path, lines: int = 30) -> str:
    log = root(state) / "maillog"
    if not log.exists():
        return "(no maillog)"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def messages(state: Path) -> list[EmailMessage]:
    """Every delivered copy, oldest first (one per recipient)."""
    new = root(state) / "boxes" / "all" / "new"
    if not new.is_dir():
        return []
    found = []
    for path in sorted(new.iterdir(), key=lambda p: (p.stat().st_mtime_ns, p.name)):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def delivered(state: Path, address: str) -> list[EmailMessage]:
    """The messages delivered to one address, oldest first."""
    return [m for m in messages(state)
            if str(m.get("Delivered-To", "")).lower() == address.lower()]
