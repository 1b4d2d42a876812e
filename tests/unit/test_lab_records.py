"""Scenario records, `web: none` and mail servers with many names in the lab catalogue."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from meting.lab.model import LabPlan, Record
from meting.lab.netns import LabError
from meting.lab.plan import build_plan, load_catalogue
from meting.lab.records import check_zone, rrset_sizes, scenario_records

DOMAIN = "voorbeeld.nl"


def records(*entries: list[Any]) -> list[Record]:
    return scenario_records("s", DOMAIN, list(entries))


def test_names_are_relative_to_the_domain_or_absolute_inside_it() -> None:
    got = records(["@", "MX", "10 mx"], ["www", "CNAME", "lus"],
                  ["mx.voorbeeld.nl.", "A", "198.18.1.9"],
                  ["_25._tcp.mx", "TLSA", "3 1 1 " + "ab" * 32])
    assert got == [Record(DOMAIN, "MX", "10 mx.voorbeeld.nl."),
                   Record("www.voorbeeld.nl", "CNAME", "lus.voorbeeld.nl."),
                   Record("mx.voorbeeld.nl", "A", "198.18.1.9"),
                   Record("_25._tcp.mx.voorbeeld.nl", "TLSA", "3 1 1 " + "ab" * 32)]


def test_a_count_numbers_the_copies() -> None:
    got = records(["@", "TXT", '"{n:->255}"', 3], ["h{n}", "A", "198.18.1.{n}", 2])
    texts = [r.rdata for r in got if r.rtype == "TXT"]
    assert texts == ['"' + "-" * 254 + f'{n}"' for n in (1, 2, 3)]
    assert [(r.owner, r.rdata) for r in got if r.rtype == "A"] == [
        ("h1.voorbeeld.nl", "198.18.1.1"), ("h2.voorbeeld.nl", "198.18.1.2")]


def test_domain_placeholder() -> None:
    [r] = records(["_dmarc", "TXT", '"v=DMARC1; p=none; rua=mailto:d@{domain}"'])
    assert r.rdata == '"v=DMARC1; p=none; rua=mailto:d@voorbeeld.nl"'


@pytest.mark.parametrize(("entry", "reason"), [
    (["x.ander.nl.", "A", "198.18.1.1"], "outside the zone"),
    (["voorbeeldx.nl.", "A", "198.18.1.1"], "outside the zone"),
    (["www.voorbeeld.nl", "A", "198.18.1.1"], "relative"),
    (["@", "NS", "ns1.labdns.nl."], "record type"),
    (["@", "DS", "1 13 2 " + "00" * 32], "record type"),
    (["@", "txt", '"x"'], "record type"),
    (["@", "A", "not-an-address"], "bad A data"),
    (["@", "TXT", '"' + "x" * 256 + '"'], "bad TXT data"),
    (["@", "TXT", '"{n}"'], "placeholder"),
    (["@", "TXT", '"x"', 0], "count"),
    (["@", "TXT", '"x"', "3"], "count"),
    (["a..b", "A", "198.18.1.1"], "not a domain name"),
    (["@", "A"], "is not .name, TYPE, rdata"),
])
def test_bad_records_are_refused(entry: list[Any], reason: str) -> None:
    with pytest.raises(LabError, match=reason):
        records(entry)


def test_cname_must_stand_alone_and_not_at_the_apex() -> None:
    with pytest.raises(LabError, match="CNAME beside other data"):
        check_zone("s", DOMAIN, records(["www", "CNAME", "lus"], ["www", "A", "198.18.1.1"]))
    with pytest.raises(LabError, match="CNAME"):
        check_zone("s", DOMAIN, records(["@", "CNAME", "elders.nl."]))
    check_zone("s", DOMAIN, records(["www", "CNAME", "lus"], ["lus", "CNAME", "www"]))


def test_an_rrset_knot_cannot_serve_is_refused() -> None:
    fits = records(["@", "TXT", '"{n:->255}"', 230])
    assert 60000 < rrset_sizes(fits)[(DOMAIN, "TXT")] <= 65000
    check_zone("s", DOMAIN, fits)
    with pytest.raises(LabError, match="Knot cannot serve"):
        check_zone("s", DOMAIN, records(["@", "TXT", '"{n:->255}"', 240]))


def write_catalogue(tmp_path: Path, change: dict[str, Any]) -> Path:
    catalogue = copy.deepcopy(load_catalogue())
    catalogue["scenarios"] = [s for s in catalogue["scenarios"] if s["name"] == "perfect"]
    catalogue["scenarios"][0].update(change)
    path = tmp_path / "scenarios.yaml"
    path.write_text(yaml.safe_dump(catalogue))
    return path


def test_the_planner_refuses_a_scenario_record_outside_its_zone(tmp_path: Path) -> None:
    path = write_catalogue(tmp_path, {"records": [["www.example.nl.", "A", "198.18.1.1"]]})
    with pytest.raises(LabError, match=r"outside the zone perfect\.nl"):
        build_plan("mtl-", catalogue=path)


@pytest.fixture(scope="module")
def plan() -> LabPlan:
    return build_plan("mtl-", dkim_public=b"\x30" * 294)


def test_web_none_publishes_no_address_and_serves_no_site(plan: LabPlan) -> None:
    d = next(d for d in plan.domains if d.scenario == "cname-loop")
    zone = plan.zones[d.domain]
    assert not [r for r in zone.records if r.rtype in ("A", "AAAA")]
    assert all(d.web_host not in w.sites and d.domain not in w.sites
               for w in plan.web_servers.values())
    cnames = {r.owner: r.rdata for r in zone.records if r.rtype == "CNAME"}
    assert cnames[d.web_host] == "lus.cname-lus.nl."
    assert cnames["lus.cname-lus.nl"] == d.web_host + "."


def test_a_mail_server_with_fifty_names(plan: LabPlan) -> None:
    pool = plan.mail_servers["pool"]
    assert len(pool.names) == len(set(pool.names)) == 50
    assert pool.names[0] == "mx01.pool.lab-hosting.nl"
    mx = [r.rdata for r in plan.zones["vijftig-mx.nl"].records if r.rtype == "MX"]
    assert mx[:2] == ["10 mx01.pool.lab-hosting.nl.", "20 mx02.pool.lab-hosting.nl."]
    assert len(mx) == 50
    hosting = plan.zones["lab-hosting.nl"].records
    for name in (pool.names[0], pool.names[-1]):
        assert {r.rtype for r in hosting if r.owner == name} == {"A", "AAAA"}
        assert {r.rdata for r in hosting if r.owner == name} == set(pool.ipv4 + pool.ipv6)


def test_names_needs_a_numbered_host_name(tmp_path: Path) -> None:
    catalogue = load_catalogue()
    catalogue["mail_servers"]["pool"]["hostname"] = "mx.pool.lab-hosting.nl"
    path = tmp_path / "scenarios.yaml"
    path.write_text(yaml.safe_dump(catalogue))
    with pytest.raises(LabError, match="names needs"):
        build_plan("mtl-", catalogue=path)
