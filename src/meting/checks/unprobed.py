"""Tests that must not be judged as if they had run: a name that does not exist, name
servers that cannot be found, and addresses the probes refused to connect to."""

from __future__ import annotations

from meting.checks.explain import kind_of_address, plain
from meting.checks.verdict import Status, Verdict, verdict
from meting.evidence.models import (
    DnsAnswer,
    HostAddresses,
    MailEvidence,
    NameServersFailed,
    WebEvidence,
)

Tested = WebEvidence | MailEvidence

DNS_ONLY = frozenset({"dnssec", "dnssec_exists", "dnssec_valid", "dnssec_mx", "dnssec_mx_exists",
                      "dnssec_mx_valid", "web_aaaa", "mx_aaaa", "ns_aaaa", "dmarc", "dkim",
                      "spf", "dmarc_policy", "spf_policy"})
NAME_SERVER_KEYS = frozenset({"ns_reach", "ipv6_nameserver", "ipv6_web", "ipv6_mail"})


def missing_name(evidence: Tested) -> Verdict | None:
    """`error` for every column when the tested name does not exist (NXDOMAIN)."""
    missing = evidence.missing
    if missing is None:
        return None
    name, registered = missing.name, missing.registered_domain
    if missing.registered_rcode == "NXDOMAIN" or registered == name:
        nl = (f"{name} bestaat niet: DNS antwoordt NXDOMAIN, ook voor het geregistreerde "
              f"domein {registered}. Er is niets getest. Wat te doen: controleer de spelling of "
              "de registratie van het domein.")
        en = (f"{name} does not exist: DNS answers NXDOMAIN, for the registered domain "
              f"{registered} too. Nothing was tested. What to do: check the spelling or the "
              "domain's registration.")
    else:
        nl = (f"{name} bestaat niet: DNS antwoordt NXDOMAIN, al bestaat het geregistreerde "
              f"domein {registered} wel. Er is niets getest. Wat te doen: controleer de naam, of "
              "maak het DNS-record aan.")
        en = (f"{name} does not exist: DNS answers NXDOMAIN, although the registered domain "
              f"{registered} does. Nothing was tested. What to do: check the name, or create "
              "its DNS record.")
    return verdict(Status.ERROR, nl, en)


def nameservers_not_found(evidence: Tested) -> Verdict | None:
    """`error` when the zone's name servers cannot be found (no answer, or no NS records)."""
    failed = failed_lookups(evidence)
    if not failed:
        return None
    zone = failed[0].name.rstrip(".")
    if failed[0].ok:  # answered, without name servers
        return verdict(Status.ERROR,
                       f"De naamservers van {zone} zijn niet te vinden: DNS geeft geen "
                       "NS-records. Er is niets over de naamservers getest.",
                       f"The name servers of {zone} cannot be found: DNS gives no NS records. "
                       "Nothing about the name servers was tested.")
    cause = plain(failed[0].error or failed[0].rcode)
    return verdict(Status.ERROR,
                   f"De naamservers van {zone} zijn niet te vinden ({cause.nl}). Er is niets "
                   "over de naamservers getest.",
                   f"The name servers of {zone} cannot be found ({cause.en}). Nothing about "
                   "the name servers was tested.")


def failed_lookups(evidence: Tested) -> list[DnsAnswer]:
    """The NS queries of the zone that gave no usable answer (empty: name servers found)."""
    return [ns.failed for ns in evidence.nameservers if isinstance(ns, NameServersFailed)]


def refused_addresses(evidence: Tested, results: dict[str, Verdict]) -> dict[str, Verdict]:
    """`not_testable`, saying why, for what needed a connection to a refused address."""
    refused = evidence.refused
    if not refused:
        return results
    servers = set(_server_addresses(evidence))
    server_hit = any(a in servers for a in refused)
    ns_hit = any(a not in servers for a in refused)
    shown = ", ".join(f"{a} ({kind_of_address(k).nl})" for a, k in refused.items())
    shown_en = ", ".join(f"{a} ({kind_of_address(k).en})" for a, k in refused.items())
    why = verdict(Status.NOT_TESTABLE,
                  f"Niet getest: DNS geeft {shown}. meting maakt geen verbinding met zulke "
                  "adressen, zodat niemand het via een naam op interne systemen kan richten. "
                  "Wat te doen: publiceer voor deze naam alleen adressen die vanaf het internet "
                  "bereikbaar zijn.",
                  f"Not tested: DNS gives {shown_en}. meting does not connect to such "
                  "addresses, so that nobody can aim it at internal systems through a name. "
                  "What to do: publish only addresses that can be reached from the internet "
                  "for this name.")
    keys = [k for k in results
            if (server_hit and k not in DNS_ONLY and k not in ("ns_reach", "ipv6_nameserver"))
            or (ns_hit and (k in NAME_SERVER_KEYS or "rpki" in k))]
    return {**results, **dict.fromkeys(keys, why)}


def _server_addresses(evidence: Tested) -> list[str]:
    entries: list[HostAddresses] = ([evidence.host] if isinstance(evidence, WebEvidence)
                                    else list(evidence.mx))
    return [a for entry in entries for a in entry.a.found + entry.aaaa.found]
