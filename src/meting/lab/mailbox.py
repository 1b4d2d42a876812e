"""The lab's mail relay with mailboxes: where the review cycle's mails are delivered.

A private Postfix instance in its own namespace (``<prefix>mbox``, on the infra network)
accepts mail from the lab's infra network for any address and delivers it into one
Maildir, ``state/mailbox/boxes/all/`` (``new/`` holds the messages), which tests read;
each delivered copy names its recipient in ``Delivered-To`` (Postfix's virtual agent
takes no per-recipient path from a regexp table, so the header tells mailboxes apart).
Recipients whose local part starts with ``weigeren`` are refused with a permanent error
(554 5.1.1), so a failed delivery can be shown too. It never relays anywhere: nothing
leaves the lab.

Besides plain SMTP on port 25 (clients of the infra network, no login), the relay takes
mail as a real submission service does: STARTTLS on 587 and implicit TLS on 465, each
only after SMTP AUTH (PLAIN or LOGIN, Cyrus SASL against a sasldb of one user,
``RELAY_USER``, whose random password is in ``state/mailbox/relay-password``). Its
certificate is issued by the lab's CA for its addresses, so a client that trusts the
lab's root (``pki/root.pem``) verifies it and any other client refuses it.
"""

from __future__ import annotations

import email
import email.policy
import os
import secrets
import subprocess
from email.message import EmailMessage
from pathlib import Path

from meting.lab import mail, netns
from meting.lab.model import CertSpec
from meting.lab.pki import LabCA

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
smtpd_tls_chain_files = {key}, {chain}
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_tls_session_cache_database =
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = {root}/etc/sasl
smtpd_sasl_local_domain = {realm}
smtpd_sasl_auth_enable = no
smtpd_sasl_security_options = noanonymous
biff = no
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C POSTLOG_SERVICE
    POSTLOG_HOSTNAME
"""

# Submission: TLS first (STARTTLS on 587, wrapped on 465), then a login; nothing else
# may hand in mail there, not even a client of mynetworks.
SUBMISSION = ("-o smtpd_tls_security_level=encrypt -o smtpd_sasl_auth_enable=yes "
              "-o smtpd_tls_auth_only=yes -o smtpd_client_restrictions=permit_sasl_authenticated,"
              "reject -o smtpd_relay_restrictions=permit_sasl_authenticated,reject "
              "-o smtpd_recipient_restrictions=check_recipient_access,"
              "regexp:{root}/etc/refused.regexp,permit_sasl_authenticated,reject")
PORTS = {587: "", 465: " -o smtpd_tls_wrappermode=yes"}
SASL_CONF = """\
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN
sasldb_path: {sasldb}
"""
RELAY_USER = "meting"
REALM = "relay.lab.invalid"

DOMAINS = "/^[A-Za-z0-9.-]+$/ OK\n"
REFUSED = "/^weigeren/ REJECT 5.1.1 mailbox unavailable (lab)\n"


def root(state: Path) -> Path:
    return (state / "mailbox").resolve()


def configure(addresses: list[str], networks: list[str], state: Path, ca: LabCA) -> None:
    """Write the instance under state/mailbox (listeners on `addresses`, clients from
    `networks`), its certificate from `ca` and its one login."""
    base = root(state)
    mail.check_traversable(base)
    etc = base / "etc"
    for d in (etc, etc / "sasl", base / "spool", base / "data", base / "boxes"):
        d.mkdir(parents=True, exist_ok=True)
    certs = ca.issue(addresses, CertSpec(), base / "tls", "relay", ocsp=False)
    clients = " ".join(postfix_network(n) for n in networks)
    (etc / "main.cf").write_text(MAIN_CF.format(root=base, networks=clients, uid=NOBODY,
                                                key=certs.key, chain=certs.chain,
                                                realm=REALM))
    listeners = [f"{mail.service_name(a)} inet n - n - - smtpd" for a in addresses]
    submission = SUBMISSION.format(root=base)
    listeners += [f"{mail.service_name(a, port)} inet n - n - - smtpd {submission}{extra}"
                  for a in addresses for port, extra in PORTS.items()]
    add_login(etc, password_file(state))
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


def password_file(state: Path) -> Path:
    return root(state) / "relay-password"


def relay_password(state: Path) -> str:
    """The password of ``RELAY_USER`` at the relay's submission ports."""
    return password_file(state).read_text().strip()


def add_login(etc: Path, secret: Path) -> None:
    """One SASL user in a fresh sasldb that only the postfix user (smtpd) reads."""
    sasldb = etc / "sasl" / "sasldb2"
    sasldb.unlink(missing_ok=True)
    password = secrets.token_urlsafe(18)
    secret.write_text(password + "\n")
    os.chmod(secret, 0o600)
    done = subprocess.run(["saslpasswd2", "-f", str(sasldb), "-c", "-p", "-u", REALM,
                           RELAY_USER], input=password, capture_output=True, text=True)
    if done.returncode != 0:
        raise netns.LabError(f"saslpasswd2 failed for the mailbox relay: {done.stderr}")
    (etc / "sasl" / "smtpd.conf").write_text(SASL_CONF.format(sasldb=sasldb))
    subprocess.run(["chown", "postfix:", str(sasldb)], check=True)
    os.chmod(sasldb, 0o600)


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
    ports = [(a, p) for a in addresses for p in (25, *PORTS) if p != 465]
    # 465 speaks TLS first: no banner in the clear, so only "open" is awaited there
    missing = mail.wait_ready(ns, ports, banner=True) + mail.wait_ready(
        ns, [(a, 465) for a in addresses], banner=False)
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
