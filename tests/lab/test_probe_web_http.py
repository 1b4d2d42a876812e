"""The HTTP evidence of the web test (probe/web_http.py) against the lab's real and
hostile web servers: bounded on the 10 MB page and the endless redirects, and telling a
closed port from a server that never completes a handshake."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from meting.probe.web_http import MAX_HOPS, SECURITY_TXT_LIMIT
from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab

SCRIPT = """
import asyncio, json, sys
from meting.probe.dns import DnsClient
from meting.probe.web_http import collect_http
from meting.settings import load

host, timeout, *addresses = sys.argv[1:]
found = asyncio.run(collect_http(host, addresses, DnsClient(load()), float(timeout)))
print(json.dumps(found))
"""


def collect(lab: Lab, server: str, timeout: float = 3) -> tuple[dict[str, Any], int]:
    """The HTTP evidence of the server's first site on all its addresses, and its JSON size."""
    w = lab.plan["web_servers"][server]
    out = lab.run("env", f"METING_RESOLVER={lab.info['resolver']}", sys.executable, "-c",
                  SCRIPT, w["sites"][0], str(timeout), *w["ipv4"], *w["ipv6"], timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    found: dict[str, Any] = json.loads(out.stdout)
    assert set(found) == set(w["ipv4"] + w["ipv6"])
    return found, len(out.stdout)


def test_good_site_on_every_address(lab: Lab) -> None:
    found, _ = collect(lab, "perfect")
    assert len(found) == 2  # IPv4 and IPv6
    for entry in found.values():
        assert entry["https"]["status"] == 200
        assert entry["http"]["end"] == "answer"
        assert [h["status"] for h in entry["http"]["hops"]] == [301, 200]
        assert entry["http"]["hops"][1]["url"] == "https://www.perfect.nl/"
        assert entry["security_txt"]["status"] == 200
        assert entry["security_txt"]["content_type"].startswith("text/plain")
        assert "Contact: mailto:" in entry["security_txt"]["body"]
        # nginx keeps the connection: security.txt makes the handshake, / goes on it
        assert [h["kept"] for h in entry["security_txt"]["hops"]] == [False]
        assert entry["https"]["kept"] is True


def test_huge_body_ends_with_bounded_evidence(lab: Lab) -> None:
    found, size = collect(lab, "huge-body")
    (entry,) = found.values()
    assert entry["https"]["status"] == 200 and entry["https"]["truncated"] is True
    assert entry["https"]["body_bytes"] == 0  # headers are what counts; the body is not kept
    assert entry["http"]["hops"][-1]["status"] == 200
    assert size < SECURITY_TXT_LIMIT + 16_384


def test_redirect_loop_ends_after_the_hop_limit(lab: Lab) -> None:
    found, size = collect(lab, "redirect-loop")
    (entry,) = found.values()
    chain = entry["http"]
    assert chain["end"] == "too_many_redirects"
    assert len(chain["hops"]) == MAX_HOPS + 1
    assert chain["hops"][0]["location"].startswith("https://www.doorverwijslus.nl/")
    assert all(h["status"] == 301 for h in chain["hops"])
    txt = entry["security_txt"]
    assert txt["end"] == "too_many_redirects" and len(txt["hops"]) == MAX_HOPS + 1
    # every redirect after the first to the same host goes on the kept connection
    kept = [h["kept"] for h in txt["hops"] if "://www.doorverwijslus.nl/" in h["url"]]
    assert kept[0] is False and all(kept[1:]) and len(kept) > 1
    assert size < 32_768


def test_closed_port_is_refused_not_an_error(lab: Lab) -> None:
    found, _ = collect(lab, "no-https")
    for entry in found.values():
        assert entry["https"]["failure"] == "refused"
        assert entry["http"]["hops"][0]["status"] == 200


@pytest.mark.parametrize("server", ["silent", "tls-garbage"])
def test_no_handshake_is_a_tls_failure(lab: Lab, server: str) -> None:
    found, _ = collect(lab, server, timeout=2)
    (entry,) = found.values()
    assert entry["https"]["status"] == 0 and entry["https"]["failure"] == "tls"
    assert entry["security_txt"]["end"] == "failure"


def test_dead_ipv6_address_refuses_both_ports(lab: Lab) -> None:
    w = lab.plan["web_servers"]["aaaa-dead"]
    out = lab.run("env", f"METING_RESOLVER={lab.info['resolver']}", sys.executable, "-c",
                  SCRIPT, w["sites"][0], "2", *w["ipv6_dead"], timeout=60)
    (entry,) = json.loads(out.stdout).values()
    assert entry["https"]["failure"] == "refused"
    assert entry["http"]["hops"][0]["failure"] == "refused"
    assert entry["security_txt"]["end"] == "failure"


def test_security_txt_redirect_is_followed_over_https(lab: Lab) -> None:
    found, _ = collect(lab, "sectxt-redirected")
    for entry in found.values():
        txt = entry["security_txt"]
        assert [h["status"] for h in txt["hops"]] == [301, 200]
        assert txt["hops"][1]["url"].endswith("/security.txt")
        assert txt["end"] == "answer" and "Expires:" in txt["body"]
