"""STARTTLS on every MX (SPEC §4: starttls, starttls_ncsc; subtest starttls_exists and the
NCSC subtests of ``tls_ncsc`` judged per MX address).

Choices (also in the scenario catalogue's header): an MX none of whose addresses
gives an SMTP greeting is `unreachable`, which cascades to starttls_ncsc; an MX whose
name has no usable DNS answer is `error`; an address without STARTTLS fails both
columns (a failure is a result and wins over another MX's missing result); a
handshake that never completes after STARTTLS is `error` on starttls_ncsc; Null MX:
not_tested; no MX: info. OCSP stapling is not judged for mail (as Internet.nl).
"""

from __future__ import annotations

from meting.checks import caa, no_mx, tls_ncsc
from meting.checks.explain import plain
from meting.checks.verdict import NO_RESULT, Status, Verdict, verdict, worst
from meting.evidence.models import MxHost, TlsScan
from meting.norms import Norm

COLUMNS = ("starttls_exists", "starttls", "starttls_ncsc")


def no_mail_servers(null_mx: bool) -> dict[str, Verdict]:
    return dict.fromkeys(COLUMNS, no_mx.no_mail_servers(null_mx, "STARTTLS", "STARTTLS"))


def dns_error(entry: MxHost) -> str | None:
    answers = [entry.a, entry.aaaa]
    if all(not a.ok for a in answers):
        return answers[0].error or answers[0].rcode or "no answer"
    return None


def starttls_exists(entry: MxHost) -> tuple[Verdict, dict[str, TlsScan]]:
    """The verdict for one MX and the scans of its addresses that offered STARTTLS."""
    name = entry.name
    error = dns_error(entry)
    if error is not None:
        cause = plain(error)
        return verdict(Status.ERROR,
                       f"Geen adres van {name} uit DNS ({cause.nl}); geen resultaat.",
                       f"No address of {name} from DNS ({cause.en}); no result."), {}
    scans = entry.starttls
    reached = {a: s for a, s in scans.items() if s.starttls_offered is not None}
    if not reached:
        causes = {a: plain(s.smtp_error or s.connect_error)
                  for a, s in scans.items()}
        why_nl = "; ".join(f"{a}: {c.nl}" for a, c in causes.items()) or "geen adres"
        why_en = "; ".join(f"{a}: {c.en}" for a, c in causes.items()) or "no address"
        return verdict(Status.UNREACHABLE,
                       f"De mailserver {name} gaf geen SMTP-begroeting ({why_nl}); geen "
                       "resultaat.",
                       f"The mail server {name} gave no SMTP greeting ({why_en}); no result."), {}
    without = sorted(a for a, s in reached.items() if not s.starttls_offered)
    if without:
        return verdict(Status.FAILED,
                       f"{name} biedt geen STARTTLS aan op {', '.join(without)}; zet STARTTLS "
                       "aan.", f"{name} does not offer STARTTLS on {', '.join(without)}; "
                       "enable STARTTLS."), {}
    return verdict(Status.PASSED, f"{name} biedt STARTTLS aan.",
                   f"{name} offers STARTTLS."), reached


def ncsc_of_mx(entry: MxHost, scans: dict[str, TlsScan], norm: Norm,
               dane_valid: bool) -> dict[str, Verdict]:
    name = entry.name
    broken = {a: s.handshake_error for a, s in scans.items() if s.handshake_error}
    if broken:
        address, error = next(iter(broken.items()))
        cause = plain(error)
        v = verdict(Status.ERROR, f"Geen TLS-handshake na STARTTLS met {name} ({address}: "
                    f"{cause.nl}); geen resultaat.",
                    f"No TLS handshake after STARTTLS with {name} ({address}: "
                    f"{cause.en}); no result.")
        return {"starttls_ncsc": v}
    subtests = tls_ncsc.combine({
        a: tls_ncsc.judge_server(s, norm, kind="mail", host=name, dane_valid=dane_valid)
        for a, s in scans.items()})
    subtests["mail_caa"] = caa.judge_caa(entry.caa, name, norm)
    return subtests


def pick(verdicts: dict[str, Verdict]) -> Verdict:
    """The verdict that decides a column over MX hosts (verdict.worst: a failure wins over
    no result), named by its MX when there are several."""
    status = worst(v.status for v in verdicts.values())
    name, v = next(((n, v) for n, v in verdicts.items() if v.status == status),
                   next(iter(verdicts.items())))
    if len(verdicts) == 1 or status == Status.PASSED:
        return v
    return verdict(status, f"{name}: {v.explanation.nl}", f"{name}: {v.explanation.en}")


def judge_mail_tls(mx_entries: list[MxHost], norm: Norm, dane_valid_hosts: set[str],
                   *, null_mx: bool = False) -> dict[str, Verdict]:
    """starttls_exists, the NCSC subtests and the columns starttls and starttls_ncsc."""
    if null_mx or not mx_entries:
        return no_mail_servers(null_mx)
    exists: dict[str, Verdict] = {}
    per_mx: dict[str, dict[str, Verdict]] = {}
    for entry in mx_entries:
        verdict_, scans = starttls_exists(entry)
        exists[entry.name] = verdict_
        if scans:
            per_mx[entry.name] = ncsc_of_mx(entry, scans, norm, entry.name in dane_valid_hosts)
    starttls = pick(exists)
    results = {"starttls_exists": starttls, "starttls": starttls}
    if starttls.status != Status.PASSED:
        return results | {"starttls_ncsc": cascade(starttls)}
    broken = {n: r["starttls_ncsc"] for n, r in per_mx.items() if "starttls_ncsc" in r}
    if broken:
        return results | {"starttls_ncsc": pick(broken)}
    subtests = tls_ncsc.combine(per_mx)
    return results | subtests | {"starttls_ncsc": tls_ncsc.tls_ncsc_column(subtests,
                                                                           "starttls_ncsc")}


def cascade(starttls: Verdict) -> Verdict:
    if starttls.status in NO_RESULT:
        return verdict(starttls.status, "STARTTLS kon niet getest worden, de TLS-configuratie "
                       "dus ook niet: " + starttls.explanation.nl,
                       "STARTTLS could not be tested, so neither could the TLS configuration: "
                       + starttls.explanation.en)
    return verdict(Status.FAILED, "Zonder STARTTLS voldoet de TLS-configuratie niet: "
                   + starttls.explanation.nl,
                   "Without STARTTLS the TLS configuration does not comply: "
                   + starttls.explanation.en)
