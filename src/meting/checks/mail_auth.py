"""SPF, DMARC and DKIM (SPF §4: spf, spf_policy, dmarc, dmarc_policy, dkim).

Each is judged on its own lookups: a lookup without an answer (timeout, SERVFAIL) is
`error` for what depends on it, never a missing record. SPF and spf_policy read the
domain's TXT; spf_policy also every include/redirect target (one without an answer
makes it `error`, unless the policy already certainly fails); DMARC reads
``_dmarc.<domain>``, then the organisational domain only when that answered without a
DMARC record; DKIM reads ``_domainkey.<domain>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from meting.checks.explain import plain
from meting.checks.verdict import Status, Verdict, verdict
from meting.evidence.models import DnsAnswer, MailAuth
from meting.probe.evidence import txt_strings
from meting.records.dmarc import DmarcRecord, parse_dmarc, select_dmarc
from meting.records.spf import SpfPolicyResult, evaluate_policy, select_spf

STRICT_ALL = ("-", "~")
STRICT_DMARC = ("quarantine", "reject")


@dataclass(frozen=True)
class DmarcFound:
    """The first name with DMARC records, or the lookup that got no answer before it."""

    name: str = ""
    record: DmarcRecord | None = None  # when there is exactly one
    count: int = 0
    unanswered: DnsAnswer | None = None


def judge(domain: str, evidence: MailAuth) -> dict[str, Verdict]:
    txt = evidence.txt
    tree = evidence.spf_tree
    no_answer = [n for n, a in tree.answers.items() if not a.ok]
    result = evaluate_policy(domain, tree.records, no_answer)
    if txt.ok:
        spf_records = select_spf([txt_strings(r) for r in txt.answers])
        spf_v, policy_v = spf(spf_records), spf_policy(result, spf_records)
    else:
        spf_v = policy_v = no_answer_for(txt)
    dmarc_found = dmarc_record(evidence.dmarc)
    dmarc_v, dmarc_policy_v = dmarc(dmarc_found), dmarc_policy(dmarc_found, domain)
    dkim_v = dkim(evidence.domainkey, result, dmarc_found,
                  spf_known=txt.ok)
    return {"spf": spf_v, "spf_policy": policy_v, "dmarc": dmarc_v,
            "dmarc_policy": dmarc_policy_v, "dkim": dkim_v}


def no_answer_for(answer: DnsAnswer) -> Verdict:
    name = answer.name.rstrip(".")
    cause = plain(answer.error or answer.rcode)
    return verdict(Status.ERROR,
                   f"De naamservers gaven geen antwoord voor {name} ({cause.nl}); geen "
                   "resultaat. Controleer of de naamservers van het domein werken.",
                   f"The name servers gave no answer for {name} ({cause.en}); no result. "
                   "Check that the domain's name servers work.")


def spf(records: list[str]) -> Verdict:
    if len(records) == 1:
        return verdict(Status.PASSED, f"SPF-record gevonden: {records[0]}",
                       f"SPF record found: {records[0]}")
    if not records:
        return verdict(Status.FAILED, "Geen SPF-record. Publiceer één TXT-record 'v=spf1 …'.",
                       "No SPF record. Publish one TXT record 'v=spf1 …'.")
    return verdict(Status.FAILED,
                   f"{len(records)} SPF-records; er mag er maar één zijn (RFC 7208 §4.5).",
                   f"{len(records)} SPF records; there must be exactly one (RFC 7208 §4.5).")


def spf_policy(result: SpfPolicyResult, records: list[str]) -> Verdict:
    if len(records) != 1:
        return verdict(Status.FAILED, "Zonder één geldig SPF-record is er geen SPF-beleid.",
                       "Without exactly one SPF record there is no SPF policy.")
    if result.lookups > 10:
        return verdict(Status.FAILED,
                       f"Het SPF-record {records[0]!r} vraagt meer dan 10 DNS-opzoekingen (na "
                       f"{result.lookups} is meting gestopt met tellen); maximaal 10 mag.",
                       f"The SPF record {records[0]!r} needs more than 10 DNS lookups (meting "
                       f"stopped counting at {result.lookups}); at most 10 are allowed.")
    if result.errors:
        causes = [plain(e) for e in result.errors]
        return verdict(Status.FAILED,
                       f"Het SPF-record {records[0]!r} is ongeldig: "
                       f"{'; '.join(c.nl for c in causes)}.",
                       f"The SPF record {records[0]!r} is invalid: "
                       f"{'; '.join(c.en for c in causes)}.")
    redirected = result.record is not None and result.record.effective_redirect is not None
    if result.unanswered and (redirected or result.all_qualifier in STRICT_ALL):
        names = ", ".join(result.unanswered)
        return verdict(Status.ERROR,
                       f"Geen antwoord uit DNS voor {names} (include/redirect); het SPF-beleid "
                       "is niet vast te stellen; geen resultaat.",
                       f"No answer from DNS for {names} (include/redirect); the SPF policy "
                       "cannot be determined; no result.")
    return spf_all(result)


def spf_all(result: SpfPolicyResult) -> Verdict:
    if not result.includes_resolve:
        names = ", ".join(result.unresolved)
        return verdict(Status.FAILED, f"Includes die niet werken: {names}.",
                       f"Includes that do not resolve: {names}.")
    if result.all_qualifier not in STRICT_ALL:
        shown = f"{result.all_qualifier or ''}all" if result.all_qualifier else "geen all"
        return verdict(Status.FAILED,
                       f"Het SPF-beleid eindigt niet in ~all of -all ({shown}).",
                       "The SPF policy does not end in ~all or -all "
                       f"({shown.replace('geen all', 'no all')}).")
    return verdict(Status.PASSED, f"Het SPF-beleid is streng ({result.all_qualifier}all).",
                   f"The SPF policy is strict ({result.all_qualifier}all).")


def dmarc_record(answers: list[DnsAnswer]) -> DmarcFound:
    """The first name with DMARC records; a lookup without an answer stops the search
    (the organisational domain is asked only when the domain has no record)."""
    for answer in answers:
        if not answer.ok:
            return DmarcFound(unanswered=answer)
        found = select_dmarc([txt_strings(r) for r in answer.answers])
        if found:
            record = parse_dmarc(found[0]) if len(found) == 1 else None
            return DmarcFound(answer.name.rstrip("."), record, len(found))
    return DmarcFound()


def dmarc(found: DmarcFound) -> Verdict:
    name, count = found.name, found.count
    if found.unanswered is not None:
        return no_answer_for(found.unanswered)
    if count == 0:
        return verdict(Status.FAILED, "Geen DMARC-record (_dmarc). Publiceer 'v=DMARC1; p=…'.",
                       "No DMARC record (_dmarc). Publish 'v=DMARC1; p=…'.")
    if count > 1:
        return verdict(Status.FAILED, f"{count} DMARC-records op {name}; er mag er één zijn.",
                       f"{count} DMARC records at {name}; there must be one.")
    return verdict(Status.PASSED, f"DMARC-record gevonden op {name}.",
                   f"DMARC record found at {name}.")


def dmarc_policy(found: DmarcFound, domain: str) -> Verdict:
    name, record = found.name, found.record
    if found.unanswered is not None:
        return no_answer_for(found.unanswered)
    if record is None:
        return verdict(Status.FAILED, "Zonder één DMARC-record is er geen DMARC-beleid.",
                       "Without exactly one DMARC record there is no DMARC policy.")
    if record.errors:
        causes = [plain(e) for e in record.errors]
        return verdict(Status.FAILED,
                       f"Het DMARC-record op {name} is ongeldig: "
                       f"{'; '.join(c.nl for c in causes)}.",
                       f"The DMARC record at {name} is invalid: "
                       f"{'; '.join(c.en for c in causes)}.")
    # Found at the organisational domain: a subdomain gets its sp= (or p=).
    at_org = name.rstrip(".") != f"_dmarc.{domain}"
    policy = record.subdomain_policy if at_org else record.policy
    if policy not in STRICT_DMARC:
        return verdict(Status.FAILED,
                       f"Het DMARC-beleid is p={policy}; kies quarantine of reject.",
                       f"The DMARC policy is p={policy}; choose quarantine or reject.")
    return verdict(Status.PASSED, f"Het DMARC-beleid is streng (p={policy}).",
                   f"The DMARC policy is strict (p={policy}).")


def declares_no_mail(result: SpfPolicyResult, found: DmarcFound, spf_known: bool) -> bool | None:
    """SPF that allows nothing ('v=spf1 -all') and DMARC p=reject (SPEC §4, dkim); None
    when a lookup without an answer leaves it open."""
    spf_record = result.record
    nothing = (spf_record is not None and len(spf_record.mechanisms) == 1
               and spf_record.all_qualifier == "-" and spf_record.redirect is None)
    reject = found.record is not None and found.record.policy == "reject"
    if (spf_known and not nothing) or (found.unanswered is None and not reject):
        return False
    return True if spf_known and found.unanswered is None else None


def dkim(domainkey: DnsAnswer, result: SpfPolicyResult, found: DmarcFound,
         spf_known: bool = True) -> Verdict:
    no_mail = declares_no_mail(result, found, spf_known)
    if no_mail:
        return verdict(Status.NOT_APPLICABLE,
                       "Het domein verklaart geen mail te versturen (SPF -all, DMARC reject).",
                       "The domain declares it sends no mail (SPF -all, DMARC reject).")
    if domainkey.rcode == "NOERROR":
        return verdict(Status.PASSED, "Er zijn DKIM-sleutels (_domainkey bestaat).",
                       "DKIM keys exist (_domainkey exists).")
    if domainkey.rcode == "NXDOMAIN" and no_mail is None:
        return verdict(Status.ERROR,
                       "_domainkey bestaat niet, maar zonder antwoord voor SPF of DMARC is niet "
                       "vast te stellen of het domein verklaart geen mail te versturen; geen "
                       "resultaat.",
                       "_domainkey does not exist, but without an answer for SPF or DMARC it "
                       "cannot be told whether the domain declares it sends no mail; no "
                       "result.")
    if domainkey.rcode == "NXDOMAIN":
        return verdict(Status.FAILED,
                       "Geen DKIM: _domainkey bestaat niet. Onderteken uitgaande mail met DKIM "
                       "en publiceer de sleutel.",
                       "No DKIM: _domainkey does not exist. Sign outgoing mail with DKIM and "
                       "publish the key.")
    cause = plain(domainkey.error or domainkey.rcode)
    return verdict(Status.ERROR, f"DKIM kon niet worden vastgesteld ({cause.nl}).",
                   f"DKIM could not be determined ({cause.en}).")
