"""The lab's web, mail and hostile servers behave as configured, seen from the scanner."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab

VERSIONS = {"TLSv1": "-tls1", "TLSv1.1": "-tls1_1", "TLSv1.2": "-tls1_2", "TLSv1.3": "-tls1_3"}


def target(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def handshake(lab: Lab, address: str, port: int, *flags: str, host: str = "") -> str:
    # SECLEVEL=0 lets the client speak TLS 1.0/1.1 (SHA-1 signatures) when asked to
    argv = ["openssl", "s_client", "-connect", target(address, port),
            "-CAfile", lab.trust_store, "-cipher", "ALL:@SECLEVEL=0", *flags]
    if "-status" not in flags:
        argv.append("-brief")
    if host:
        argv += ["-servername", host, "-verify_hostname", host]
    result = lab.run(*argv, stdin="Q\n", timeout=15)
    return result.stdout + result.stderr


def tcp(lab: Lab, keys: list[str]) -> dict[str, bool]:
    out = lab.run(sys.executable, "-m", "meting.lab.health", stdin=json.dumps(keys))
    result: dict[str, bool] = json.loads(out.stdout)
    return result


def web_servers(lab: Lab, *software: str) -> list[dict[str, Any]]:
    return [w for w in lab.plan["web_servers"].values()
            if w["software"] in software and w["sites"]]


def test_tls_versions_are_accepted_or_refused_as_configured(lab: Lab) -> None:
    for w in web_servers(lab, "nginx", "openssl"):
        if not w["tls"]:
            continue
        host = w["sites"][0]
        for version, flag in VERSIONS.items():
            out = handshake(lab, w["ipv4"][0], 443, flag, host=host)
            accepted = "Protocol version:" in out
            assert accepted == (version in w["tls"]["protocols"]), (w["name"], version, out)


def test_certificates_verify_only_where_they_should(lab: Lab) -> None:
    for w in web_servers(lab, "nginx", "openssl"):
        if not w["tls"]:
            continue
        out = handshake(lab, w["ipv4"][0], 443, "-verify_return_error", "-auth_level", "1",
                        host=w["sites"][0])
        verified = "Verification: OK" in out or "Verify return code: 0 (ok)" in out
        assert verified == (w["cert"]["kind"] == "valid"), (w["name"], out)


def test_ocsp_is_stapled_where_configured(lab: Lab) -> None:
    w = lab.plan["web_servers"]["perfect"]
    out = handshake(lab, w["ipv4"][0], 443, "-status", host=w["sites"][0])
    assert "OCSP Response Status: successful" in out


def test_https_and_ipv6_listen_where_configured(lab: Lab) -> None:
    expect: dict[str, bool] = {}
    for w in web_servers(lab, "nginx", "openssl"):
        for address in w["ipv4"] + w["ipv6"]:
            expect[f"tcp:{address}:443"] = bool(w["tls"])
            expect[f"tcp:{address}:80"] = w["http"] != "none"
        for address in w["ipv6_dead"]:
            expect[f"tcp:{address}:443"] = expect[f"tcp:{address}:80"] = False
    assert tcp(lab, sorted(expect)) == expect


def test_http_redirects_as_configured(lab: Lab) -> None:
    cases = {"perfect": "https://www.perfect.nl/",
             "other-host-first": "https://eerst-andere-host.nl/"}
    for name, location in cases.items():
        w = lab.plan["web_servers"][name]
        host = w["sites"][0]
        out = lab.run(sys.executable, "-c", (
            "import http.client,sys;c=http.client.HTTPConnection(sys.argv[1],80,timeout=5);"
            "c.request('GET','/',headers={'Host':sys.argv[2]});r=c.getresponse();"
            "print(r.status, r.getheader('Location'))"), w["ipv4"][0], host).stdout
        assert out.split() == ["301", location], (name, out)


HEAD_SCRIPT = """
import socket, ssl, sys
address, host, cafile = sys.argv[1:4]
ctx = ssl.create_default_context(cafile=cafile)
with socket.create_connection((address, 443), 5) as raw:
    with ctx.wrap_socket(raw, server_hostname=host) as tls:
        tls.sendall(f"GET / HTTP/1.1\\r\\nHost: {host}\\r\\nConnection: close\\r\\n\\r\\n".encode())
        data = b""
        while b"\\r\\n\\r\\n" not in data and len(data) < 65536:
            chunk = tls.recv(4096)
            if not chunk:
                break
            data += chunk
print(data.split(b"\\r\\n\\r\\n")[0].decode())
"""


def test_hsts_header_as_configured(lab: Lab) -> None:
    for name, expected in [("perfect", "max-age=31536000"), ("hsts-6m", "max-age=15768000"),
                           ("no-hsts", None)]:
        w = lab.plan["web_servers"][name]
        out = lab.run(sys.executable, "-c", HEAD_SCRIPT, w["ipv4"][0], w["sites"][0],
                      lab.trust_store).stdout
        hsts = [line for line in out.splitlines() if line.lower().startswith("strict-transport")]
        assert (hsts[0].split(": ", 1)[1] if hsts else None) == expected, (name, out)


def test_starttls_is_offered_as_configured(lab: Lab) -> None:
    for ms in lab.plan["mail_servers"].values():
        if ms["software"] != "postfix":
            continue
        for address in ms["ipv4"] + ms["ipv6"]:
            out = handshake(lab, address, 25, "-starttls", "smtp")
            assert ("Protocol version:" in out) == ms["starttls"], (ms["name"], out)


def test_tls10_only_mail_server(lab: Lab) -> None:
    ms = lab.plan["mail_servers"]["tls10-only"]
    address = ms["ipv4"][0]
    assert "Protocol version: TLSv1\n" in handshake(lab, address, 25, "-starttls", "smtp",
                                                     "-tls1")
    assert "Protocol version" not in handshake(lab, address, 25, "-starttls", "smtp", "-tls1_2")


def test_mail_ipv6_listens_where_configured(lab: Lab) -> None:
    expect: dict[str, bool] = {}
    for ms in lab.plan["mail_servers"].values():
        for address in ms["ipv4"] + ms["ipv6"]:
            expect[f"tcp:{address}:25"] = True
        for address in ms["ipv6_dead"]:
            expect[f"tcp:{address}:25"] = False
    assert tcp(lab, sorted(expect)) == expect


def test_hostile_servers_misbehave(lab: Lab) -> None:
    silent = lab.plan["web_servers"]["silent"]["ipv4"][0]
    garbage = lab.plan["web_servers"]["tls-garbage"]["ipv4"][0]
    slow = lab.plan["mail_servers"]["slow-banner"]["ipv4"][0]
    script = (
        "import socket,sys\n"
        "def first(addr, port):\n"
        "    s = socket.create_connection((addr, port), 3); s.settimeout(2)\n"
        "    try:\n"
        "        return s.recv(64)\n"
        "    except TimeoutError:\n"
        "        return b'<silent>'\n"
        "for a, p in ((sys.argv[1], 443), (sys.argv[2], 443), (sys.argv[3], 25)):\n"
        "    print(first(a, p).hex() or 'closed')\n")
    out = lab.run(sys.executable, "-c", script, silent, garbage, slow).stdout
    silent_answer, garbage_answer, slow_answer = out.split()
    quiet = b"<silent>".hex()
    assert silent_answer == quiet
    assert garbage_answer not in (quiet, "closed")
    assert not garbage_answer.startswith("1603")  # not a TLS handshake record
    assert slow_answer == quiet
    assert "Protocol version" not in handshake(lab, garbage, 443)


def test_status_reports_every_scenario_healthy(lab: Lab) -> None:
    from meting.lab import lab as lab_module

    report = lab_module.status()
    assert report["healthy"], [s["name"] for s in report["scenarios"] if not s["healthy"]]
    names = {s["name"] for s in report["scenarios"]}
    assert "perfect" in names and "hostile-silent-port" in names
    perfect = next(s for s in report["scenarios"] if s["name"] == "perfect")
    assert perfect["web_host"] == "www.perfect.nl"
    assert perfect["expected"]["web"]["tls_ncsc_web"] == "passed"
