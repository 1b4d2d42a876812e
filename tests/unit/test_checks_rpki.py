"""Route origin validation on the lab's own routing files and on hand-made cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from meting.checks.rpki import Rov, judge, validate
from meting.checks.verdict import Status
from meting.lab import rpki as lab_rpki
from meting.lab.plan import build_plan
from meting.probe.routing import RoutingData, RoutingDataError


@pytest.fixture(scope="module")
def routing(tmp_path_factory: pytest.TempPathFactory) -> RoutingData:
    plan = build_plan("mtl-")
    vrps, routes = lab_rpki.write(list(plan.networks.values()), tmp_path_factory.mktemp("rpki"))
    return RoutingData.load(vrps, routes)


@pytest.mark.parametrize(("address", "expected"), [
    ("198.18.1.10", Rov.VALID),           # hosting: ROA for its own AS
    ("2001:db8:1::10", Rov.VALID),
    ("198.18.5.10", Rov.INVALID),         # hijacked: ROA names another AS
    ("2001:db8:5::a", Rov.INVALID),
    ("198.18.4.10", Rov.NOT_FOUND),       # legacy: no ROA
    ("203.0.113.1", Rov.NOT_ROUTED),      # no route at all
])
def test_route_origin_validation(routing: RoutingData, address: str, expected: Rov) -> None:
    assert validate(routing.lookup(address)) == expected


def test_columns(routing: RoutingData) -> None:
    good = [routing.lookup("198.18.1.10"), routing.lookup("2001:db8:2::1")]
    assert judge("web", good)["rpki_web"].status == Status.PASSED
    bad = [*good, routing.lookup("198.18.5.10")]
    assert judge("web", bad)["rpki_web"].status == Status.FAILED
    missing = judge("mail", [*good, routing.lookup("198.18.4.10")])
    assert missing["rpki_mail_exists"].status == Status.FAILED
    assert missing["rpki_mail"].status == Status.FAILED
    assert "198.18.4.10" in missing["rpki_mail"].explanation.en


def test_max_length_makes_a_more_specific_route_invalid(tmp_path: Path) -> None:
    (tmp_path / "v.json").write_text(
        '{"roas": [{"asn": 64500, "prefix": "198.18.0.0/16", "maxLength": 16}]}')
    (tmp_path / "r.txt").write_text("64500\t198.18.7.0/24\t10\n")
    data = RoutingData.load(tmp_path / "v.json", tmp_path / "r.txt")
    assert validate(data.lookup("198.18.7.1")) == Rov.INVALID


def test_broken_files_say_where(tmp_path: Path) -> None:
    (tmp_path / "v.json").write_text('{"roas": []}')
    (tmp_path / "r.txt").write_text("% header\n64500 198.18.0.0/15 5\nnonsense\n")
    with pytest.raises(RoutingDataError, match=r"r.txt:3"):
        RoutingData.load(tmp_path / "v.json", tmp_path / "r.txt")
    (tmp_path / "r.txt").write_text("64500\t198.18.0.0/15\t5\n")
    (tmp_path / "v.json").write_text("[]")
    with pytest.raises(RoutingDataError, match="roas"):
        RoutingData.load(tmp_path / "v.json", tmp_path / "r.txt")


def test_the_most_specific_route_of_nested_ipv6_prefixes_is_found_and_kept(
        tmp_path: Path) -> None:
    (tmp_path / "v.json").write_text(
        '{"roas": [{"asn": 64500, "prefix": "2001:db8::/32", "maxLength": 48},'
        ' {"asn": 64501, "prefix": "2001:db8:7::/48", "maxLength": 48}]}')
    (tmp_path / "r.txt").write_text("64500\t2001:db8::/32\t10\n64501\t2001:db8:7::/48\t10\n")
    data = RoutingData.load(tmp_path / "v.json", tmp_path / "r.txt")
    inner = data.lookup("2001:db8:7::1")
    assert inner.routes == (("2001:db8:7::/48", 64501),)
    assert {v.asn for v in inner.vrps} == {64500, 64501}  # both ROAs cover the /48
    assert data.lookup("2001:db8:8::1").routes == (("2001:db8::/32", 64500),)
    assert data.lookup("2001:db8:7::1") is inner  # asked again: the same facts, kept
    assert validate(inner) == Rov.VALID
