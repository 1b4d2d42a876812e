"""The economical TLS prober against sslyze's full enumeration, on every lab web and mail
server: the same preconditions, subtest statuses and tls_ncsc column under every shipped
norm and under a test norm that splits a class differently, with fewer handshakes; a
test norm that splits one of the probe's buckets is refused exactly where that bucket was
accepted; and the economical scan's findings on the servers built to show them."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from meting import norms
from meting.checks import tls_ncsc
from meting.evidence.models import TlsScan
from meting.lab import netns
from meting.norms import Norm, resolution
from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab

SCRIPT = """
import asyncio, json, sys
from meting.settings import load
from meting.probe.tls import scan_address
from meting.probe.tls_full import full_scan_address

async def main(servers):
    out = {}
    for key, (address, port, name, timeout) in servers.items():
        settings = load({"connect_timeout": timeout} if timeout else {})
        st = "smtp" if port == 25 else None
        kind = "mail" if st else "web"
        cheap = await scan_address(address, port, name, starttls=st, settings=settings, kind=kind)
        full = await full_scan_address(address, port, name, starttls=st, settings=settings,
                                       kind=kind)
        out[key] = [cheap, full]
    return out

print(json.dumps(asyncio.run(main(json.load(sys.stdin)))))
"""
# `openssl s_server` answers one connection at a time, and sslyze opens several at once:
# on a busy machine the queued ones time out and the baseline misses suites. Those
# servers get a longer network timeout; it changes nothing of what either scan asks.
SINGLE_THREADED = {"openssl"}
SINGLE_THREADED_TIMEOUT = 15.0
# nginx and Postfix answer at once; every other server (the hostile ones, `openssl
# s_server`) makes a scan wait for timeouts, about a minute in all. Those are scanned by
# a second scanner process at the same time as the first: it waits, taking no CPU from
# the other, and each server is still scanned by one scanner, both ways in turn.
ANSWERS_AT_ONCE = {"nginx", "postfix"}


PRECONDITIONS = ("connected", "starttls_offered")
TEST_NORMS = Path(__file__).parents[1] / "unit" / "data" / "norms"


def norm_of(name: str) -> Norm:
    """A shipped norm version, or a test norm file of tests/unit/data/norms."""
    if name in norms.versions():
        return norms.load(name)
    return norms.as_data(norms.load_file(TEST_NORMS / f"{name}.yaml"))


Server = tuple[str, int, str, float | None]  # address, port, server name, timeout


def timeout_for(server: dict[str, Any]) -> float | None:
    return SINGLE_THREADED_TIMEOUT if server.get("software") in SINGLE_THREADED else None


def servers(plan: dict[str, Any]) -> dict[str, Server]:
    found: dict[str, Server] = {}
    for name, web in plan["web_servers"].items():
        if web["sites"] and web["ipv4"]:
            found[f"web:{name}"] = (web["ipv4"][0], 443, web["sites"][0], timeout_for(web))
    for name, mx in plan["mail_servers"].items():
        if mx["ipv4"]:
            found[f"mail:{name}"] = (mx["ipv4"][0], 25, mx["hostname"], timeout_for(mx))
    return found


def waiting(plan: dict[str, Any]) -> set[str]:
    """The servers (keys as in `servers`) that do not answer at once."""
    return {f"{kind}:{name}" for kind in ("web", "mail")
            for name, server in plan[f"{kind}_servers"].items()
            if server.get("software") not in ANSWERS_AT_ONCE}


def scan(lab: Lab, targets: dict[str, Server]) -> dict[str, list[dict[str, Any]]]:
    slow = waiting(lab.plan)
    parts = [part for part in ({k: v for k, v in targets.items() if k not in slow},
                               {k: v for k, v in targets.items() if k in slow}) if part]
    env = [f"METING_TRUST_STORE={lab.trust_store}", "METING_CONNECT_TIMEOUT=3",
           "METING_SMTP_BANNER_TIMEOUT=5"]
    argv = netns.exec_argv(lab.scan, ["env", *env, sys.executable, "-c", SCRIPT])
    scanners = []
    for part in parts:
        with tempfile.TemporaryFile("w+") as given:
            json.dump(part, given)
            given.seek(0)
            scanners.append(subprocess.Popen(argv, stdin=given, stdout=subprocess.PIPE,
                                             stderr=subprocess.PIPE, text=True))
    result: dict[str, list[dict[str, Any]]] = {}
    try:
        for scanner in scanners:
            out, err = scanner.communicate(timeout=900)
            assert scanner.returncode == 0, err[-3000:]
            result |= json.loads(out)
    finally:
        for scanner in scanners:
            if scanner.poll() is None:
                scanner.kill()
                scanner.wait()
    return result


@pytest.fixture(scope="module")
def scans(lab: Lab) -> dict[str, list[dict[str, Any]]]:
    return scan(lab, servers(lab.plan))


def statuses(scan: dict[str, Any], kind: str, host: str, norm: Norm) -> dict[str, str]:
    if not scan["connected"] or not scan.get("versions") or scan["handshake_error"]:
        return {}
    model = TlsScan.model_validate_json(json.dumps(scan))
    subtests = tls_ncsc.judge_server(model, norm, kind=kind, host=host)
    column = tls_ncsc.tls_ncsc_column(subtests)
    return {k: str(v.status) for k, v in subtests.items()} | {"column": str(column.status)}


def test_every_server_was_scanned_both_ways(lab: Lab,
                                            scans: dict[str, list[dict[str, Any]]]) -> None:
    assert set(scans) == set(servers(lab.plan))
    assert all(s["mode"] == m for cheap, full in scans.values()
               for s, m in ((cheap, "economical"), (full, "full")))


def differences(scans: dict[str, list[dict[str, Any]]], norm: Norm) -> dict[str, Any]:
    found = {}
    for key, (cheap, full) in scans.items():
        kind, host = key.split(":")[0], cheap["server_name"]
        assert resolution.problems(cheap, norm) == [], key
        pre = ({k: cheap[k] for k in PRECONDITIONS}, bool(cheap["handshake_error"]))
        pre_full = ({k: full[k] for k in PRECONDITIONS}, bool(full["handshake_error"]))
        judged = statuses(cheap, kind, host, norm), statuses(full, kind, host, norm)
        if pre != pre_full or judged[0] != judged[1]:
            found[key] = {"economical": (pre, judged[0]), "full": (pre_full, judged[1]),
                          "sslyze_error": full.get("sslyze_error")}
    return found


@pytest.mark.parametrize("norm_name", [*norms.versions(), "split-class"])
def test_economical_and_full_scans_judge_the_same(
        lab: Lab, scans: dict[str, list[dict[str, Any]]], norm_name: str) -> None:
    """A server judged differently is scanned both ways once more, on its own: a real
    difference stays, one from connections that timed out while the machine was busy
    (the full scan's many parallel handshakes) does not. Both rounds are reported."""
    norm = norm_of(norm_name)
    first = differences(scans, norm)
    if not first:
        return
    targets = servers(lab.plan)
    again = differences(scan(lab, {k: targets[k] for k in first}), norm)
    assert again == {}, {"first": first, "again": again}


def test_the_split_class_norm_judges_differently_where_aes128_is_accepted(
        scans: dict[str, list[dict[str, Any]]]) -> None:
    """The test norm would pass unnoticed if no lab server told AES-128 apart."""
    changed = {k for k, (cheap, _) in scans.items()
               if statuses(cheap, k.split(":")[0], cheap["server_name"], norm_of("2025"))
               != statuses(cheap, k.split(":")[0], cheap["server_name"],
                           norm_of("split-class"))}
    assert {"web:perfect", "mail:perfect"} <= changed


def test_a_norm_that_splits_a_bucket_is_refused_where_the_bucket_was_accepted(
        scans: dict[str, list[dict[str, Any]]]) -> None:
    norm = norm_of("split-bucket")
    for key, (cheap, full) in scans.items():
        accepted = "nist-p" in (cheap.get("groups_accepted") or {})
        found = resolution.problems(cheap, norm)
        assert bool(found) == accepted, (key, found)
        if accepted:
            assert "group bucket nist-p" in found[0]
        assert resolution.problems(full, norm) == []  # the full scan lists every group


def test_economical_scan_needs_far_fewer_handshakes(
        scans: dict[str, list[dict[str, Any]]]) -> None:
    completed = {k: (c["handshakes"], f["handshakes"]) for k, (c, f) in scans.items()
                 if c.get("versions") and not c["handshake_error"]}
    assert completed
    assert all(cheap * 10 < full for cheap, full in completed.values()), completed
    assert all(cheap <= 40 for cheap, _ in completed.values()), completed


def test_findings_on_the_servers_built_to_show_them(
        scans: dict[str, list[dict[str, Any]]]) -> None:
    cheap = {k: c for k, (c, _) in scans.items()}
    assert cheap["web:legacy-versions"]["versions"]["TLSv1.0"] is True
    tls12 = cheap["web:rsa-kex"]["ciphers"]["TLSv1.2"]
    assert (tls12["RSA-RSA-AES256GCM-AEAD"], tls12["RSA-RSA-AES128GCM-AEAD"]) == (
        ["AES256-GCM-SHA384"], ["AES128-GCM-SHA256"])
    assert cheap["web:cbc-sha1"]["ciphers"]["TLSv1.2"]["ECDHE-ECDSA-AESCBC-SHA1"] == [
        "ECDHE-ECDSA-AES256-SHA"]
    assert cheap["web:no-ems"]["extended_master_secret"] is False
    assert cheap["mail:no-ems"]["extended_master_secret"] is False
    assert cheap["web:perfect"]["extended_master_secret"] is True
    assert cheap["web:client-order"]["cipher_order"]["enforced"] is False
    assert cheap["web:reneg"]["client_renegotiation"] is True
    assert cheap["web:perfect"]["client_renegotiation"] is False
    assert cheap["web:perfect"]["ocsp_response"] and not cheap["web:self-signed"]["ocsp_response"]
    assert cheap["web:self-signed"]["trust"]["trusted"] is False
    assert cheap["web:expired"]["trust"]["trusted"] is False
    assert cheap["mail:no-starttls"]["starttls_offered"] is False
    assert cheap["mail:slow-banner"]["starttls_offered"] is None
    assert cheap["mail:tls10-only"]["versions"] == {
        "TLSv1.3": False, "TLSv1.2": False, "TLSv1.1": False, "TLSv1.0": True,
        "SSLv3": False, "SSLv2": False}
    assert cheap["web:silent"]["handshake_error"] and cheap["web:tls-garbage"]["handshake_error"]
    assert cheap["web:no-https"]["connected"] is False
    assert cheap["web:ffdhe-2048"]["ffdhe"] == [{"group": "ffdhe2048", "bits": 2048}]
    assert cheap["web:ffdhe-2048"]["groups_accepted"] == {"x-curves": ["X25519"],
                                                          "secp224r1": ["secp224r1"]}
