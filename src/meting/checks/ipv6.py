"""IPv6 of name servers, web server and mail servers (SPEC §4: ipv6_* columns).

Inputs are recorded facts, not network calls: per server name its IPv6 addresses
(or why its AAAA lookup got no answer) and, per address, whether it answered.

Choices (also in the scenario catalogue's header): an AAAA lookup without an answer
(timeout, SERVFAIL; NXDOMAIN and NODATA are answers) is `error` for the column, not "no
IPv6", unless another part certainly fails; the same-site comparison (web_ipv46) is
skipped, and does not fail ipv6_webserver, when there is no IPv4 site to compare (no A
record, or the IPv4 fetch failed); an IPv6 fetch that fails, or an A lookup without an
answer, is `error`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from meting.checks import no_mx, same_site
from meting.checks.explain import counted, plain
from meting.checks.verdict import Status, Verdict, verdict, worst

MAIL_OK_FOR_IPV6_MAIL = frozenset({Status.PASSED, Status.WARNING, Status.INFO,
                                   Status.NOT_TESTED})


@dataclass(frozen=True)
class ServerIpv6:
    """One server name: its IPv6 addresses and which of them answered."""

    name: str
    addresses: tuple[str, ...]
    answered: Mapping[str, bool]  # address -> answered (DNS, HTTP ports or SMTP banner)
    aaaa_error: str | None = None  # why the AAAA lookup got no answer (then no addresses)

    @property
    def silent(self) -> list[str]:
        return [a for a in self.addresses if not self.answered.get(a, False)]


@dataclass(frozen=True)
class SameSite:
    """The site over IPv4 and over IPv6: their distance (0-100, same_site.py) when both
    were fetched, else why not."""

    distance: float | None = None
    no_ipv4: tuple[str, str] | None = None  # why no IPv4 page to compare (nl, en): skipped
    error: tuple[str, str] | None = None  # (nl, en) why no result: IPv6 fetch, A lookup


def names(servers: list[ServerIpv6]) -> str:
    return ", ".join(s.name for s in servers)


def unanswered(servers: list[ServerIpv6], lang: str) -> str:
    return ", ".join(f"{s.name} ({getattr(plain(s.aaaa_error), lang)})" for s in servers
                     if s.aaaa_error)


def no_aaaa_answer(servers: list[ServerIpv6]) -> Verdict:
    return verdict(Status.ERROR,
                   f"Geen antwoord uit DNS op de AAAA-vraag voor {unanswered(servers, 'nl')}; "
                   "of er IPv6 is, is niet vast te stellen; geen resultaat.",
                   f"No answer from DNS to the AAAA query for {unanswered(servers, 'en')}; "
                   "whether there is IPv6 cannot be told; no result.")


def ns_aaaa(servers: list[ServerIpv6]) -> Verdict:
    with_v6 = [s for s in servers if s.addresses]
    if len(with_v6) >= 2:
        return verdict(Status.PASSED, f"Minstens twee naamservers hebben IPv6: {names(with_v6)}.",
                       f"At least two name servers have IPv6: {names(with_v6)}.")
    if any(s.aaaa_error for s in servers):
        return no_aaaa_answer(servers)
    if not with_v6:
        return verdict(Status.FAILED, "Geen enkele naamserver heeft een IPv6-adres (AAAA); er "
                       "zijn er minstens twee nodig.", "No name server has an IPv6 address "
                       "(AAAA); at least two are needed.")
    n = len(with_v6)
    return verdict(Status.FAILED,
                   f"Slechts {counted(n, 'nl', '{n} naamserver heeft', '{n} naamservers hebben')}"
                   " een IPv6-adres (AAAA); er zijn er minstens twee nodig.",
                   f"Only {counted(n, 'en', '{n} name server has', '{n} name servers have')} an "
                   "IPv6 address (AAAA); at least two are needed.")


def reach(servers: list[ServerIpv6], what_nl: str, what_en: str) -> Verdict:
    silent = [f"{s.name} ({a})" for s in servers for a in s.silent]
    if silent:
        return verdict(Status.FAILED, f"Niet bereikbaar over IPv6: {', '.join(silent)}.",
                       f"Not reachable over IPv6: {', '.join(silent)}.")
    if any(s.aaaa_error for s in servers):
        return no_aaaa_answer(servers)
    if not any(s.addresses for s in servers):
        return verdict(Status.NOT_TESTED, f"Geen IPv6-adressen van {what_nl} om te testen.",
                       f"No IPv6 addresses of {what_en} to test.")
    return verdict(Status.PASSED, f"Alle IPv6-adressen van {what_nl} zijn bereikbaar.",
                   f"Every IPv6 address of the {what_en} is reachable.")


def all_of(parts: list[Verdict], nl: str, en: str) -> Verdict:
    """A column that needs every part passed (a part not tested counts as failed): a
    failure wins over no result (verdict.worst); the explanation is the deciding part's."""
    def status(v: Verdict) -> Status:
        return Status.FAILED if v.status == Status.NOT_TESTED else v.status
    decisive = worst(status(v) for v in parts)
    if decisive == Status.PASSED:
        return verdict(Status.PASSED, nl, en)
    chosen = next(v for v in parts if status(v) == decisive)
    return verdict(decisive, chosen.explanation.nl, chosen.explanation.en)


def addresses_and_reach(aaaa: Verdict, server_reach: Verdict, nl: str, en: str) -> Verdict:
    """AAAA and reachability: reach is not tested only when there is no address, which the
    AAAA verdict already says (failed, or error when the lookup got no answer)."""
    parts = [aaaa] + ([server_reach] if server_reach.status != Status.NOT_TESTED else [])
    return all_of(parts, nl, en)


def judge_nameservers(servers: list[ServerIpv6]) -> dict[str, Verdict]:
    aaaa, ns_reach = ns_aaaa(servers), reach(servers, "de naamservers", "name servers")
    column = addresses_and_reach(aaaa, ns_reach, "De naamservers zijn bereikbaar over IPv6.",
                                 "The name servers are reachable over IPv6.")
    return {"ns_aaaa": aaaa, "ns_reach": ns_reach, "ipv6_nameserver": column}


def web_ipv46(site: SameSite) -> Verdict:
    if site.error is not None:
        return verdict(Status.ERROR,
                       f"De site kon niet over IPv4 en IPv6 vergeleken worden ({site.error[0]}); "
                       "geen resultaat.",
                       f"The site could not be compared over IPv4 and IPv6 ({site.error[1]}); "
                       "no result.")
    distance = site.distance
    if distance is None:
        nl, en = site.no_ipv4 or ("niet opgehaald", "not fetched")
        return verdict(Status.NOT_TESTED,
                       f"Geen IPv4-site om mee te vergelijken ({nl}); vergelijking overgeslagen.",
                       f"No IPv4 site to compare with ({en}); comparison skipped.")
    limit = same_site.max_distance()
    if distance <= limit:
        return verdict(Status.PASSED,
                       f"Over IPv6 is dezelfde site te zien als over IPv4 (verschil "
                       f"{decimal_nl(distance)} van 100; de grens is {decimal_nl(limit)}).",
                       f"IPv6 shows the same site as IPv4 (difference {distance:g} of 100; the "
                       f"limit is {limit:g}).")
    return verdict(Status.FAILED,
                   f"Over IPv6 is een andere site te zien dan over IPv4: de pagina's verschillen "
                   f"{decimal_nl(distance)} van 100, meer dan de grens van {decimal_nl(limit)}. "
                   "Laat de webserver "
                   "over IPv6 dezelfde site geven als over IPv4.",
                   f"IPv6 shows a different site than IPv4: the pages differ by {distance:g} "
                   f"of 100, more than the limit of {limit:g}. Make the web server give the "
                   "same site over IPv6 as over IPv4.")


def decimal_nl(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def judge_web(web: ServerIpv6, site: SameSite | float | None,
              nameservers: dict[str, Verdict]) -> dict[str, Verdict]:
    """``site``: the same-site comparison; a number is its distance, None: not compared."""
    if not isinstance(site, SameSite):
        site = SameSite(distance=site)
    if web.addresses:
        aaaa = verdict(Status.PASSED, f"{web.name} heeft een IPv6-adres.",
                       f"{web.name} has an IPv6 address.")
    elif web.aaaa_error:
        aaaa = no_aaaa_answer([web])
    else:
        aaaa = verdict(Status.FAILED, f"{web.name} heeft geen IPv6-adres (AAAA).",
                       f"{web.name} has no IPv6 address (AAAA).")
    web_reach = reach([web], "de webserver", "web server")
    same = web_ipv46(site if web.addresses and not web.silent else SameSite(
        no_ipv4=("IPv6 niet bereikbaar", "IPv6 not reachable")))
    parts = [aaaa] + [v for v in (web_reach, same) if v.status != Status.NOT_TESTED]
    column = all_of(parts, f"De webserver is bereikbaar over IPv6. {same.explanation.nl}",
                    f"The web server is reachable over IPv6. {same.explanation.en}")
    ipv6_web = all_of([nameservers["ipv6_nameserver"], column],
                      "Naamservers en webserver zijn bereikbaar over IPv6.",
                      "Name servers and web server are reachable over IPv6.")
    return {"web_aaaa": aaaa, "web_reach": web_reach, "web_ipv46": same,
            "ipv6_webserver": column, "ipv6_web": ipv6_web}


def judge_mail(mx: list[ServerIpv6], null_mx: bool,
               nameservers: dict[str, Verdict]) -> dict[str, Verdict]:
    if null_mx or not mx:
        v = no_mx.no_mail_servers(null_mx, "IPv6 van de mailservers", "IPv6 of the mail servers")
        subtests = {"mx_aaaa": v, "mx_reach": v, "ipv6_mailserver": v}
    else:
        missing = [s.name for s in mx if not s.addresses and not s.aaaa_error]
        if missing:
            one = len(missing) == 1
            aaaa = verdict(Status.FAILED, f"{'Mailserver' if one else 'Mailservers'} zonder "
                           f"IPv6-adres: {', '.join(missing)}.",
                           f"{'Mail server' if one else 'Mail servers'} without an IPv6 "
                           f"address: {', '.join(missing)}.")
        elif any(s.aaaa_error for s in mx):
            aaaa = no_aaaa_answer(mx)
        else:
            aaaa = verdict(Status.PASSED, "Alle mailservers hebben een IPv6-adres.",
                           "Every mail server has an IPv6 address.")
        mx_reach = reach(mx, "de mailservers", "mail servers")
        column = addresses_and_reach(aaaa, mx_reach, "De mailservers zijn bereikbaar over IPv6.",
                                     "The mail servers are reachable over IPv6.")
        subtests = {"mx_aaaa": aaaa, "mx_reach": mx_reach, "ipv6_mailserver": column}
    mail = subtests["ipv6_mailserver"]
    if mail.status in MAIL_OK_FOR_IPV6_MAIL:
        mail = verdict(Status.PASSED, mail.explanation.nl, mail.explanation.en)
    ipv6_mail = all_of([nameservers["ipv6_nameserver"], mail], "IPv6 voor mail is in orde.",
                       "IPv6 for mail is fine.")
    return {**subtests, "ipv6_mail": ipv6_mail}
