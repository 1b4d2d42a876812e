"""The HTTP probe against the lab's real and hostile web servers."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab

SCRIPT = """
import asyncio, json, sys
from meting.probe.http import fetch
address, host, tls, path, timeout, limit = sys.argv[1:7]
r = asyncio.run(fetch(address, host, tls=tls == "1", path=path, timeout=float(timeout),
                      limit=int(limit)))
print(json.dumps(r.to_dict()))
"""


def fetch(lab: Lab, server: str, *, v6: bool = False, tls: bool = True, path: str = "/",
          timeout: float = 5, limit: int = 65536) -> dict[str, Any]:
    w = lab.plan["web_servers"][server]
    address = (w["ipv6"] if v6 else w["ipv4"])[0]
    out = lab.run(sys.executable, "-c", SCRIPT, address, w["sites"][0], "1" if tls else "0",
                  path, str(timeout), str(limit), timeout=timeout + 20)
    assert out.returncode == 0, out.stderr
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def test_same_site_over_ipv4_and_ipv6(lab: Lab) -> None:
    v4, v6 = fetch(lab, "perfect"), fetch(lab, "perfect", v6=True)
    assert v4["status"] == v6["status"] == 200
    assert "www.perfect.nl" in v4["body"] and v4["body"] == v6["body"]
    assert ["Strict-Transport-Security", "max-age=31536000"] in v4["headers"]


def test_other_site_over_ipv6(lab: Lab) -> None:
    v4, v6 = fetch(lab, "v6-other-site"), fetch(lab, "v6-other-site", v6=True)
    assert v4["status"] == v6["status"] == 200
    assert v4["body"] != v6["body"]


def test_plain_http_redirects(lab: Lab) -> None:
    r = fetch(lab, "perfect", tls=False)
    assert r["status"] == 301
    assert ["Location", "https://www.perfect.nl/"] in r["headers"]


def test_huge_body_is_read_up_to_the_bound(lab: Lab) -> None:
    r = fetch(lab, "huge-body", limit=100_000)
    assert r["status"] == 200 and r["truncated"] is True
    assert r["body_bytes"] == 100_000


def test_security_txt_is_served(lab: Lab) -> None:
    r = fetch(lab, "perfect", path="/.well-known/security.txt")
    assert r["status"] == 200 and "Contact:" in r["body"] and "Expires:" in r["body"]
    assert fetch(lab, "sectxt-missing", path="/.well-known/security.txt")["status"] == 404


def test_hostile_servers_end_in_bounded_time_with_an_error(lab: Lab) -> None:
    silent = fetch(lab, "silent", timeout=2)
    assert silent["status"] == 0 and "2 s" in silent["error"]
    assert silent["elapsed_ms"] < 4000
    garbage = fetch(lab, "tls-garbage", timeout=2)
    assert garbage["status"] == 0 and garbage["error"]
