"""A whole web or mail test judged from its evidence: subtests and report columns.

Columns that the tester does not judge yet are left out, never guessed.
"""

from __future__ import annotations

from typing import Any

from meting.checks import (
    address_limit,
    dane,
    dnssec,
    explain,
    https,
    ipv6,
    mail_auth,
    mx_limit,
    rpki,
    starttls,
    tls_ncsc,
    unprobed,
)
from meting.checks.same_site import page_distance
from meting.checks.verdict import Status, Verdict, verdict
from meting.evidence.models import (
    DnsAnswer,
    HostAddresses,
    MailEvidence,
    NameServer,
    WebEvidence,
)
from meting.norms import Norm

WEB_COLUMNS = ("dnssec", "tls_available", "tls_ncsc_web", "https_redirect", "hsts",
               "ipv6_nameserver", "ipv6_webserver", "ipv6_web", "rpki_web", "security_txt",
               "security_headers")
MAIL_COLUMNS = ("dmarc", "dkim", "spf", "dmarc_policy", "spf_policy", "starttls", "starttls_ncsc",
                "dnssec_mx", "dane", "ipv6_nameserver", "ipv6_mailserver", "ipv6_mail",
                "rpki_mail")


def lookup_error(a: DnsAnswer) -> str | None:
    """Why this lookup got no usable answer (timeout, SERVFAIL); None when it was answered
    (NXDOMAIN and NODATA are answers: no addresses)."""
    return None if a.ok else a.error or a.rcode or "no answer"


def dns_failure(found: list[DnsAnswer]) -> Verdict | None:
    """An `error` verdict when the resolver gave no usable answer to every one of these."""
    if found and all(not a.ok for a in found):
        cause = explain.plain(found[0].error or found[0].rcode)
        name = found[0].name.rstrip(".")
        return verdict(Status.ERROR,
                       f"Geen bruikbaar antwoord uit DNS voor {name} ({cause.nl}); geen "
                       "resultaat.",
                       f"No usable answer from DNS for {name} ({cause.en}); no result.")
    return None


def nameserver_failure(evidence: WebEvidence | MailEvidence) -> Verdict | None:
    return dns_failure(unprobed.failed_lookups(evidence))


def with_errors(results: dict[str, Verdict], keys: tuple[str, ...],
                error: Verdict | None) -> dict[str, Verdict]:
    """Replace the verdicts of ``keys`` by ``error`` when there is one."""
    if error is None:
        return results
    return {**results, **dict.fromkeys(keys, error)}


def name_servers_ipv6(evidence: WebEvidence | MailEvidence) -> list[ipv6.ServerIpv6]:
    return [ipv6.ServerIpv6(ns.name, tuple(ns.aaaa.found),
                            {a: bool(r.rcode) for a, r in ns.reach6.items()},
                            lookup_error(ns.aaaa))
            for ns in evidence.nameservers if isinstance(ns, NameServer)]


def security_of(entry: HostAddresses) -> str:
    a, aaaa = entry.a, entry.aaaa
    return a.security if a.answers or not aaaa.answers else aaaa.security


def same_site(evidence: WebEvidence) -> ipv6.SameSite:
    site, a_error = evidence.site, lookup_error(evidence.host.a)
    if "v6" not in site:  # no IPv6 address: web_aaaa says so
        return ipv6.SameSite(no_ipv4=("IPv6 niet opgehaald", "IPv6 not fetched"))
    v6 = site["v6"]
    if v6.error or a_error:
        cause = explain.plain(v6.error or a_error)
        return ipv6.SameSite(error=(f"ophalen over IPv6: {cause.nl}", f"IPv6 fetch: {cause.en}")
                             if v6.error else (f"A-record: {cause.nl}", f"A record: {cause.en}"))
    if "v4" not in site:
        return ipv6.SameSite(no_ipv4=("geen A-record", "no A record"))
    v4 = site["v4"]
    if v4.error:
        cause = explain.plain(v4.error)
        return ipv6.SameSite(no_ipv4=(f"ophalen over IPv4 mislukte: {cause.nl}",
                                      f"the IPv4 fetch failed: {cause.en}"))
    return ipv6.SameSite(distance=page_distance(v4.body, v6.body))


def web_server_ipv6(evidence: WebEvidence) -> ipv6.ServerIpv6:
    host = evidence.host
    v4, v6 = host.a.found, host.aaaa.found
    ports: dict[str, dict[str, bool]] = {
        a: {p: r.ok for p, r in evidence.ports[a].items()} for a in v4 + v6}
    needed = {p for a in v4 for p, ok in ports[a].items() if ok} or {"80", "443"}
    answered = {a: all(ports[a].get(p, False) for p in needed) if needed != {"80", "443"}
                or v4 else any(ports[a].values()) for a in v6}
    return ipv6.ServerIpv6(evidence.target, tuple(v6), answered, lookup_error(host.aaaa))


NS_KEYS = ("ns_aaaa", "ns_reach", "ipv6_nameserver")
WEB_HOST_KEYS = ("tls_ncsc_web", "web_aaaa", "web_reach", "web_ipv46", "ipv6_webserver",
                 "ipv6_web", "rpki_web_exists", "rpki_web_valid", "rpki_web", *https.KEYS,
                 "dnssec_exists", "dnssec_valid", "dnssec")
MX_KEYS = ("dnssec_mx_exists", "dnssec_mx_valid", "dnssec_mx", "mx_aaaa", "mx_reach",
           "ipv6_mailserver", "ipv6_mail", "rpki_mail_exists", "rpki_mail_valid", "rpki_mail",
           "starttls_exists", "starttls", "starttls_ncsc", "dane_exists", "dane_valid",
           "dane_rollover", "dane")


def judge_web(evidence: WebEvidence, norm: Norm) -> dict[str, Verdict]:
    return finish(evidence, judge_web_parts(evidence, norm), norm)


def judge_mail(evidence: MailEvidence, norm: Norm) -> dict[str, Verdict]:
    return finish(evidence, judge_mail_parts(evidence, norm), norm)


def judge(evidence: WebEvidence | MailEvidence, norm: Norm) -> dict[str, dict[str, Any]]:
    """Columns and subtests of a web or mail test, in the JSON shape (``split``)."""
    if isinstance(evidence, WebEvidence):
        return split(judge_web(evidence, norm), WEB_COLUMNS)
    return split(judge_mail(evidence, norm), MAIL_COLUMNS)


def finish(evidence: WebEvidence | MailEvidence, results: dict[str, Verdict],
           norm: Norm) -> dict[str, Verdict]:
    """A name that does not exist, name servers not found and refused addresses
    override the verdicts; then every verdict gets its guidance (explain.py)."""
    missing = unprobed.missing_name(evidence)
    if missing is not None:
        results = dict.fromkeys(results, missing)
    else:
        no_ns = unprobed.nameservers_not_found(evidence)
        results = with_errors(results, tuple(k for k in results
                                             if k in unprobed.NAME_SERVER_KEYS | {"ns_aaaa"}
                                             or "rpki" in k), no_ns)
        results = unprobed.refused_addresses(evidence, results)
    return explain.complete(results, norm)


def judge_web_parts(evidence: WebEvidence, norm: Norm) -> dict[str, Verdict]:
    host = evidence.host
    results = dnssec.judge_web(evidence.target, security_of(host))
    results |= https.judge(evidence.http, evidence.target, norm)
    gate = https.tls_gate(evidence.http, results.get("tls_available"))
    results |= tls_ncsc.judge_web_tls(evidence, norm, gate)
    ns_error = nameserver_failure(evidence)
    ns = with_errors(ipv6.judge_nameservers(name_servers_ipv6(evidence)), NS_KEYS, ns_error)
    results |= ns
    results |= ipv6.judge_web(web_server_ipv6(evidence), same_site(evidence), ns)
    if evidence.routing is not None:
        results |= rpki.judge("web", list(evidence.routing.values()))
    # No answer from DNS is no result, not a failure (SPEC §3: error)
    present = tuple(k for k in WEB_HOST_KEYS if k in results)
    results = with_errors(results, present, dns_failure([host.a, host.aaaa]))
    results = with_errors(results, tuple(k for k in present if k == "ipv6_web" or "rpki" in k),
                          ns_error)
    return address_limit.note_untested(results, [host], (k for k in present
                                                         if not k.startswith("dnssec")))


def judge_mail_parts(evidence: MailEvidence, norm: Norm) -> dict[str, Verdict]:
    null_mx = evidence.null_mx
    mx = evidence.mx
    results = mail_auth.judge(evidence.target, evidence.mail_auth)
    results |= dnssec.judge_mail({e.name: security_of(e) for e in mx}, null_mx)
    results |= starttls.judge_mail_tls(mx, norm, dane.dane_valid_hosts(mx), null_mx=null_mx)
    results |= dane.judge(mx, null_mx, results.get("starttls"))
    ns_error = nameserver_failure(evidence)
    ns = with_errors(ipv6.judge_nameservers(name_servers_ipv6(evidence)), NS_KEYS, ns_error)
    servers = [ipv6.ServerIpv6(e.name, tuple(e.aaaa.found),
                               {a: r.ok for a, r in e.smtp6.items()}, lookup_error(e.aaaa))
               for e in mx]
    results |= ns
    results |= ipv6.judge_mail(servers, null_mx, ns)
    if evidence.routing is not None:
        results |= rpki.judge("mail", list(evidence.routing.values()))
    present = tuple(k for k in MX_KEYS if k in results)
    mx_dns = [answer for e in mx for answer in (e.a, e.aaaa)]
    results = with_errors(results, present,
                          dns_failure([evidence.mx_answer]) or dns_failure(mx_dns))
    results = with_errors(results, tuple(k for k in present if k == "ipv6_mail" or "rpki" in k),
                          ns_error)
    results = address_limit.note_untested(results, mx, (k for k in present
                                                        if not k.startswith("dnssec")))
    return mx_limit.note_untested(results, [e.name for e in mx], evidence.mx_skipped)


def split(results: dict[str, Verdict], columns: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """The JSON shape of `meting check --json`: columns and subtests apart."""
    return {"columns": {c: results[c].to_dict() for c in columns if c in results},
            "subtests": {k: v.to_dict() for k, v in results.items() if k not in columns}}
