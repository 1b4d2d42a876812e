"""security.txt over HTTPS (RFC 9116): subtest ``http_securitytxt``, column security_txt.

The file must be at ``/.well-known/security.txt`` over HTTPS (redirects over HTTPS
are allowed, §3), answer 200 with Content-Type text/plain (charset, if given,
utf-8), and hold Contact and one future Expires (records/security_txt.py). A file
more than a year from expiry passes with a note (§2.5.5 says SHOULD).
"""

from __future__ import annotations

import datetime as dt

from meting.checks.explain import plain
from meting.checks.verdict import Status, Verdict, verdict
from meting.evidence.models import SecurityTxtFetch
from meting.records.security_txt import Problem, parse

PATH = "/.well-known/security.txt"
ENDS = {  # how a redirect chain ended -> (nl, en)
    "loop": ("de doorverwijzingen vormen een lus", "the redirects form a loop"),
    "too_many_redirects": ("te veel doorverwijzingen (meer dan 10)",
                           "too many redirects (more than 10)"),
    "bad_location": ("een doorverwijzing naar een ongeldig adres",
                     "a redirect to an invalid URL"),
    "insecure_redirect": ("een doorverwijzing naar http: (security.txt moet over HTTPS)",
                          "a redirect to http: (security.txt must be served over HTTPS)"),
    "no_address": ("een doorverwijzing naar een naam zonder IP-adres",
                   "a redirect to a name without an IP address"),
}
PROBLEMS = {  # problem code -> (nl, en)
    "bad_signed_message": ("ongeldig PGP-ondertekend bericht", "malformed PGP-signed message"),
    "invalid_line": ("regel is geen veld of commentaar", "line is no field or comment"),
    "no_contact": ("het verplichte veld Contact ontbreekt",
                   "the required Contact field is missing"),
    "bad_contact": ("Contact is geen URI (mailto:, https: of tel:)",
                    "Contact is not a URI (mailto:, https: or tel:)"),
    "no_expires": ("het verplichte veld Expires ontbreekt",
                   "the required Expires field is missing"),
    "multiple_expires": ("Expires staat er meer dan eens in", "Expires appears more than once"),
    "bad_expires": ("Expires is geen datum-tijd volgens RFC 3339 (zoals 2026-12-31T23:59:59Z)",
                    "Expires is no RFC 3339 date-time (such as 2026-12-31T23:59:59Z)"),
    "expired": ("de Expires-datum is verstreken", "the Expires date has passed"),
    "insecure_uri": ("een web-URI moet met https:// beginnen", "a web URI must start with https://"),
    "multiple_preferred_languages": ("Preferred-Languages staat er meer dan eens in",
                                     "Preferred-Languages appears more than once"),
}
FIX = ("Publiceer een geldig security.txt (RFC 9116) met Contact en een Expires in de toekomst "
       "(minder dan een jaar vooruit) op https://<host>/.well-known/security.txt.",
       "Publish a valid security.txt (RFC 9116) with Contact and a future Expires (less than "
       "a year ahead) at https://<host>/.well-known/security.txt.")


def failed(nl: str, en: str, host: str) -> Verdict:
    fix_nl, fix_en = (f.replace("<host>", host) for f in FIX)
    return verdict(Status.FAILED, f"{nl} {fix_nl}", f"{en} {fix_en}")


def describe(problem: Problem) -> tuple[str, str]:
    nl, en = PROBLEMS[problem.code]
    where_nl = f"regel {problem.line}: " if problem.line else ""
    where_en = f"line {problem.line}: " if problem.line else ""
    detail = f" ({problem.detail})" if problem.detail else ""
    return f"{where_nl}{nl}{detail}", f"{where_en}{en}{detail}"


def media_type_problem(content_type: str) -> tuple[str, str] | None:
    media, *params = [p.strip() for p in content_type.split(";")]
    if media.lower() != "text/plain":
        shown = content_type or "geen"
        return (f"Content-Type is {shown!r}, niet text/plain.",
                f"Content-Type is {content_type or 'missing'!r}, not text/plain.")
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() != "utf-8":
            return (f"De tekenset is {value.strip()}, niet utf-8.",
                    f"The charset is {value.strip()}, not utf-8.")
    return None


def judge_fetch(fetched: SecurityTxtFetch, host: str) -> Verdict | None:
    """A verdict when the file could not be had as text/plain; None when it can be parsed."""
    end = fetched.end
    if end in ("failure", "deadline"):
        error = fetched.hops[-1].error if fetched.hops else None
        cause = plain(error or "timeout")
        return verdict(Status.ERROR, f"Geen antwoord op {PATH} ({cause.nl}); geen resultaat.",
                       f"No answer for {PATH} ({cause.en}); no result.")
    if end in ENDS:
        nl, en = ENDS[end]
        return failed(f"{PATH} is niet op te halen: {nl}.", f"{PATH} cannot be fetched: {en}.",
                      host)
    if fetched.status != 200:
        status = fetched.status
        return failed(f"{PATH} geeft HTTP {status}, geen bestand.",
                      f"{PATH} answers HTTP {status}, no file.", host)
    wrong = media_type_problem(fetched.content_type or "")
    if wrong:
        return failed(wrong[0], wrong[1], host)
    if fetched.truncated:
        return failed(f"{PATH} is groter dan de grens van het lezen (64 KiB).",
                      f"{PATH} is larger than the read limit (64 KiB).", host)
    return None


def judge_file(fetched: SecurityTxtFetch, now: dt.datetime | None = None,
               host: str = "<host>") -> Verdict:
    """The security.txt of one address, as fetched by probe/web_http.py."""
    early = judge_fetch(fetched, host)
    if early is not None:
        return early
    when = now or dt.datetime.fromisoformat(fetched.fetched_at)
    parsed = parse(fetched.body or "", when)
    if parsed.problems:
        found = [describe(p) for p in parsed.problems]
        return failed("security.txt is ongeldig: " + "; ".join(nl for nl, _ in found) + ".",
                      "security.txt is invalid: " + "; ".join(en for _, en in found) + ".",
                      host)
    signed = (" (PGP-ondertekend)", " (PGP-signed)") if parsed.signed else ("", "")
    expires = parsed.expires.isoformat() if parsed.expires else ""
    nl = f"Geldig security.txt{signed[0]}, verloopt {expires}."
    en = f"Valid security.txt{signed[1]}, expires {expires}."
    if parsed.long_expiry:
        nl += " Expires ligt meer dan een jaar vooruit; RFC 9116 raadt minder aan."
        en += " Expires is more than a year ahead; RFC 9116 recommends less."
    return verdict(Status.PASSED, nl, en)
