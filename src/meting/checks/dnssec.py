"""DNSSEC of the web host's zone and of the MX hosts' zones (SPEC §4: dnssec, dnssec_mx).

The evidence per name is the security of its answer through the validating
resolver: ``secure`` (AD), ``insecure`` (no AD), ``bogus`` (SERVFAIL, data with CD)
or ``error`` (no answer at all).
"""

from __future__ import annotations

from collections.abc import Mapping

from meting.checks import no_mx
from meting.checks.verdict import Status, Verdict, verdict, worst

Security = str  # "secure" | "insecure" | "bogus" | "error"


def dnssec_exists(name: str, security: Security) -> Verdict:
    if security in ("secure", "bogus"):
        return verdict(Status.PASSED, f"{name} is ondertekend met DNSSEC.",
                       f"{name} is signed with DNSSEC.")
    if security == "insecure":
        return verdict(Status.FAILED,
                       f"{name} is niet ondertekend met DNSSEC. Laat de zone ondertekenen en "
                       "de DS-record bij de bovenliggende zone registreren.",
                       f"{name} is not signed with DNSSEC. Sign the zone and have its DS "
                       "record published in the parent zone.")
    return no_answer(name)


def dnssec_valid(name: str, security: Security) -> Verdict:
    if security == "secure":
        return verdict(Status.PASSED, f"De handtekeningen van {name} zijn geldig.",
                       f"The signatures of {name} validate.")
    if security == "bogus":
        return verdict(Status.FAILED,
                       f"De DNSSEC-handtekeningen van {name} zijn ongeldig (bogus): validerende "
                       "resolvers geven geen antwoord. Controleer de DS-record en of de "
                       "handtekeningen niet verlopen zijn.",
                       f"The DNSSEC signatures of {name} do not validate (bogus): validating "
                       "resolvers give no answer. Check the DS record and signature expiry.")
    if security == "insecure":
        return verdict(Status.NOT_TESTED, f"{name} is niet ondertekend; geldigheid niet getest.",
                       f"{name} is not signed; validity not tested.")
    return no_answer(name)


def no_answer(name: str) -> Verdict:
    return verdict(Status.ERROR,
                   f"Voor {name} kwam geen antwoord van de naamservers, ook niet zonder "
                   "validatie; controleer of de naamservers werken.",
                   f"No answer for {name} from its name servers, not even without "
                   "validation; check that the name servers work.")


def judge_web(host: str, security: Security) -> dict[str, Verdict]:
    """Subtests and the `dnssec` column for the web host."""
    exists, valid = dnssec_exists(host, security), dnssec_valid(host, security)
    column = valid if exists.status == Status.PASSED else exists
    return {"dnssec_exists": exists, "dnssec_valid": valid, "dnssec": column}


def judge_mail(mx_security: Mapping[str, Security], null_mx: bool) -> dict[str, Verdict]:
    """Subtests and the `dnssec_mx` column over every MX host."""
    if null_mx or not mx_security:
        v = no_mx.no_mail_servers(null_mx, "DNSSEC van de mailservers",
                                  "DNSSEC of the mail servers")
        return {"dnssec_mx_exists": v, "dnssec_mx_valid": v, "dnssec_mx": v}
    exists = [dnssec_exists(mx, sec) for mx, sec in sorted(mx_security.items())]
    valid = [dnssec_valid(mx, sec) for mx, sec in sorted(mx_security.items())]
    exists_v, valid_v = combine(exists), combine(valid)
    column = valid_v if exists_v.status == Status.PASSED else exists_v
    return {"dnssec_mx_exists": exists_v, "dnssec_mx_valid": valid_v, "dnssec_mx": column}


def combine(verdicts: list[Verdict]) -> Verdict:
    """One verdict for several servers (verdict.worst: a failure wins over no result),
    with every server's explanation."""
    status = worst(v.status for v in verdicts)
    return verdict(status, " ".join(v.explanation.nl for v in verdicts),
                   " ".join(v.explanation.en for v in verdicts))
