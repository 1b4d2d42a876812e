"""The lab's RPKI data: valid, invalid and not-found routes as the catalogue says."""

from __future__ import annotations

from meting.lab.plan import build_plan
from meting.lab.rpki import ris_dump, vrps


def test_vrps_and_routes_follow_the_catalogue() -> None:
    networks = build_plan("mtl-").networks
    roas = {(r["prefix"], r["asn"]) for r in vrps(list(networks.values()))["roas"]}
    routes = {tuple(line.split("\t")[:2]) for line in ris_dump(list(networks.values())).splitlines()
              if not line.startswith("%")}
    hosting, legacy, hijacked = networks["hosting"], networks["legacy"], networks["hijacked"]
    assert (hosting.ipv4_prefix, f"AS{hosting.origin_asn}") in roas  # valid
    assert not any(p == legacy.ipv4_prefix for p, _ in roas)  # not found
    assert (hijacked.ipv6_prefix, f"AS{hijacked.roa_asn}") in roas  # invalid: other origin
    assert (str(hijacked.origin_asn), hijacked.ipv6_prefix) in routes
    assert hijacked.roa_asn != hijacked.origin_asn
