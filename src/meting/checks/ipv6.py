"""IPv6 of name servers, web server and mail servers (SPEC §4: ipv6_* columns).

Inputs are recorded facts, not network calls: per server name its IPv6 addresses
and, per address, whether it answered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from meting.checks.verdict import Status, Verdict, verdict

SAME_SITE_MAX_DISTANCE = 10  # simhash bits that may differ for "the same site"
MAIL_OK_FOR_IPV6_MAIL = frozenset({Status.PASSED, Status.WARNING, Status.INFO,
                                   Status.NOT_TESTED})


@dataclass(frozen=True)
class ServerIpv6:
    """One server name: its IPv6 addresses and which of them answered."""

    name: str
    addresses: tuple[str, ...]
    answered: Mapping[str, bool]  # address -> answered (DNS, HTTP ports or SMTP banner)

    @property
    def silent(self) -> list[str]:
        return [a for a in self.addresses if not self.answered.get(a, False)]


def names(servers: list[ServerIpv6]) -> str:
    return ", ".join(s.name for s in servers)


def ns_aaaa(servers: list[ServerIpv6]) -> Verdict:
    with_v6 = [s for s in servers if s.addresses]
    if len(with_v6) >= 2:
        return verdict(Status.PASSED, f"Minstens twee naamservers hebben IPv6: {names(with_v6)}.",
                       f"At least two name servers have IPv6: {names(with_v6)}.")
    return verdict(Status.FAILED,
                   f"Slechts {len(with_v6)} naamserver(s) met een IPv6-adres (AAAA); er zijn er "
                   "minstens twee nodig.",
                   f"Only {len(with_v6)} name server(s) with an IPv6 address (AAAA); at least "
                   "two are needed.")


def reach(servers: list[ServerIpv6], what_nl: str, what_en: str) -> Verdict:
    silent = [f"{s.name} ({a})" for s in servers for a in s.silent]
    if not any(s.addresses for s in servers):
        return verdict(Status.NOT_TESTED, f"Geen IPv6-adressen van {what_nl} om te testen.",
                       f"No IPv6 addresses of {what_en} to test.")
    if silent:
        return verdict(Status.FAILED, f"Niet bereikbaar over IPv6: {', '.join(silent)}.",
                       f"Not reachable over IPv6: {', '.join(silent)}.")
    return verdict(Status.PASSED, f"Alle IPv6-adressen van {what_nl} zijn bereikbaar.",
                   f"Every IPv6 address of the {what_en} is reachable.")


def both(first: Verdict, second: Verdict, nl: str, en: str) -> Verdict:
    """A column that needs two subtests passed; the explanation says which one failed."""
    for v in (first, second):
        if v.status != Status.PASSED:
            status = Status.FAILED if v.status == Status.NOT_TESTED else v.status
            return verdict(status, v.explanation.nl, v.explanation.en)
    return verdict(Status.PASSED, nl, en)


def judge_nameservers(servers: list[ServerIpv6]) -> dict[str, Verdict]:
    aaaa, ns_reach = ns_aaaa(servers), reach(servers, "de naamservers", "name servers")
    column = both(aaaa, ns_reach, "De naamservers zijn bereikbaar over IPv6.",
                  "The name servers are reachable over IPv6.")
    return {"ns_aaaa": aaaa, "ns_reach": ns_reach, "ipv6_nameserver": column}


def web_ipv46(distance: int | None) -> Verdict:
    if distance is None:
        return verdict(Status.NOT_TESTED, "De site kon niet over IPv4 én IPv6 worden opgehaald.",
                       "The site could not be fetched over both IPv4 and IPv6.")
    if distance <= SAME_SITE_MAX_DISTANCE:
        return verdict(Status.PASSED, "Over IPv6 is dezelfde site te zien als over IPv4.",
                       "IPv6 shows the same site as IPv4.")
    return verdict(Status.FAILED,
                   f"Over IPv6 is een andere site te zien dan over IPv4 (simhash-afstand "
                   f"{distance}).",
                   f"IPv6 shows a different site than IPv4 (simhash distance {distance}).")


def judge_web(web: ServerIpv6, distance: int | None,
              nameservers: dict[str, Verdict]) -> dict[str, Verdict]:
    if web.addresses:
        aaaa = verdict(Status.PASSED, f"{web.name} heeft een IPv6-adres.",
                       f"{web.name} has an IPv6 address.")
    else:
        aaaa = verdict(Status.FAILED, f"{web.name} heeft geen IPv6-adres (AAAA).",
                       f"{web.name} has no IPv6 address (AAAA).")
    web_reach = reach([web], "de webserver", "web server")
    same = web_ipv46(distance) if web.addresses and not web.silent else web_ipv46(None)
    column = aaaa
    for v in (web_reach, same):
        if column.status == Status.PASSED and v.status != Status.PASSED:
            column = verdict(Status.FAILED, v.explanation.nl, v.explanation.en)
    ipv6_web = both(nameservers["ipv6_nameserver"], column,
                    "Naamservers en webserver zijn bereikbaar over IPv6.",
                    "Name servers and web server are reachable over IPv6.")
    return {"web_aaaa": aaaa, "web_reach": web_reach, "web_ipv46": same,
            "ipv6_webserver": column, "ipv6_web": ipv6_web}


def judge_mail(mx: list[ServerIpv6], null_mx: bool,
               nameservers: dict[str, Verdict]) -> dict[str, Verdict]:
    if null_mx or not mx:
        status = Status.NOT_TESTED if null_mx else Status.INFO
        v = verdict(status,
                    "Geen mailserver om te testen" + (" (Null MX)." if null_mx else "."),
                    "No mail server to test" + (" (Null MX)." if null_mx else "."))
        subtests = {"mx_aaaa": v, "mx_reach": v, "ipv6_mailserver": v}
    else:
        missing = [s.name for s in mx if not s.addresses]
        if missing:
            aaaa = verdict(Status.FAILED, f"Mailserver(s) zonder IPv6-adres: {', '.join(missing)}.",
                           f"Mail server(s) without an IPv6 address: {', '.join(missing)}.")
        else:
            aaaa = verdict(Status.PASSED, "Alle mailservers hebben een IPv6-adres.",
                           "Every mail server has an IPv6 address.")
        mx_reach = reach(mx, "de mailservers", "mail servers")
        column = both(aaaa, mx_reach, "De mailservers zijn bereikbaar over IPv6.",
                      "The mail servers are reachable over IPv6.")
        subtests = {"mx_aaaa": aaaa, "mx_reach": mx_reach, "ipv6_mailserver": column}
    ns_ok = nameservers["ipv6_nameserver"].status == Status.PASSED
    mail_ok = subtests["ipv6_mailserver"].status in MAIL_OK_FOR_IPV6_MAIL
    if ns_ok and mail_ok:
        ipv6_mail = verdict(Status.PASSED, "IPv6 voor mail is in orde.", "IPv6 for mail is fine.")
    else:
        bad = nameservers["ipv6_nameserver"] if not ns_ok else subtests["ipv6_mailserver"]
        ipv6_mail = verdict(Status.FAILED, bad.explanation.nl, bad.explanation.en)
    return {**subtests, "ipv6_mail": ipv6_mail}


def simhash(text: str, bits: int = 64) -> int:
    """A 64-bit simhash of the words of a page (Charikar), for the same-site comparison."""
    weights = [0] * bits
    for word in text.lower().split():
        h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "big")
        for i in range(bits):
            weights[i] += 1 if h >> i & 1 else -1
    return sum(1 << i for i, w in enumerate(weights) if w > 0)


def distance(a: int, b: int) -> int:
    return (a ^ b).bit_count()
