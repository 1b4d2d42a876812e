"""Postfix as the lab's MX hosts: one private Postfix instance for every MX.

The instance lives entirely under ``state/mail/`` (``etc/`` holds main.cf and
master.cf, ``spool/`` is the queue, ``data/`` the data directory, ``maillog`` the
log written by postlogd). It is run as root with ``postfix -c DIR start``, which
needs no ``alternate_config_directories`` entry in /etc/postfix/main.cf (that
check applies to unprivileged users only) and leaves the system's default
instance alone. Each MX address is its own ``smtpd`` listener in master.cf, with
``-o`` overrides for the banner name and the TLS configuration of that server.

Nothing is ever delivered: no domain is local or relayed, RCPT for any domain is
refused (``reject_unauth_destination``), and every transport is ``discard``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dh

from meting.lab import netns
from meting.lab.model import MailServer, TlsProfile

ALL_PROTOCOLS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
OPENSSL_SUITES = (
    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256")
START_TIMEOUT = 60.0
DAEMON_DIR = "/usr/lib/postfix/sbin"
SMTPD = f"{DAEMON_DIR}/smtpd"
MODP_1024 = (  # RFC 2409 Oakley group 2, generator 2
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22"
    "514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6"
    "F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381"
    "FFFFFFFFFFFFFFFF")

MAIN_CF = """\
# Written by meting.lab.mail; a private lab instance, never the system's.
compatibility_level = 3.6
queue_directory = {root}/spool
data_directory = {root}/data
maillog_file = {root}/maillog
maillog_file_prefixes = {root}
myhostname = mail.lab.invalid
mydomain = lab.invalid
myorigin = $myhostname
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = all
inet_protocols = all
mynetworks = 127.0.0.0/8 [::1]/128
smtpd_banner = $myhostname ESMTP
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = reject_unauth_destination
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
default_transport = discard
relay_transport = discard
local_transport = discard
virtual_transport = discard
biff = no
smtpd_tls_loglevel = 1
smtpd_tls_received_header = no
smtpd_tls_session_cache_database =
tls_random_source = dev:/dev/urandom
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C POSTLOG_SERVICE
    POSTLOG_HOSTNAME OPENSSL_CONF
"""

MASTER_CF = """\
# Written by meting.lab.mail: one smtpd per MX address, then the internal services.
{listeners}
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def mail_dir(state: Path) -> Path:
    return state / "mail"


def config_dir(state: Path) -> Path:
    return mail_dir(state) / "etc"


def postfix_servers(servers: list[MailServer]) -> list[MailServer]:
    return [s for s in servers if s.software == "postfix"]


def listen_addresses(server: MailServer) -> list[str]:
    """The addresses a server listens on (never its ``ipv6_dead`` ones)."""
    return [*server.ipv4, *server.ipv6]


def service_name(address: str, port: int = 25) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


# --- TLS settings -------------------------------------------------------------------

def protocol_setting(protocols: tuple[str, ...]) -> str:
    """Postfix protocol list: exclude every protocol the profile does not enable."""
    unknown = set(protocols) - set(ALL_PROTOCOLS)
    if unknown or not protocols:
        raise netns.LabError(f"unsupported TLS protocols in profile: {sorted(unknown)}")
    return ",".join(f"!{p}" for p in ALL_PROTOCOLS if p not in protocols)


def cipher_setting(tls: TlsProfile) -> str:
    """The TLS <= 1.2 cipher list, made to work with OpenSSL 3 for old protocols."""
    ciphers = tls.ciphers or "DEFAULT"
    old = {"TLSv1", "TLSv1.1", "SSLv3"} & set(tls.protocols)
    if old and "@SECLEVEL" not in ciphers:
        ciphers += ":@SECLEVEL=0"
    elif "@SECLEVEL" not in ciphers:
        # As nginx gets from the system's openssl.cnf: no SHA-1 key-exchange signatures
        ciphers += ":@SECLEVEL=2"
    if tls.dhparam_bits is None:
        ciphers += ":!kDHE"
    return ciphers


def group_setting(groups: str) -> str:
    """OpenSSL groups as Postfix's curve list (3.7 passes FFDHE names through too)."""
    return ",".join(g for g in groups.replace(",", ":").split(":") if g)


def dhparam_file(root: Path, bits: int) -> Path:
    """PKCS#3 DH parameters of the given size: a well-known group when there is one."""
    path = root / "tls" / f"dh{bits}.pem"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    if bits == 1024:
        numbers = dh.DHParameterNumbers(int(MODP_1024, 16), 2)
        path.write_bytes(numbers.parameters().parameter_bytes(
            serialization.Encoding.PEM, serialization.ParameterFormat.PKCS3))
        return path
    if bits in (2048, 3072, 4096, 6144, 8192):
        argv = ["openssl", "genpkey", "-genparam", "-algorithm", "DH",
                "-pkeyopt", f"group:ffdhe{bits}", "-out", str(path)]
    else:  # a fresh safe prime: slow for big sizes
        argv = ["openssl", "dhparam", "-out", str(path), str(bits)]
    subprocess.run(argv, check=True, capture_output=True)
    return path


def suites_wrapper(root: Path, suites: str) -> Path:
    """An smtpd wrapper whose OpenSSL config sets the TLS 1.3 suites.

    Postfix 3.7 has no setting for TLS 1.3 suites, and a per-service ``-o
    import_environment`` does not reach OpenSSL; so the listener runs this wrapper,
    which sets OPENSSL_CONF (kept by the global ``import_environment``).
    """
    digest = hashlib.sha256(suites.encode()).hexdigest()[:12]
    conf, wrapper = root / "tls" / f"openssl-{digest}.cnf", root / "tls" / f"smtpd-{digest}"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text("openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\n"
                    f"system_default = sys\n[sys]\nCiphersuites = {suites}\n")
    wrapper.write_text(f"#!/bin/sh\nOPENSSL_CONF={conf} exec {SMTPD} \"$@\"\n")
    wrapper.chmod(0o755)
    return wrapper


def smtpd_command(server: MailServer, root: Path) -> str:
    tls = server.tls
    if server.starttls and tls and tls.ciphersuites and tls.ciphersuites != OPENSSL_SUITES:
        # master.cf commands are relative to daemon_directory, even "/..." ones
        return os.path.relpath(suites_wrapper(root, tls.ciphersuites), DAEMON_DIR)
    return "smtpd"


def tls_overrides(server: MailServer, root: Path) -> list[str]:
    """``-o`` settings for one server's listeners."""
    if not server.starttls:
        return ["smtpd_tls_security_level=none"]
    if server.certs is None:
        raise netns.LabError(f"mail server {server.name} offers STARTTLS but has no certs")
    opts = ["smtpd_tls_security_level=may",
            f"smtpd_tls_chain_files={server.certs.key},{server.certs.chain}"]
    if server.tls is not None:
        opts += profile_overrides(server.tls, root)
    return opts


def profile_overrides(tls: TlsProfile, root: Path) -> list[str]:
    protocols = protocol_setting(tls.protocols)
    dh = str(dhparam_file(root, tls.dhparam_bits)) if tls.dhparam_bits else "auto"
    opts = [f"smtpd_tls_protocols={protocols}",
            f"smtpd_tls_mandatory_protocols={protocols}",
            "smtpd_tls_ciphers=high", "smtpd_tls_mandatory_ciphers=high",
            f"tls_high_cipherlist={cipher_setting(tls)}",
            f"tls_preempt_cipherlist={'yes' if tls.prefer_server_ciphers else 'no'}",
            "smtpd_tls_eecdh_grade=auto",
            f"tls_eecdh_auto_curves={group_setting(tls.groups)}",
            f"smtpd_tls_dh1024_param_file={dh}",
            f"tls_ssl_options={ssl_options(tls)}"]
    return opts


def ssl_options(tls: TlsProfile) -> str:
    """Postfix's tls_ssl_options: names and hex masks (0x1 is OpenSSL 3.0's
    SSL_OP_NO_EXTENDED_MASTER_SECRET, which Postfix has no name for)."""
    options = [] if tls.client_renegotiation else ["NO_RENEGOTIATION"]
    if not tls.extended_master_secret:
        options.append("0x1")
    return ",".join(options)


# --- configuration ------------------------------------------------------------------

def listener_lines(server: MailServer, root: Path) -> list[str]:
    opts = [f"myhostname={server.hostname}", *tls_overrides(server, root)]
    flags = "".join(f"\n  -o {o}" for o in opts)
    command = smtpd_command(server, root)
    return [f"{service_name(addr)} inet n - n - - {command}{flags}"
            for addr in listen_addresses(server)]


def check_traversable(path: Path) -> None:
    """The postfix user must reach the queue and data directories."""
    for parent in [path, *path.parents]:
        if parent.exists() and not parent.stat().st_mode & 0o001:
            raise netns.LabError(f"{parent} is not searchable by others; Postfix's "
                                 "unprivileged user cannot reach its queue below it "
                                 "(chmod o+x, or put the lab state elsewhere)")


def configure(servers: list[MailServer], state: Path) -> None:
    """Write the private Postfix instance for every ``postfix`` MX under state/mail."""
    root = mail_dir(state).resolve()
    check_traversable(root)
    etc = root / "etc"
    for d in (etc, root / "spool", root / "data"):
        d.mkdir(parents=True, exist_ok=True)
    listeners = [line for s in postfix_servers(servers) for line in listener_lines(s, root)]
    (etc / "main.cf").write_text(MAIN_CF.format(root=root))
    (etc / "master.cf").write_text(MASTER_CF.format(listeners="\n".join(listeners)))
    subprocess.run(["chown", "postfix:", str(root / "data")], check=True)
    result = subprocess.run(["postfix", "-c", str(etc), "check"], capture_output=True,
                            text=True)
    if result.returncode != 0:
        raise netns.LabError(f"postfix check failed: {result.stderr}\n{log_tail(state)}")


def log_tail(state: Path, lines: int = 30) -> str:
    log = mail_dir(state) / "maillog"
    if not log.exists():
        return "(no maillog)"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


# --- start and readiness ------------------------------------------------------------

PROBE = r"""
import json, socket, sys
want_banner = sys.argv[1] == "banner"
out = {}
for host, port in json.loads(sys.argv[2]):
    try:
        with socket.create_connection((host, port), timeout=2) as s:
            out[f"{host} {port}"] = s.recv(512).decode("latin-1") if want_banner else "open"
    except OSError as e:
        out[f"{host} {port}"] = f"error: {e}"
print(json.dumps(out))
"""


def probe_in(ns: str, targets: list[tuple[str, int]], banner: bool) -> dict[str, str]:
    """Connect to each target from inside ``ns``; the banner (or "open") or an error."""
    mode = "banner" if banner else "tcp"
    result = netns.run_in(ns, [sys.executable, "-c", PROBE, mode, json.dumps(targets)],
                          check=False, timeout=30 + 3 * len(targets))
    if result.returncode != 0:
        raise netns.LabError(f"probe in {ns} failed: {result.stderr}")
    answer: dict[str, str] = json.loads(result.stdout)
    return answer


def wait_ready(ns: str, targets: list[tuple[str, int]], banner: bool,
               timeout: float = START_TIMEOUT) -> list[str]:
    """Poll until every target answers; returns what still fails (empty when ready)."""
    pending = list(targets)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        answers = probe_in(ns, pending, banner)
        ok = {k for k, v in answers.items() if (v.startswith("220") if banner else v == "open")}
        pending = [t for t in pending if f"{t[0]} {t[1]}" not in ok]
        if pending:
            time.sleep(0.3)
    return [f"{h} port {p}" for h, p in pending]


def start(servers: list[MailServer], state: Path, ns: str) -> None:
    """Start the instance in namespace ``ns``; wait for a 220 banner on every address."""
    targets = [(a, 25) for s in postfix_servers(servers) for a in listen_addresses(s)]
    if not targets:
        return
    etc = str(config_dir(state).resolve())
    result = netns.run_in(ns, ["postfix", "-c", etc, "start"], check=False, timeout=120)
    if result.returncode != 0:
        raise netns.LabError(f"postfix did not start in {ns}: {result.stderr}\n"
                             f"{log_tail(state)}")
    missing = wait_ready(ns, targets, banner=True)
    if missing:
        raise netns.LabError(f"postfix gives no 220 banner on {', '.join(missing)}\n"
                             f"{log_tail(state)}")


def stop(state: Path, ns: str) -> None:
    """Stop the instance (deleting the namespace also ends it)."""
    netns.run_in(ns, ["postfix", "-c", str(config_dir(state).resolve()), "stop"],
                 check=False)
