"""Real Postfix MX hosts and hostile servers in namespaces ``mth-*``."""

from __future__ import annotations

import asyncio
import datetime
import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from meting.lab import hostile, mail, netns
from meting.lab.model import CertFiles, MailServer, TlsProfile, WebServer

pytestmark = [
    pytest.mark.lab,
    pytest.mark.usefixtures("lab_ready"),
]

PREFIX = "mth-"
SRV, CLI = "srv", "cli"
MODERN = TlsProfile("modern", ("TLSv1.2", "TLSv1.3"), "ECDHE+AESGCM:ECDHE+CHACHA20",
                    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384", "X25519:prime256v1")
LEGACY = TlsProfile("tls10", ("TLSv1",), "ECDHE+AES:AES", "", "prime256v1")
GOOD_V4, GOOD_V6 = "198.18.7.10", "2001:db8:7::10"
OLD_V4, PLAIN_V4, SLOW_V4 = "198.18.7.11", "198.18.7.12", "198.18.7.13"
SILENT_V4, GARBAGE_V4, CLI_V4 = "198.18.7.14", "198.18.7.15", "198.18.7.99"


def make_cert(name: str, out: Path) -> CertFiles:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()))
    chain, keyfile = out / f"{name}.chain.pem", out / f"{name}.key.pem"
    chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return CertFiles(chain=str(chain), key=str(keyfile))


def servers(certs: Path) -> tuple[list[MailServer], list[WebServer]]:
    good = MailServer("good", "mx-good.lab.test", "postfix", "n", ipv4=[GOOD_V4],
                      ipv6=[GOOD_V6], ipv6_dead=["2001:db8:7::dead"], tls=MODERN,
                      certs=make_cert("mx-good.lab.test", certs))
    old = MailServer("old", "mx-old.lab.test", "postfix", "n", ipv4=[OLD_V4], tls=LEGACY,
                     certs=make_cert("mx-old.lab.test", certs))
    plain = MailServer("plain", "mx-plain.lab.test", "postfix", "n", ipv4=[PLAIN_V4],
                       starttls=False)
    slow = MailServer("slow", "mx-slow.lab.test", "slow_banner", "n", ipv4=[SLOW_V4])
    web = [WebServer("quiet", "silent", "n", ipv4=[SILENT_V4]),
           WebServer("junk", "tls_garbage", "n", ipv4=[GARBAGE_V4])]
    return [good, old, plain, slow], web


@pytest.fixture(scope="module")
def lab() -> Iterator[Path]:
    state = Path(tempfile.mkdtemp(prefix="mth-state-"))
    state.chmod(0o755)  # Postfix's unprivileged user must reach its queue
    netns.delete_all(PREFIX)
    try:
        netns.create_switch(PREFIX)
        mx, web = servers(state)
        srv_addrs = [GOOD_V4, GOOD_V6, OLD_V4, PLAIN_V4, SLOW_V4, SILENT_V4, GARBAGE_V4]
        netns.add_host(PREFIX, SRV, srv_addrs)
        netns.add_host(PREFIX, CLI, [CLI_V4, "2001:db8:7::99"])
        mail.configure(mx, state)
        mail.start(mx, state, PREFIX + SRV)
        config = hostile.configure_hostile(web, mx, state)
        hostile.start_hostile(config, state, PREFIX + SRV)
        yield state
    finally:
        netns.delete_all(PREFIX)
        shutil.rmtree(state, ignore_errors=True)


def client(code: str, timeout: float = 60) -> str:
    """Run Python code in the client namespace; returns its stdout."""
    result = netns.run_in(PREFIX + CLI, [sys.executable, "-c", textwrap.dedent(code)],
                          check=False, timeout=timeout)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def s_client(addr: str, *flags: str) -> subprocess.CompletedProcess[str]:
    argv = ["openssl", "s_client", "-connect", f"{addr}:25", "-starttls", "smtp", *flags,
            "-cipher", "ALL:@SECLEVEL=0"]
    return subprocess.run(netns.exec_argv(PREFIX + CLI, argv), input="", text=True,
                          capture_output=True, timeout=30)


SMTP_CODE = """
import smtplib, ssl, json
s = smtplib.SMTP({host!r}, 25, timeout=10)
code, ehlo = s.ehlo("client.lab.test")
out = {{"ehlo": ehlo.decode(), "starttls": s.has_extn("starttls")}}
if {tls} and out["starttls"]:
    ctx = ssl.create_default_context(cafile={ca!r})
    s._host = {name!r}  # the name to verify, not the address
    s.starttls(context=ctx)
    out["version"] = s.sock.version()
    out["peer"] = s.sock.getpeercert()["subject"][0][0][1]
code, msg = s.docmd("MAIL FROM:<a@client.lab.test>")
out["mail"] = code
s.quit()
print(json.dumps(out))
"""


def smtp_session(host: str, tls: bool = False, ca: str = "",
                 name: str = "") -> dict[str, object]:
    code = SMTP_CODE.format(host=host, tls=tls, ca=ca, name=name)
    out: dict[str, object] = json.loads(client(code))
    return out


def banner(host: str, port: int = 25, wait: float = 5) -> str:
    return client(f"""
        import socket
        s = socket.create_connection(({host!r}, {port}), timeout=5)
        s.settimeout({wait})
        try:
            print(repr(s.recv(512)))
        except TimeoutError:
            print("TIMEOUT")
        """)


def test_banner_shows_hostname(lab: Path) -> None:
    assert banner(GOOD_V4).startswith("b'220 mx-good.lab.test ESMTP")
    assert banner(PLAIN_V4).startswith("b'220 mx-plain.lab.test ESMTP")


def test_starttls_offered_as_configured(lab: Path) -> None:
    assert smtp_session(PLAIN_V4)["starttls"] is False
    plain = smtp_session(PLAIN_V4)
    assert "mx-plain.lab.test" in str(plain["ehlo"]) and plain["mail"] == 250
    assert smtp_session(OLD_V4)["starttls"] is True


def test_good_listener_tls13_with_configured_cert(lab: Path) -> None:
    ca = str(lab / "mx-good.lab.test.chain.pem")
    result = smtp_session(GOOD_V4, tls=True, ca=ca, name="mx-good.lab.test")
    assert result["version"] == "TLSv1.3"
    assert result["peer"] == "mx-good.lab.test"


def test_good_listener_tls12_and_not_tls10(lab: Path) -> None:
    ok = s_client(GOOD_V4, "-tls1_2")
    assert "Protocol  : TLSv1.2" in ok.stdout or "TLSv1.2" in ok.stdout, ok.stdout
    assert "CN = mx-good.lab.test" in ok.stdout
    assert s_client(GOOD_V4, "-tls1").returncode != 0


def test_good_listener_tls13_suites(lab: Path) -> None:
    """The profile's TLS 1.3 suites apply (through the OPENSSL_CONF smtpd wrapper)."""
    aes = s_client(GOOD_V4, "-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256")
    assert "Cipher is TLS_AES_128_GCM_SHA256" in aes.stdout
    chacha = s_client(GOOD_V4, "-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256")
    assert chacha.returncode != 0


def test_tls10_only_listener(lab: Path) -> None:
    old = s_client(OLD_V4, "-tls1")
    assert old.returncode == 0, old.stdout + old.stderr
    assert "Protocol  : TLSv1\n" in old.stdout
    assert "CN = mx-old.lab.test" in old.stdout
    assert s_client(OLD_V4, "-tls1_2").returncode != 0


def test_ipv6_listener(lab: Path) -> None:
    assert banner(GOOD_V6).startswith("b'220 mx-good.lab.test ESMTP")
    ca = str(lab / "mx-good.lab.test.chain.pem")
    assert smtp_session(GOOD_V6, tls=True, ca=ca, name="mx-good.lab.test")["version"] == "TLSv1.3"


def test_dead_ipv6_not_configured(lab: Path) -> None:
    master_cf = (lab / "mail" / "etc" / "master.cf").read_text()
    assert "dead" not in master_cf and f"[{GOOD_V6}]:25" in master_cf


def test_hostile_silent(lab: Path) -> None:
    assert banner(SILENT_V4, 443, wait=2) == "TIMEOUT"
    assert banner(SILENT_V4, 80, wait=2) == "TIMEOUT"


def test_hostile_tls_garbage(lab: Path) -> None:
    out = client(f"""
        import socket, ssl
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        try:
            with socket.create_connection(({GARBAGE_V4!r}, 443), timeout=5) as raw:
                ctx.wrap_socket(raw, server_hostname="junk.lab.test")
            print("HANDSHAKE")
        except ssl.SSLError as e:
            print("SSLERROR", e)
        """)
    assert out.startswith("SSLERROR"), out


def test_hostile_slow_banner(lab: Path) -> None:
    assert banner(SLOW_V4, 25, wait=3) == "TIMEOUT"


def test_hostile_survives_resets(lab: Path) -> None:
    client(f"""
        import socket, struct
        for port, host in ((443, {SILENT_V4!r}), (443, {GARBAGE_V4!r}), (25, {SLOW_V4!r})):
            for _ in range(20):
                s = socket.create_connection((host, port), timeout=5)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
        """)
    assert banner(SILENT_V4, 443, wait=1) == "TIMEOUT"
    assert banner(SLOW_V4, 25, wait=1) == "TIMEOUT"



def test_slow_banner_dialogue(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SMTP side of slow_banner, without the 30 s wait, on loopback."""
    monkeypatch.setattr(hostile, "BANNER_DELAY", 0.0)

    async def session() -> bytes:
        slots = asyncio.Semaphore(4)
        listener = hostile.Listener("slow_banner", "127.0.0.1", 0, "mx-slow.lab.test")
        server = await asyncio.start_server(hostile.handler_for(listener, slots),
                                            "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"EHLO c.lab.test\r\nSTARTTLS\r\nQUIT\r\n")
        data = await asyncio.wait_for(reader.read(), 5)
        server.close()
        return data

    data = asyncio.run(session())
    assert data.startswith(b"220 mx-slow.lab.test ESMTP\r\n250-mx-slow.lab.test")
    assert b"STARTTLS" not in data.split(b"502")[0] and data.endswith(b"221 2.0.0 Bye\r\n")
