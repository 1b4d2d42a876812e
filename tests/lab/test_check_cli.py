"""`meting check` as a person uses it in the lab: names as typed, names that do not
exist, the report's words in two languages, exit statuses, evidence as a table, and a
name that points at the scanner itself refused without a connection."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from meting.lab import netns
from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab


def check(lab: Lab, *args: str) -> subprocess.CompletedProcess[str]:
    """`meting check` in the scanner namespace with the lab's settings (`meting lab exec`)."""
    assert lab.scan
    return subprocess.run([sys.executable, "-m", "meting.cli", "lab", "exec", "--",
                           sys.executable, "-m", "meting.cli", "check", *args],
                          capture_output=True, text=True, timeout=180, check=False)


@pytest.mark.parametrize(("kind", "typed", "tested"), [
    ("web", "https://WWW.Perfect.NL./contact?x=1", "www.perfect.nl"),
    ("web", "www.perfect.nl:443/pad", "www.perfect.nl"),
    ("mail", "Info@Perfect.NL", "perfect.nl"),
])
def test_names_as_people_type_them(lab: Lab, kind: str, typed: str, tested: str) -> None:
    result = check(lab, kind, typed, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["target"], data["typed"]) == (tested, typed)
    assert {v["status"] for v in data["columns"].values()} == {"passed"}
    table = check(lab, kind, typed)
    assert f"Getest: {tested} (uit {typed!r})" in table.stdout


@pytest.mark.parametrize(("kind", "name"), [("web", "www.bestaat-niet.nl"),
                                            ("mail", "bestaat-niet.nl"),
                                            ("web", "www.bestaat-ook-niet.example")])
def test_a_name_that_does_not_exist_is_said_and_exits_2(lab: Lab, kind: str,
                                                       name: str) -> None:
    for lang, words in (("nl", f"{name} bestaat niet"), ("en", f"{name} does not exist")):
        result = check(lab, kind, name, "--lang", lang, "--json")
        assert result.returncode == 2, result.stdout + result.stderr
        assert words in result.stderr and "NXDOMAIN" in result.stderr
        assert result.stdout == "" and "Traceback" not in result.stderr


def test_columns_named_as_the_report_names_them_with_ids_in_json(lab: Lab) -> None:
    nl = check(lab, "web", "www.perfect.nl")
    en = check(lab, "web", "www.perfect.nl", "--lang", "en")
    assert nl.returncode == en.returncode == 0
    assert "HTTPS-doorverwijzing" in nl.stdout and "geslaagd" in nl.stdout
    assert "HTTPS redirect" in en.stdout and "passed" in en.stdout
    assert "tls_available" not in nl.stdout + en.stdout
    data = json.loads(check(lab, "web", "www.perfect.nl", "--json").stdout)
    assert data["columns"]["tls_available"]["name"] == {"nl": "HTTPS", "en": "HTTPS"}
    assert data["subtests"]["cert_trust"]["name"]["en"] == "Trusted certificate chain"


def test_exit_1_when_a_column_fails_with_advice_in_the_language_asked(lab: Lab) -> None:
    result = check(lab, "web", "www.verlopen-certificaat.nl", "--lang", "en", "--json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["columns"]["tls_ncsc_web"]["status"] == "failed"
    text = data["subtests"]["cert_trust"]["explanation"]["en"]
    assert "expired on" in text and "What to do:" in text and "https://" in text
    assert check(lab, "web", "www.verlopen-certificaat.nl").returncode == 1


def test_usage_errors_exit_2(lab: Lab) -> None:
    for args in (("web", "www.perfect.nl", "--lang", "de"), ("web", "https://198.18.0.5/"),
                 ("web",), ("web", "exa mple.nl")):
        result = check(lab, *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr


def test_evidence_is_shown_with_the_table(lab: Lab) -> None:
    result = check(lab, "mail", "perfect.nl", "--evidence")
    assert result.returncode == 0, result.stderr
    assert "Bewijs per server" in result.stdout
    assert "mx.perfect.nl" in result.stdout and "STARTTLS aangeboden" in result.stdout
    assert "certificaat" in result.stdout and "naamserver" in result.stdout


LISTENER = """
import socket, sys, threading
log = open(sys.argv[1], "a", buffering=1)
servers = []
for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    for port in (25, 80, 443):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port)); s.listen(50); servers.append(s)
def serve(s):
    while True:
        conn, peer = s.accept()
        log.write(f"{s.getsockname()[1]} {peer[0]}\\n"); conn.close()
for s in servers:
    threading.Thread(target=serve, args=(s,), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
"""


def test_a_name_pointing_at_the_scanner_itself_is_refused_without_a_connection(
        lab: Lab, tmp_path: Path) -> None:
    """www.intern-adres.nl resolves to 127.0.0.1 and ::1; a listener on those addresses
    in the scanner namespace records every connection it accepts."""
    log = tmp_path / "connects.log"
    listener = subprocess.Popen(netns.exec_argv(lab.scan, [sys.executable, "-c", LISTENER,
                                                           str(log)]),
                                stdout=subprocess.PIPE, text=True)
    try:
        assert listener.stdout is not None and listener.stdout.readline().strip() == "ready"
        probe = lab.run(sys.executable, "-c", "import socket; "
                        "socket.create_connection(('127.0.0.1', 443), timeout=5).close()")
        assert probe.returncode == 0, probe.stderr
        assert wait_for_lines(log, 1) == ["443 127.0.0.1"]  # the listener does count
        result = check(lab, "web", "www.intern-adres.nl", "--json", "--evidence")
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
    finally:
        listener.kill()
        listener.wait()
    assert log.read_text().splitlines() == ["443 127.0.0.1"]  # nothing from meting
    expected = lab.scenario("private-address")["expected_web"]
    assert {c: v["status"] for c, v in data["columns"].items()} == expected
    assert data["evidence"]["refused"] == {"127.0.0.1": "loopback", "::1": "loopback"}
    text = data["columns"]["tls_available"]["explanation"]
    assert "loopback" in text["nl"] and "does not connect to such addresses" in text["en"]


def wait_for_lines(path: Path, count: int) -> list[str]:
    import time

    for _ in range(100):
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count:
            return lines
        time.sleep(0.05)
    return path.read_text().splitlines() if path.exists() else []
