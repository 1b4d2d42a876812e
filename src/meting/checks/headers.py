"""HTTP security headers on the HTTPS answer to ``/`` (column security_headers).

Subtests as Internet.nl names them: ``http_x_frame``, ``http_x_content_type``,
``http_csp``, ``http_referrer_policy``. The headers are recommended, so a missing or
weak header is ``warning``, never ``failed`` (SPEC §4). The CSP check asks for a
policy that restricts sources (``default-src``) without the directives and sources
that undo it (``unsafe-inline``, ``unsafe-eval``, ``unsafe-hashes``, ``*``, bare
``http:``/``https:``, ``data:`` for scripts and objects); unlike Internet.nl it does
not also demand ``base-uri``, ``form-action`` and ``frame-ancestors`` (SPEC asks for
"a CSP").
"""

from __future__ import annotations

from meting.checks.per_address import combine
from meting.checks.verdict import Status, Verdict, verdict, worst
from meting.evidence.models import HttpResponse

SUBTESTS = ("http_x_frame", "http_x_content_type", "http_csp", "http_referrer_policy")
GOOD_REFERRER = frozenset({"no-referrer", "same-origin", "strict-origin",
                           "strict-origin-when-cross-origin"})
WEAK_REFERRER = frozenset({"origin", "origin-when-cross-origin", "no-referrer-when-downgrade",
                           "unsafe-url"})
SCRIPT_DIRECTIVES = ("default-src", "script-src", "script-src-elem", "script-src-attr",
                     "object-src")
UNSAFE_KEYWORDS = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'")
LOOSE_SOURCES = ("*", "http:", "https:", "data:")


def first_value(response: HttpResponse, name: str) -> str | None:
    """The first value of a header that may be repeated or comma-joined by a proxy."""
    values = response.header(name)
    return values[0].split(",")[0].strip() if values else None


def csp_policies(response: HttpResponse) -> list[dict[str, list[str]]]:
    """Every policy of every CSP header, as directives (the first of a name counts)."""
    policies = []
    for header in response.header("content-security-policy"):
        for policy in header.split(","):
            directives: dict[str, list[str]] = {}
            for part in policy.split(";"):
                words = part.split()
                if words:
                    directives.setdefault(words[0].lower(), [w.lower() for w in words[1:]])
            if directives:
                policies.append(directives)
    return policies


def missing(nl: str, en: str, what_nl: str, what_en: str) -> Verdict:
    return verdict(Status.WARNING, f"{nl} Aanbevolen: {what_nl}.", f"{en} Recommended: {what_en}.")


def x_frame(response: HttpResponse) -> Verdict:
    value = first_value(response, "x-frame-options")
    # Every policy is enforced, so one that restricts framing is enough
    ancestors = next((p["frame-ancestors"] for p in csp_policies(response)
                      if p.get("frame-ancestors") and "*" not in p["frame-ancestors"]), None)
    if value is not None and value.upper() in ("DENY", "SAMEORIGIN"):
        return verdict(Status.PASSED, f"X-Frame-Options is {value.upper()}.",
                       f"X-Frame-Options is {value.upper()}.")
    if ancestors:
        shown = " ".join(ancestors)
        return verdict(Status.PASSED, f"CSP frame-ancestors beperkt inbedden ({shown}).",
                       f"CSP frame-ancestors restricts framing ({shown}).")
    found = f" (gevonden: {value!r})" if value else ""
    found_en = f" (found: {value!r})" if value else ""
    return missing(f"Geen geldige X-Frame-Options en geen CSP frame-ancestors{found}.",
                   f"No valid X-Frame-Options and no CSP frame-ancestors{found_en}.",
                   "X-Frame-Options: DENY of SAMEORIGIN, of CSP frame-ancestors 'self'",
                   "X-Frame-Options: DENY or SAMEORIGIN, or CSP frame-ancestors 'self'")


def x_content_type(response: HttpResponse) -> Verdict:
    value = first_value(response, "x-content-type-options")
    if value is not None and value.lower() == "nosniff":
        return verdict(Status.PASSED, "X-Content-Type-Options is nosniff.",
                       "X-Content-Type-Options is nosniff.")
    found = f" (gevonden: {value!r})" if value else ""
    found_en = f" (found: {value!r})" if value else ""
    return missing(f"X-Content-Type-Options: nosniff ontbreekt{found}.",
                   f"X-Content-Type-Options: nosniff is missing{found_en}.",
                   "X-Content-Type-Options: nosniff", "X-Content-Type-Options: nosniff")


def csp_weaknesses(directives: dict[str, list[str]]) -> list[str]:
    weak = [] if "default-src" in directives else ["no default-src"]
    for name in SCRIPT_DIRECTIVES:
        sources = directives.get(name, [])
        weak += [f"{name} {s}" for s in sources if s in UNSAFE_KEYWORDS or s in LOOSE_SOURCES]
    return weak


def csp(response: HttpResponse) -> Verdict:
    policies = csp_policies(response)
    if not policies:
        return missing("Geen Content-Security-Policy.", "No Content-Security-Policy.",
                       "een CSP met ten minste default-src 'self'",
                       "a CSP with at least default-src 'self'")
    weak = min((csp_weaknesses(p) for p in policies), key=len)
    if weak:
        return missing(f"De Content-Security-Policy beschermt onvoldoende: {'; '.join(weak)}.",
                       f"The Content-Security-Policy protects too little: {'; '.join(weak)}.",
                       "default-src 'self' zonder unsafe-inline, unsafe-eval en jokers",
                       "default-src 'self' without unsafe-inline, unsafe-eval and wildcards")
    return verdict(Status.PASSED, "Er is een Content-Security-Policy die bronnen beperkt.",
                   "A Content-Security-Policy restricts sources.")


def referrer_policy(response: HttpResponse) -> Verdict:
    tokens = [t.strip().lower() for h in response.header("referrer-policy") for t in h.split(",")]
    known = [t for t in tokens if t in GOOD_REFERRER | WEAK_REFERRER]
    # Browsers apply the last policy they know (fallback lists)
    policy = known[-1] if known else None
    if policy in GOOD_REFERRER:
        text = f"Referrer-Policy is {policy}."
        return verdict(Status.PASSED, text, text)
    what = ("no-referrer, same-origin, strict-origin of strict-origin-when-cross-origin",
            "no-referrer, same-origin, strict-origin or strict-origin-when-cross-origin")
    if policy is None:
        found = f" (onbekende waarde {tokens[-1]!r})" if tokens else ""
        found_en = f" (unknown value {tokens[-1]!r})" if tokens else ""
        return missing(f"Geen bruikbare Referrer-Policy{found}.",
                       f"No usable Referrer-Policy{found_en}.", *what)
    return missing(f"Referrer-Policy {policy} lekt adresgegevens naar andere sites.",
                   f"Referrer-Policy {policy} leaks address details to other sites.", *what)


def judge(responses: dict[str, HttpResponse]) -> dict[str, Verdict]:
    """Subtests and the security_headers column from the HTTPS answers of every address."""
    checks = {"http_x_frame": x_frame, "http_x_content_type": x_content_type,
              "http_csp": csp, "http_referrer_policy": referrer_policy}
    results = {name: combine({a: check(r) for a, r in responses.items()})
               for name, check in checks.items()}
    status = worst(results[s].status for s in SUBTESTS)
    if status == Status.PASSED:
        column = verdict(Status.PASSED, "Alle aanbevolen beveiligingsheaders zijn aanwezig.",
                         "Every recommended security header is present.")
    else:
        bad = [results[s] for s in SUBTESTS if results[s].status != Status.PASSED]
        column = verdict(status, " ".join(v.explanation.nl for v in bad),
                         " ".join(v.explanation.en for v in bad))
    return results | {"security_headers": column}
