"""Route origin validation (RFC 6811) of every address of a host set (rpki_web, rpki_mail)."""

from __future__ import annotations

import ipaddress
from enum import StrEnum

from meting.checks.verdict import Status, Verdict, verdict
from meting.evidence.models import AddressRouting


class Rov(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    NOT_ROUTED = "not_routed"


def validate(routing: AddressRouting) -> Rov:
    """RFC 6811 §2: valid if a covering VRP matches origin and length, invalid if
    covered but none matches, not found if no VRP covers the route."""
    if not routing.routes:
        return Rov.NOT_ROUTED
    if not routing.vrps:
        return Rov.NOT_FOUND
    for prefix, origin in routing.routes:
        length = ipaddress.ip_network(prefix).prefixlen
        if not any(v.asn == origin and v.asn != 0 and length <= v.max_length
                   for v in routing.vrps):
            return Rov.INVALID
    return Rov.VALID


def judge(kind: str, addresses: list[AddressRouting]) -> dict[str, Verdict]:
    """Subtests ``<kind>_exists`` / ``<kind>_valid`` and the column ``rpki_<kind>``."""
    results = {a.address: validate(a) for a in addresses}
    if not results:
        v = verdict(Status.NOT_TESTED, "Geen adressen om te valideren.",
                    "No addresses to validate.")
        return {f"rpki_{kind}_exists": v, f"rpki_{kind}_valid": v, f"rpki_{kind}": v}
    uncovered = [a for a, r in results.items() if r in (Rov.NOT_FOUND, Rov.NOT_ROUTED)]
    invalid = [a for a, r in results.items() if r == Rov.INVALID]
    exists = (verdict(Status.FAILED, f"Geen ROA voor: {', '.join(uncovered)}. Laat de "
                      "netwerkbeheerder ROA's publiceren.",
                      f"No ROA for: {', '.join(uncovered)}. Ask the network operator to "
                      "publish ROAs.") if uncovered else
              verdict(Status.PASSED, "Alle adressen vallen onder een ROA.",
                      "Every address is covered by a ROA."))
    valid = (verdict(Status.FAILED, f"De route is RPKI-ongeldig voor: {', '.join(invalid)}; "
                     "de ROA past niet bij de aankondigende AS of prefixlengte.",
                     f"The route is RPKI-invalid for: {', '.join(invalid)}; the ROA does not "
                     "match the announcing AS or prefix length.") if invalid else
             verdict(Status.PASSED if not uncovered else Status.NOT_TESTED,
                     "Geen ongeldige routes.", "No invalid routes."))
    column = exists if uncovered else valid
    return {f"rpki_{kind}_exists": exists, f"rpki_{kind}_valid": valid, f"rpki_{kind}": column}
