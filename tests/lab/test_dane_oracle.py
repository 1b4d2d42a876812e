"""meting's DANE verdict on every lab MX against OpenSSL's own DANE verification, an
oracle meting did not write: `openssl s_client -starttls smtp -dane_tlsa_domain MX
-dane_tlsa_rrdata "…"` with the TLSA records the lab's resolver gives (kdig), on every
address of the MX. Where the TLSA records are not DNSSEC-secure (or absent) there is
nothing for OpenSSL to verify that DANE would trust, and meting must not call the MX
DANE-valid."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from meting.checks.dane import MxDane, host_is_valid
from meting.evidence.models import MxHost
from tests.lab.conftest import Lab

pytestmark = pytest.mark.lab

SCRIPT = """
import asyncio, json, sys
from meting.settings import load
from meting.tester import run_test

async def main(domains):
    settings = load()
    slots = asyncio.Semaphore(8)
    async def one(domain):
        async with slots:
            evidence, _ = await run_test("mail", domain, settings, None)
            return evidence
    return await asyncio.gather(*(one(d) for d in domains))

print(json.dumps(asyncio.run(main(json.load(sys.stdin)))))
"""


@pytest.fixture(scope="module")
def mx_entries(lab: Lab) -> dict[str, dict[str, Any]]:
    """Every MX of every lab domain (scenarios and generated ones), as meting's probe
    found it, by MX name."""
    domains = sorted({d["mail_domain"] for d in lab.plan["domains"]})
    env = [f"METING_RESOLVER={lab.info['resolver']}",
           f"METING_TRUST_STORE={lab.info['trust_store']}", "METING_DNS_TIMEOUT=2",
           "METING_CONNECT_TIMEOUT=3", "METING_SMTP_BANNER_TIMEOUT=5"]
    out = lab.run("env", *env, sys.executable, "-c", SCRIPT, stdin=json.dumps(domains),
                  timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return {mx["name"]: mx for evidence in json.loads(out.stdout) for mx in evidence["mx"]}


def lab_mx_servers(lab: Lab) -> dict[str, list[str]]:
    """Every Postfix MX server of the lab that offers STARTTLS, with its MX names."""
    return {server: [ms["hostname"], *ms["aliases"]]
            for server, ms in lab.plan["mail_servers"].items()
            if ms["software"] == "postfix" and ms["starttls"]}


def probed_names(lab: Lab, mx_entries: dict[str, dict[str, Any]]) -> list[str]:
    """The MX names meting probed, of every lab MX server (a server of 50 names had only
    the 10 most preferred tested)."""
    return sorted(n for names in lab_mx_servers(lab).values() for n in names
                  if n in mx_entries)


def tlsa_records(lab: Lab, name: str) -> list[str]:
    out = lab.run("kdig", f"@{lab.info['resolver']}", "+short", f"_25._tcp.{name}", "TLSA")
    records = []
    for line in out.stdout.splitlines():
        usage, selector, matching, *data = line.split()
        records.append(f"{usage} {selector} {matching} {''.join(data)}")
    return records


def openssl_verifies(lab: Lab, name: str, address: str, records: list[str]) -> bool:
    target = f"[{address}]:25" if ":" in address else f"{address}:25"
    argv = ["openssl", "s_client", "-brief", "-starttls", "smtp", "-connect", target,
            "-servername", name, "-dane_tlsa_domain", name, "-verify_return_error",
            # the handshake at any version the MX speaks (TLS 1.0 needs level 0): DANE is
            # about the certificate, the TLS version is starttls_ncsc's business
            "-cipher", "ALL:@SECLEVEL=0"]
    for record in records:
        argv += ["-dane_tlsa_rrdata", record]
    out = lab.run(*argv, stdin="Q\n", timeout=30)
    return out.returncode == 0 and "Verification: OK" in out.stderr + out.stdout


def addresses(entry: dict[str, Any]) -> list[str]:
    return [a for key in ("a", "aaaa") if entry[key]["rcode"] == "NOERROR"
            for a in entry[key]["answers"]]


def test_every_lab_mx_was_probed(lab: Lab, mx_entries: dict[str, dict[str, Any]]) -> None:
    missing = [server for server, names in lab_mx_servers(lab).items()
               if not set(names) & set(mx_entries)]
    assert missing == []


def test_meting_and_openssl_agree_on_dane_validity(
        lab: Lab, mx_entries: dict[str, dict[str, Any]]) -> None:
    compared, disagreements = [], {}
    for name in probed_names(lab, mx_entries):
        entry = mx_entries[name]
        mx = MxDane.of(MxHost.model_validate_json(json.dumps(entry)))
        meting_valid = host_is_valid(mx)
        records = tlsa_records(lab, name)
        if entry["tlsa"]["security"] != "secure" or not records:
            assert not meting_valid, name
            continue
        answering = [a for a in addresses(entry) if a in mx.connected]
        assert answering, name
        openssl_valid = all(openssl_verifies(lab, name, a, records) for a in answering)
        compared.append((name, openssl_valid))
        if openssl_valid != meting_valid:
            disagreements[name] = {"meting": meting_valid, "openssl": openssl_valid,
                                   "tlsa": records}
    assert disagreements == {}
    # the lab has DANE-valid MX (3 1 1, 2 1 1, both) and a mismatch: both outcomes are seen
    assert {valid for _, valid in compared} == {True, False}, compared
