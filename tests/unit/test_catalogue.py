"""The scenario catalogue: complete, consistent, and covering what the lab must show."""

from __future__ import annotations

import csv
import ipaddress
from importlib import resources
from pathlib import Path

import pytest
import yaml

from meting.lab.lab import REGISTRY_COLUMNS, write_registry
from meting.lab.model import LabPlan
from meting.lab.plan import build_plan, load_catalogue, owning_zone

COLUMNS = yaml.safe_load(resources.files("meting.norms").joinpath("columns.yaml").read_text())
STATUSES = set(COLUMNS["statuses"])


@pytest.fixture(scope="module")
def plan() -> LabPlan:
    return build_plan("mtl-", generated=200, dkim_public=b"\x30" * 294)


def test_every_scenario_expects_a_valid_status_in_every_column(plan: LabPlan) -> None:
    web = [c["column"] for c in COLUMNS["web"]]
    mail = [c["column"] for c in COLUMNS["mail"]]
    for d in plan.domains:
        assert list(d.expected_web) == web, d.scenario
        assert list(d.expected_mail) == mail, d.scenario
        assert set(d.expected_web.values()) | set(d.expected_mail.values()) <= STATUSES


def test_scenario_names_and_domains_are_unique() -> None:
    scenarios = load_catalogue()["scenarios"]
    names = [s["name"] for s in scenarios]
    domains = [s["domain"] for s in scenarios]
    assert len(names) == len(set(names))
    assert len(domains) == len(set(domains))


@pytest.mark.parametrize("name", [
    "perfect", "dnssec-unsigned", "dnssec-bogus-expired", "dnssec-bogus-wrong-ds",
    "mx-in-unsigned-zone", "ns-single-ipv6", "ns-aaaa-unreachable", "web-no-aaaa",
    "web-aaaa-unreachable", "web-ipv6-other-site", "mx-no-aaaa", "mx-aaaa-no-smtp",
    "tls-legacy-versions", "tls-cbc-phase-out", "tls-rsa-key-exchange", "no-https",
    "http-no-redirect", "redirect-other-host-first", "hsts-six-months", "hsts-missing",
    "cert-self-signed", "cert-expired", "cert-wrong-name", "cert-sha1", "client-renegotiation",
    "security-txt-expired", "security-txt-missing", "security-headers-missing",
    "mail-perfect", "dmarc-missing", "dmarc-p-none", "spf-neutral-all", "spf-pass-all",
    "spf-too-many-lookups", "spf-two-records", "dkim-missing", "non-sending-null-mx", "no-mx",
    "mx-no-starttls", "starttls-tls10-only", "dane-mismatch", "dane-unsigned-zone",
    "cloud-mail-provider", "shared-hosting-a", "shared-hosting-b", "hostile-silent-port",
    "hostile-tls-garbage", "hostile-slow-smtp-banner", "hostile-redirect-loop",
    "hostile-huge-body", "mx-fifty", "txt-64k", "cname-loop",
])
def test_catalogue_has_the_required_scenario(name: str) -> None:
    assert name in {s["name"] for s in load_catalogue()["scenarios"]}


def test_spec_rules_hold_in_expectations(plan: LabPlan) -> None:
    """Cascades of SPEC §4 that every expectation must respect."""
    for d in plan.domains:
        w, m = d.expected_web, d.expected_mail
        if w["tls_available"] == "error":
            assert w["tls_ncsc_web"] == w["https_redirect"] == w["hsts"] == "error"
        if m["starttls"] == "unreachable":
            assert m["starttls_ncsc"] == m["dane"] == "unreachable"
        if m["dmarc"] == "failed":
            assert m["dmarc_policy"] == "failed"
        if m["spf"] == "failed":
            assert m["spf_policy"] == "failed"
        both = w["ipv6_nameserver"] == "passed" and w["ipv6_webserver"] == "passed"
        assert (w["ipv6_web"] == "passed") == both, d.scenario
        mail_ok = m["ipv6_mailserver"] in ("passed", "warning", "info", "not_tested")
        assert (m["ipv6_mail"] == "passed") == (m["ipv6_nameserver"] == "passed" and mail_ok)


def test_addresses_are_unique_and_inside_the_lab_ranges(plan: LabPlan) -> None:
    lab4 = ipaddress.ip_network("198.18.0.0/15")
    lab6 = ipaddress.ip_network("2001:db8::/32")
    seen: list[str] = [a for h in plan.hosts.values() for a in h.addresses]
    assert len(seen) == len(set(seen))
    for a in seen:
        ip = ipaddress.ip_address(a)
        assert ip in (lab4 if ip.version == 4 else lab6)


def test_every_server_name_is_in_a_lab_zone(plan: LabPlan) -> None:
    names = [ms.hostname for ms in plan.mail_servers.values()]
    names += [ns.hostname for ns in plan.nameservers.values()]
    for name in names:
        assert owning_zone(name, plan.zones) != ""


def test_generated_domains_spread_over_layers_on_shared_servers(plan: LabPlan) -> None:
    generated = [d for d in plan.domains if d.generated]
    assert len(generated) == 200
    assert {d.category for d in generated} >= {"rijk", "gemeente", "uitvoering", "overig"}
    shared = max((w for w in plan.web_servers.values() if w.name.startswith("gen-web-")),
                 key=lambda w: len(w.sites))
    assert len([s for s in shared.sites if s.startswith("www.")]) > 50


def test_registry_list_has_the_spec_columns(plan: LabPlan, tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    write_registry(plan, path)
    rows = list(csv.DictReader(path.open()))
    assert list(rows[0]) == REGISTRY_COLUMNS
    assert len(rows) == len(plan.domains)
    perfect = next(r for r in rows if r["domain"] == "perfect.nl")
    assert perfect["category"] == "rijk" and perfect["umbrella"] == "CIO Rijk"
    assert perfect["web_host"] == "www.perfect.nl"
