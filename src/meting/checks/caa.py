"""CAA (RFC 8659): web_caa and mail_caa. Optional in the NCSC guidelines: what an absent or
unusable CAA set gets is the norm's (``tls.optional``: info), failed if a norm requires CAA.

Evidence: ``probe/caa.py`` — the record set found by climbing the tree from the name.
"""

from __future__ import annotations

from meting.checks.explain import plain
from meting.checks.verdict import Status, Verdict, verdict
from meting.evidence.models import Caa
from meting.norms import Norm
from meting.norms import tls as tls_norm

KNOWN_TAGS = frozenset({"issue", "issuewild", "iodef", "contactemail", "contactphone",
                        "issuemail", "issuevmc"})


def parse(rdata: str) -> tuple[int, str, str] | None:
    parts = rdata.split(None, 2)
    if len(parts) < 2 or not parts[0].isdigit():
        return None
    return int(parts[0]), parts[1].lower(), parts[2].strip('"') if len(parts) > 2 else ""


def missing_status(norm: Norm) -> Status:
    optional = tls_norm.missing_optional(norm, "caa")
    return Status.FAILED if optional is None else Status(optional)


def judge_caa(caa: Caa | None, name: str, norm: Norm) -> Verdict:
    """The CAA subtest for one host name."""
    missing = missing_status(norm)
    if caa is None:
        return verdict(Status.NOT_TESTED if missing == Status.FAILED else missing,
                       f"CAA van {name} is niet onderzocht.",
                       f"CAA of {name} was not looked up.")
    records = [r for r in (parse(x) for x in caa.records) if r is not None]
    need_nl, need_en = ("verplicht", "required") if missing == Status.FAILED else (
        "optioneel", "optional")
    if caa.error:
        cause = plain(caa.error)
        return verdict(missing, f"CAA van {name} kon niet worden opgevraagd "
                       f"({cause.nl}); CAA is {need_nl}.",
                       f"CAA of {name} could not be looked up ({cause.en}); CAA is "
                       f"{need_en}.")
    if not records:
        return verdict(missing,
                       f"Geen CAA-records voor {name} ({need_nl}); met CAA legt u vast welke "
                       "CA's certificaten mogen uitgeven.",
                       f"No CAA records for {name} ({need_en}); CAA states which CAs may "
                       "issue certificates.")
    unknown_critical = [tag for flags, tag, _ in records if flags & 128 and tag not in KNOWN_TAGS]
    if unknown_critical:
        return verdict(missing,
                       f"CAA bij {caa.found_at} heeft een onbekende kritieke tag "
                       f"({', '.join(unknown_critical)}): geen CA mag uitgeven.",
                       f"CAA at {caa.found_at} has an unknown critical tag "
                       f"({', '.join(unknown_critical)}): no CA may issue.")
    if not any(tag == "issue" for _, tag, _ in records):
        return verdict(missing, f"CAA bij {caa.found_at} heeft geen 'issue'-record.",
                       f"CAA at {caa.found_at} has no 'issue' record.")
    issuers = sorted({value for _, tag, value in records if tag == "issue"})
    return verdict(Status.PASSED,
                   f"CAA bij {caa.found_at} staat uitgifte toe aan: {', '.join(issuers)}.",
                   f"CAA at {caa.found_at} allows issuance by: {', '.join(issuers)}.")
