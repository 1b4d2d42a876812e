"""Handshakes without a server name, shared by the names on one address (probe/tls.py,
probe/scan_sharing.py), against a lab web server that serves several sites: the second
name's scan reuses the first's SSLv2 and SSLv3 outcome, makes two handshakes fewer, and
judges those versions as a scan of its own makes them; another address shares nothing."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab

SCRIPT = """
import asyncio, json, sys
from meting.settings import load
from meting.probe import scan_sharing
from meting.probe.tls import scan_address

async def main(address, other, names):
    settings = load()
    async def scan(addr, name):
        return await scan_address(addr, 443, name, starttls=None, settings=settings, kind="web")
    alone = await scan(address, names[1])
    shared = scan_sharing.SharedScans(600)
    with scan_sharing.use(shared):
        first = await scan(address, names[0])
        second = await scan(address, names[1])
        elsewhere = await scan(other, names[1]) if other else None
    return {"alone": alone, "first": first, "second": second, "elsewhere": elsewhere,
            "hits": shared.nameless_hits}

print(json.dumps(asyncio.run(main(*json.load(sys.stdin)))))
"""


def shared_site(plan: dict[str, Any]) -> tuple[str, list[str], str | None]:
    """An nginx web server's IPv4 address with two of its sites, and its IPv6 address."""
    for web in plan["web_servers"].values():
        if web.get("software") == "nginx" and len(web["sites"]) >= 2 and web["ipv4"] \
                and web.get("tls"):
            other = web["ipv6"][0] if web.get("ipv6") else None
            return web["ipv4"][0], web["sites"][:2], other
    raise AssertionError("the lab has no web server with two sites on one address")


@pytest.fixture(scope="module")
def scans(lab: Lab) -> dict[str, Any]:
    address, names, other = shared_site(lab.plan)
    # the default step timeout (5 s): the scans are compared handshake for handshake,
    # so none may time out on a busy machine
    done = lab.run("env", f"METING_TRUST_STORE={lab.trust_store}", sys.executable, "-c", SCRIPT,
                   stdin=json.dumps([address, other, names]), timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    found: dict[str, Any] = json.loads(done.stdout)
    found["other"] = other
    return found


def test_the_second_name_reuses_the_handshakes_that_carry_no_name(
        scans: dict[str, Any]) -> None:
    first, second = scans["first"], scans["second"]
    assert "versions_shared" not in first
    assert set(second["versions_shared"]) == {"SSLv3", "SSLv2"}
    assert all(when >= first["scanned_at"] for when in second["versions_shared"].values())
    assert second["handshakes"] == scans["alone"]["handshakes"] - 2
    assert scans["hits"] >= 2


def test_a_shared_outcome_is_what_the_name_gets_on_its_own(scans: dict[str, Any]) -> None:
    alone, second = scans["alone"], scans["second"]
    assert "versions_shared" not in alone
    assert second["versions"] == alone["versions"]
    assert {v: alone["versions"][v] for v in ("SSLv3", "SSLv2")} == {"SSLv3": False,
                                                                     "SSLv2": False}
    assert second["ciphers"] == alone["ciphers"]


def test_another_address_of_the_same_name_shares_nothing(scans: dict[str, Any]) -> None:
    if scans["other"] is None:
        pytest.fail("the lab's shared web server has no IPv6 address to compare with")
    elsewhere = scans["elsewhere"]
    assert elsewhere["connected"] and "versions_shared" not in elsewhere
    assert elsewhere["handshakes"] == scans["alone"]["handshakes"]
