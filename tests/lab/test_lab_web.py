"""The lab's web servers for real: nginx and s_server in namespaces, probed from another."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from meting.lab import netns, web
from meting.lab.model import CertSpec, TlsProfile, WebServer
from meting.lab.pki import LabCA

pytestmark = [
    pytest.mark.lab,
    pytest.mark.usefixtures("lab_ready"),
]

PREFIX = "mtw-"
CLIENT = "198.18.9.9"
CLIENT6 = "2001:db8:9::9"

MODERN = TlsProfile("modern", ("TLSv1.2", "TLSv1.3"), "ECDHE+AESGCM:ECDHE+CHACHA20",
                    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384", "X25519:prime256v1")
LEGACY = TlsProfile("legacy", ("TLSv1",), "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA", "",
                    "prime256v1")
DHE = TlsProfile("dhe", ("TLSv1.2",), "DHE-RSA-AES128-GCM-SHA256", "", "prime256v1",
                 dhparam_bits=1024)
RENEG = TlsProfile("reneg", ("TLSv1.2",), "ECDHE+AESGCM", "", "prime256v1",
                   client_renegotiation=True)


def server(name: str, last: int, **kw: object) -> WebServer:
    return WebServer(name=name, software=kw.pop("software", "nginx"),  # type: ignore[arg-type]
                     network="n", ipv4=[f"198.18.1.{last}"], ipv6=[f"2001:db8:1::{last}"],
                     sites=[f"{name}.test", f"www.{name}.test"], **kw)  # type: ignore[arg-type]


def servers() -> list[WebServer]:
    return [
        server("good", 1, tls=MODERN),
        server("legacy", 2, tls=LEGACY, hsts_max_age=None),
        server("plain", 3, tls=None, http="content", ipv6_same_site=False),
        server("expired", 4, tls=MODERN, cert=CertSpec(kind="expired")),
        server("sha1", 5, tls=MODERN, cert=CertSpec(kind="sha1")),
        server("reneg", 6, tls=RENEG, software="openssl"),
        server("other", 7, tls=MODERN, http="redirect_other_host"),
        server("silent", 8, tls=MODERN, software="silent"),
        server("dhe", 9, tls=DHE, cert=CertSpec(key="rsa2048"), http="none"),
        server("huge", 10, tls=MODERN, http="content", huge_body=True, security_txt="missing"),
        server("loop", 11, tls=MODERN, http="loop"),
    ]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[WebServer], Path]]:
    state = tmp_path_factory.mktemp("weblab")
    netns.delete_all(PREFIX)
    try:
        ca = LabCA.load_or_create(state / "ca")
        plan = servers()
        web.configure(plan, state, ca)
        netns.create_switch(PREFIX)
        addrs = [a for s in plan for a in s.ipv4 + s.ipv6]
        netns.add_host(PREFIX, "web", addrs)
        netns.add_host(PREFIX, "cli", [CLIENT, CLIENT6])
        started = time.monotonic()
        web.start(plan, state, f"{PREFIX}web")
        print(f"web.start: {time.monotonic() - started:.2f} s")
        yield plan, state
    finally:
        netns.delete_all(PREFIX)


PROBE = """
import json, socket, ssl, sys
host, addr, port, mode, version, cafile = sys.argv[1:7]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
if mode == "verify":
    ctx.load_verify_locations(cafile)
else:
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
ctx.set_ciphers("ALL:@SECLEVEL=0")
if version != "any":
    v = getattr(ssl.TLSVersion, version)
    ctx.minimum_version = ctx.maximum_version = v
out = {}
try:
    with socket.create_connection((addr, int(port)), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as tls:
            out["version"] = tls.version()
            req = f"GET / HTTP/1.1\\r\\nHost: {host}\\r\\nConnection: close\\r\\n\\r\\n"
            tls.sendall(req.encode())
            data = b""
            while chunk := tls.recv(65536):
                data += chunk
            out["response"] = data[:4000].decode("latin-1")
except (OSError, ssl.SSLError) as exc:
    out["error"] = f"{type(exc).__name__}: {exc}"
print(json.dumps(out))
"""

HTTP = """
import json, socket, sys
host, addr, path = sys.argv[1:4]
try:
    with socket.create_connection((addr, 80), timeout=5) as s:
        req = f"GET {path} HTTP/1.1\\r\\nHost: {host}\\r\\nConnection: close\\r\\n\\r\\n"
        s.sendall(req.encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    print(json.dumps({"response": data.decode("latin-1")}))
except OSError as exc:
    print(json.dumps({"error": str(exc)}))
"""


def cli(argv: list[str]) -> str:
    result = netns.run_in(f"{PREFIX}cli", argv, check=False, timeout=30)
    return result.stdout + result.stderr


def tls_probe(state: Path, host: str, addr: str, verify: bool = False,
              version: str = "any") -> dict[str, str]:
    mode = "verify" if verify else "none"
    out = cli([sys.executable, "-W", "ignore", "-c", PROBE, host, addr, "443", mode, version,
               str(state / "ca" / "root.pem")])
    result: dict[str, str] = json.loads(out.strip().splitlines()[-1])
    return result


def http_get(host: str, addr: str, path: str = "/") -> dict[str, str]:
    result: dict[str, str] = json.loads(cli([sys.executable, "-c", HTTP, host, addr, path]))
    return result


def test_good_server_modern_tls_and_headers(lab: tuple[list[WebServer], Path]) -> None:
    _, state = lab
    for addr in ("198.18.1.1", "2001:db8:1::1"):
        ok = tls_probe(state, "www.good.test", addr, verify=True)
        assert ok["version"] == "TLSv1.3", ok
        assert "Strict-Transport-Security: max-age=31536000" in ok["response"]
        assert "X-Frame-Options: DENY" in ok["response"]
        assert "www.good.test" in ok["response"]
        assert tls_probe(state, "good.test", addr, version="TLSv1_2")["version"] == "TLSv1.2"
        assert "error" in tls_probe(state, "good.test", addr, version="TLSv1_1")


def test_redirects(lab: tuple[list[WebServer], Path]) -> None:
    good = http_get("www.good.test", "198.18.1.1", "/x?y=1")["response"]
    assert good.startswith("HTTP/1.1 301")
    assert "Location: https://www.good.test/x?y=1" in good
    other = http_get("www.other.test", "2001:db8:1::7")["response"]
    assert "Location: https://other.test/" in other


def test_security_txt(lab: tuple[list[WebServer], Path]) -> None:
    text = http_get("plain.test", "198.18.1.3", "/.well-known/security.txt")["response"]
    assert "Contact: mailto:security@plain.test" in text
    assert "Content-Type: text/plain" in text


def test_ocsp_staple(lab: tuple[list[WebServer], Path]) -> None:
    _, state = lab
    out = cli(["openssl", "s_client", "-connect", "198.18.1.1:443", "-servername", "good.test",
               "-status", "-CAfile", str(state / "ca" / "root.pem")])
    assert "OCSP Response Status: successful" in out
    assert "Cert Status: good" in out
    assert "Verify return code: 0 (ok)" in out


def test_legacy_tls10(lab: tuple[list[WebServer], Path]) -> None:
    _, state = lab
    assert tls_probe(state, "legacy.test", "198.18.1.2", version="TLSv1")["version"] == "TLSv1"
    assert "error" in tls_probe(state, "legacy.test", "198.18.1.2", version="TLSv1_2")


def test_no_https_and_ipv6_other_site(lab: tuple[list[WebServer], Path]) -> None:
    _, state = lab
    assert "error" in tls_probe(state, "plain.test", "198.18.1.3")
    v4 = http_get("plain.test", "198.18.1.3")["response"]
    v6 = http_get("plain.test", "2001:db8:1::3")["response"]
    assert v4.startswith("HTTP/1.1 200") and "plain.test" in v4
    assert v6.startswith("HTTP/1.1 200") and "Another site" in v6


def test_bad_certificates(lab: tuple[list[WebServer], Path]) -> None:
    _, state = lab
    expired = tls_probe(state, "expired.test", "198.18.1.4", verify=True)
    assert "certificate has expired" in expired["error"]
    assert tls_probe(state, "expired.test", "198.18.1.4")["version"] == "TLSv1.3"
    sha1 = tls_probe(state, "sha1.test", "198.18.1.5", verify=True)
    assert "version" in sha1  # the probe allows SECLEVEL=0, so SHA-1 verifies
    strict = cli(["openssl", "s_client", "-connect", "198.18.1.5:443", "-servername",
                  "sha1.test", "-CAfile", str(state / "ca" / "root.pem"), "-auth_level", "1"])
    assert "Verify return code: 0" not in strict


def test_openssl_client_renegotiation(lab: tuple[list[WebServer], Path]) -> None:
    _, state = lab
    for addr in ("198.18.1.6", "[2001:db8:1::6]"):
        ok = tls_probe(state, "reneg.test", addr.strip("[]"), verify=True)
        assert ok["version"] == "TLSv1.2" and "200 ok" in ok["response"], ok
        assert renegotiate(f"{addr}:443", "reneg.test"), addr
    assert not renegotiate("198.18.1.1:443", "good.test")  # nginx refuses it
    assert "Location: https://" in http_get("reneg.test", "198.18.1.6")["response"]


def renegotiate(target: str, host: str) -> bool:
    """True when a client-initiated renegotiation succeeds (TLS 1.2, s_client 'R')."""
    script = (f"(echo R; sleep 1; printf 'GET / HTTP/1.0\\r\\n\\r\\n'; sleep 1) | "
              f"openssl s_client -connect {target} -servername {host} -tls1_2 "
              f"-legacy_server_connect 2>&1")
    out = cli(["sh", "-c", script])
    return "RENEGOTIATING" in out and "HTTP/1.0 200" in out and "alert" not in out.lower()


def test_weak_dhe_group(lab: tuple[list[WebServer], Path]) -> None:
    out = cli(["openssl", "s_client", "-connect", "198.18.1.9:443", "-servername", "dhe.test",
               "-cipher", "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0", "-tls1_2"])
    assert "Server Temp Key: DH, 1024 bits" in out, out[-2000:]
    assert "error" in http_get("dhe.test", "198.18.1.9")


def test_loop_and_huge_body(lab: tuple[list[WebServer], Path]) -> None:
    _, state = lab
    first = tls_probe(state, "loop.test", "198.18.1.11", verify=True)["response"]
    assert first.startswith("HTTP/1.1 301") and "Location: https://loop.test/?loop=" in first
    plain = http_get("loop.test", "198.18.1.11")["response"]
    assert "Location: https://loop.test/" in plain
    huge = http_get("huge.test", "198.18.1.10")["response"]
    assert huge.startswith("HTTP/1.1 200") and len(huge) > 10_000_000
    missing = http_get("huge.test", "198.18.1.10", "/.well-known/security.txt")["response"]
    assert missing.startswith("HTTP/1.1 404")
    conf = (state / "web" / "nginx.conf").read_text()
    assert "huge.html" in conf and (state / "web" / "huge.html").stat().st_size > 10_000_000
    assert "0.0.0.0" not in conf and "listen 80" not in conf and "listen [::]" not in conf
