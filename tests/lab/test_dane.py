"""DANE against the lab's real zones and Postfix servers: the TLSA evidence the probe
gathers, matched against the chain each server really presents (read with openssl)."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from meting.checks import dane
from meting.evidence.models import MxHost
from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab

PEM = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


def evidence(domain: str) -> dict[str, Any]:
    result = subprocess.run([sys.executable, "-m", "meting.cli", "lab", "exec", "--",
                             sys.executable, "-m", "meting.cli", "check", "mail", domain,
                             "--json", "--evidence"],
                            capture_output=True, text=True, timeout=120, check=False)
    data: dict[str, Any] = json.loads(result.stdout)
    failed = any(v["status"] == "failed" for v in data["columns"].values())
    assert result.returncode == (1 if failed else 0), result.stderr  # 1: a column failed
    return data


def presented_chain(lab: Lab, address: str) -> list[str]:
    """The certificates the server sends after STARTTLS, base64 DER, leaf first."""
    target = f"[{address}]:25" if ":" in address else f"{address}:25"
    out = lab.run("openssl", "s_client", "-connect", target, "-starttls", "smtp",
                  "-showcerts", stdin="Q\n", timeout=15).stdout
    certs = [x509.load_pem_x509_certificate(p.encode()) for p in PEM.findall(out)]
    assert certs, out
    return [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
            for c in certs]


def with_real_chains(lab: Lab, entry: dict[str, Any]) -> MxHost:
    """The MX entry with, per address, the chain openssl saw instead of the probe's."""
    scans = {}
    for address in addresses(entry):
        scans[address] = {**entry["starttls"][address], "connected": True,
                          "starttls_offered": True, "handshake_error": None,
                          "chain": presented_chain(lab, address)}
    return MxHost.model_validate_json(json.dumps({**entry, "starttls": scans}))


def addresses(entry: dict[str, Any]) -> list[str]:
    return [a for key in ("a", "aaaa") for a in entry[key]["answers"]
            if entry[key]["rcode"] == "NOERROR"]


def usages(entry: dict[str, Any]) -> set[str]:
    return {" ".join(r.split()[:3]) for r in entry["tlsa"]["answers"]}


@pytest.mark.parametrize(("domain", "records", "security", "valid"), [
    ("mail-perfect.nl", {"3 1 1"}, "secure", True),
    ("dane-ta.nl", {"2 1 1"}, "secure", True),
    ("dane-wissel.nl", {"2 1 1", "3 1 1"}, "secure", True),
    ("eigen-cert-dane.nl", {"3 1 1"}, "secure", True),
    ("dane-fout.nl", {"3 1 1"}, "secure", False),
    ("dane-onondertekend.nl", {"3 1 1"}, "insecure", False),
    ("eigen-cert-geen-dane.nl", set(), "secure", False),
])
def test_probe_tlsa_matches_the_real_chain(lab: Lab, domain: str, records: set[str],
                                           security: str, valid: bool) -> None:
    found = evidence(domain)["evidence"]["mx"]
    assert len(found) == 1
    mx = found[0]
    assert mx["tlsa"]["name"] == f"_25._tcp.{mx['name']}."
    assert usages(mx) == records
    assert mx["tlsa"]["security"] == security
    assert dane.dane_valid_hosts([with_real_chains(lab, mx)]) == ({mx["name"]} if valid else set())


def test_rollover_pair_in_the_lab(lab: Lab) -> None:
    scheme = [with_real_chains(lab, evidence("dane-wissel.nl")["evidence"]["mx"][0])]
    single = [with_real_chains(lab, evidence("mail-perfect.nl")["evidence"]["mx"][0])]
    assert dane.judge(scheme, null_mx=False)["dane_rollover"].status == "passed"
    assert dane.judge(single, null_mx=False)["dane_rollover"].status == "info"
