"""HTTPS on every address of the web host (SPEC §4): tls_available, https_redirect, hsts.

Also the entry point for the rest of the HTTP evidence (security.txt, security headers),
because all of it is read from the HTTPS answers and cascades from ``tls_available``.

Per address (evidence of probe/web_http.py) the HTTPS answer to ``/`` is one of:

- ``https``: an HTTP answer came over TLS;
- ``no_https``: port 443 refused the connection or gave none, while port 80 answered;
- ``unreachable``: no web server at all — ports 443 and 80 both refused or gave no TCP
  connection. HTTPS must answer on every address (SPEC §4), so such an address fails
  tls_available when another address answers; when no address answers at all every
  column is ``unreachable``. The other columns (and tls_ncsc_web) are judged on the
  addresses that answer;
- ``error``: a TCP connection but no TLS handshake or no HTTP answer (silence, garbage):
  no result, and ``error`` cascades to every column read over HTTPS (SPEC §4), unless
  another address certainly fails (verdict.worst).

Choices where SPEC is silent (as Internet.nl does): HSTS and the security headers are
read from the first HTTPS answer to ``/``, redirects not followed; only the first
Strict-Transport-Security header counts (RFC 6797 §8.1); ``https_forced`` looks only at
the first redirect (it must go to https on the same host name, #1208 of Internet.nl);
port 80 without a TCP connection is "HTTP not offered", a TCP connection without an
HTTP answer is ``error``; HTTP compression on HTTPS is ``info`` (informational, in no
column).
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from meting.checks import headers, security_txt
from meting.checks.explain import plain
from meting.checks.per_address import combine
from meting.checks.verdict import NO_RESULT, Status, Verdict, verdict
from meting.evidence.models import AddressHttp, Hop, HttpResponse
from meting.norms import Norm

COLUMNS = ("tls_available", "https_redirect", "hsts", "security_txt", "security_headers")
SUBTESTS = ("https_exists", "https_forced", "https_hsts", "http_compression",
            "http_securitytxt", *headers.SUBTESTS)
KEYS = COLUMNS + SUBTESTS
NO_TCP = "no_connection"
CLOSED = ("refused", NO_TCP)  # no TCP conversation with a web server on the port


def state(entry: AddressHttp) -> str:
    https = entry.https
    if https.status:
        return "https"
    hops = entry.http.hops
    plain_failure = hops[0].failure if hops else NO_TCP
    if https.failure in CLOSED:
        return "unreachable" if plain_failure in CLOSED else "no_https"
    return "error"


def broken(entry: AddressHttp) -> tuple[str, str]:
    https = entry.https
    cause = plain(https.error)
    if https.failure == "tls":
        return (f"TLS-handshake niet voltooid ({cause.nl})",
                f"TLS handshake not completed ({cause.en})")
    return (f"geen geldig HTTP-antwoord na de handshake ({cause.nl})",
            f"no valid HTTP answer after the handshake ({cause.en})")


def https_exists(states: dict[str, str], evidence: dict[str, AddressHttp]) -> Verdict:
    if not states:
        return verdict(Status.NOT_TESTED, "De webserver heeft geen IP-adres; niets te testen.",
                       "The web host has no IP address; nothing to test.")
    if all(s == "unreachable" for s in states.values()):
        return verdict(Status.UNREACHABLE,
                       "Geen enkel adres van de webserver antwoordt op poort 80 of 443.",
                       "No address of the web host answers on port 80 or 443.")
    absent = [a for a, s in states.items() if s == "no_https"]
    dead = [a for a, s in states.items() if s == "unreachable"]
    if absent or dead:
        return without_https(absent, dead)
    errors = {a: broken(evidence[a]) for a, s in states.items() if s == "error"}
    if errors:
        nl = "; ".join(f"{a}: {e[0]}" for a, e in errors.items())
        en = "; ".join(f"{a}: {e[1]}" for a, e in errors.items())
        return verdict(Status.ERROR,
                       f"HTTPS gaf geen bruikbaar antwoord ({nl}); geen resultaat. Controleer "
                       "of de server een TLS-handshake voltooit en over HTTPS antwoordt.",
                       f"HTTPS gave no usable answer ({en}); no result. Check that the "
                       "server completes a TLS handshake and answers over HTTPS.")
    return verdict(Status.PASSED, "HTTPS is beschikbaar op elk adres.",
                   "HTTPS is available on every address.")


def without_https(absent: list[str], dead: list[str]) -> Verdict:
    """Failed: some address answers, but not over HTTPS on every address."""
    nl, en = [], []
    if absent:
        nl.append(f"Geen HTTPS op {', '.join(absent)}.")
        en.append(f"No HTTPS on {', '.join(absent)}.")
    if dead:
        nl.append(f"Geen webserver bereikbaar op {', '.join(dead)} (poort 80 en 443).")
        en.append(f"No web server reachable on {', '.join(dead)} (ports 80 and 443).")
    return verdict(Status.FAILED, " ".join(nl) + " Bied HTTPS aan op elk adres.",
                   " ".join(en) + " Offer HTTPS on every address.")


def tls_gate(http: dict[str, AddressHttp], tls_available: Verdict | None) -> Verdict | None:
    """The tls_available verdict tls_ncsc_web cascades from; None (judge the addresses
    that answer on 443) when HTTPS is missing only where no web server answers at all,
    as the other HTTPS columns are judged on the addresses that answer."""
    if tls_available is None or tls_available.status != Status.FAILED:
        return tls_available
    if any(state(e) == "no_https" for e in http.values()):
        return tls_available
    return None


NO_HTTPS = {  # subtest -> what missing HTTPS means for it (nl, en)
    "https_forced": ("Er is geen HTTPS, dus HTTP kan er niet naar doorverwijzen. Bied HTTPS aan "
                     "en verwijs HTTP er direct naar door.",
                     "There is no HTTPS, so HTTP cannot redirect to it. Offer HTTPS and "
                     "redirect HTTP straight to it."),
    "https_hsts": ("Er is geen HTTPS, dus geen HSTS. Bied HTTPS aan met Strict-Transport-Security.",
                   "There is no HTTPS, so no HSTS. Offer HTTPS with Strict-Transport-Security."),
    "http_securitytxt": ("Er is geen HTTPS, dus geen security.txt over HTTPS (RFC 9116 eist "
                         "HTTPS).",
                         "There is no HTTPS, so no security.txt over HTTPS (RFC 9116 requires "
                         "HTTPS)."),
}


def no_https(subtest: str) -> Verdict:
    return verdict(Status.FAILED, *NO_HTTPS[subtest])


def no_result(entry: AddressHttp) -> Verdict:
    nl, en = broken(entry)
    return verdict(Status.ERROR, f"HTTPS gaf geen bruikbaar antwoord ({nl}); geen resultaat.",
                   f"HTTPS gave no usable answer ({en}); no result.")


def cascade(exists: Verdict) -> dict[str, Verdict]:
    """tls_available without a result: no result for everything read over HTTPS either."""
    if exists.status == Status.NOT_TESTED:
        return dict.fromkeys(KEYS, exists)
    follows = verdict(exists.status,
                      f"Geen resultaat, want HTTPS is niet te testen: {exists.explanation.nl}",
                      f"No result, because HTTPS could not be tested: {exists.explanation.en}")
    return {**dict.fromkeys(KEYS, follows), "tls_available": exists, "https_exists": exists}


def first_redirect(entry: AddressHttp, host: str) -> Verdict:
    hops = entry.http.hops
    if not hops:
        return verdict(Status.PASSED, "HTTP wordt niet aangeboden (poort 80 is dicht).",
                       "HTTP is not offered (port 80 is closed).")
    return redirect(hops[0], host)


def redirect(first: Hop, host: str) -> Verdict:
    """https_forced from the first request to http://host/."""
    if first.status == 0:
        if first.failure in CLOSED:
            return verdict(Status.PASSED, "HTTP wordt niet aangeboden (poort 80 is dicht).",
                           "HTTP is not offered (port 80 is closed).")
        cause = plain(str(first.error or ""))
        return verdict(Status.ERROR, f"Poort 80 gaf geen HTTP-antwoord ({cause.nl}).",
                       f"Port 80 gave no HTTP answer ({cause.en}).")
    fix = ("Verwijs http://{h}/ direct door naar https://{h}/ (daarna mag een andere host).",
           "Redirect http://{h}/ straight to https://{h}/ (another host may follow after).")
    fix_nl, fix_en = fix[0].format(h=host), fix[1].format(h=host)
    location = first.location
    if first.status not in (301, 302, 303, 307, 308) or not location:
        return verdict(Status.FAILED,
                       f"HTTP geeft status {first.status} zonder doorverwijzing. {fix_nl}",
                       f"HTTP answers status {first.status} without a redirect. {fix_en}")
    to = urlsplit(urljoin(first.url, location))
    if to.scheme == "https" and (to.hostname or "").rstrip(".").lower() == host.lower():
        return verdict(Status.PASSED, f"HTTP verwijst direct door naar HTTPS ({location}).",
                       f"HTTP redirects straight to HTTPS ({location}).")
    return verdict(Status.FAILED, f"HTTP verwijst eerst door naar {location}. {fix_nl}",
                   f"HTTP first redirects to {location}. {fix_en}")


def hsts_max_age(value: str) -> tuple[int | None, str]:
    """max-age of one Strict-Transport-Security value (RFC 6797 §6.1), or why there is none."""
    seen: dict[str, str] = {}
    for part in split_outside_quotes(value, ";"):
        name, eq, raw = part.partition("=")
        name = name.strip().lower()
        if not name:
            continue
        if name in seen:
            return None, f"directive {name} appears twice"
        raw = raw.strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1].replace('\\"', '"')
        seen[name] = raw if eq else ""
    age = seen.get("max-age")
    if age is None:
        return None, "no max-age"
    if not age.isdigit():
        return None, f"max-age {age!r} is not a number"
    return int(age), ""


def split_outside_quotes(value: str, sep: str) -> list[str]:
    parts, current, quoted = [], "", False
    for c in value:
        if c == '"':
            quoted = not quoted
        if c == sep and not quoted:
            parts.append(current)
            current = ""
        else:
            current += c
    return [*parts, current]


def hsts(response: HttpResponse, norm: Norm) -> Verdict:
    minimum = int(norm["hsts"]["min_max_age"])
    rule_nl = f"max-age van minstens {minimum} s (norm {norm['version']})"
    rule_en = f"max-age of at least {minimum} s (norm {norm['version']})"
    values = response.header("strict-transport-security")
    if not values:
        return verdict(Status.FAILED,
                       f"Geen Strict-Transport-Security. Stuur HSTS mee met een {rule_nl}.",
                       f"No Strict-Transport-Security. Send HSTS with a {rule_en}.")
    first = split_outside_quotes(values[0], ",")[0]  # RFC 6797 §8.1: the first only
    age, problem = hsts_max_age(first)
    if age is None:
        cause = plain(problem)
        return verdict(Status.FAILED,
                       f"Ongeldige HSTS {first!r} ({cause.nl}); nodig: {rule_nl}.",
                       f"Invalid HSTS {first!r} ({cause.en}); needed: {rule_en}.")
    if age < minimum:
        return verdict(Status.FAILED, f"HSTS max-age {age} is te kort; nodig: {rule_nl}.",
                       f"HSTS max-age {age} is too short; needed: {rule_en}.")
    return verdict(Status.PASSED, f"HSTS met max-age {age} (norm: ≥ {minimum}).",
                   f"HSTS with max-age {age} (norm: ≥ {minimum}).")


def compression(response: HttpResponse) -> Verdict:
    encodings = [e for e in response.header("content-encoding") if e.lower() != "identity"]
    if encodings:
        used = ", ".join(encodings)
        return verdict(Status.INFO,
                       f"HTTP-compressie ({used}) over HTTPS; dat kan BREACH mogelijk maken. "
                       "Overweeg compressie uit te zetten voor pagina's met geheimen.",
                       f"HTTP compression ({used}) over HTTPS, which may allow BREACH. "
                       "Consider turning it off for pages carrying secrets.")
    return verdict(Status.PASSED, "Geen HTTP-compressie over HTTPS.",
                   "No HTTP compression over HTTPS.")


def judge(evidence: dict[str, AddressHttp], host: str, norm: Norm) -> dict[str, Verdict]:
    """Every subtest and column of the HTTP side of the web test."""
    states = {a: state(e) for a, e in evidence.items()}
    exists = https_exists(states, evidence)
    if exists.status in NO_RESULT or exists.status == Status.NOT_TESTED:
        return cascade(exists)
    tested = [a for a, s in states.items() if s != "unreachable"]
    secure = {a: evidence[a].https for a in tested if states[a] == "https"}

    def per_address(subtest: str, judged: dict[str, Verdict]) -> Verdict:
        return combine({a: judged.get(a) or (no_result(evidence[a]) if states[a] == "error"
                                             else no_https(subtest)) for a in tested})

    results = {"https_exists": exists,
               "https_forced": per_address("https_forced", {
                   a: first_redirect(evidence[a], host) for a in secure}),
               "https_hsts": per_address("https_hsts", {
                   a: hsts(r, norm) for a, r in secure.items()}),
               "http_securitytxt": per_address("http_securitytxt", {
                   a: security_txt.judge_file(evidence[a].security_txt, host=host)
                   for a in secure})}
    if secure:
        results["http_compression"] = combine({a: compression(r) for a, r in secure.items()})
        results |= headers.judge(secure)
    else:
        skip = verdict(Status.NOT_TESTED, "Niet getest: er is geen HTTPS.",
                       "Not tested: there is no HTTPS.")
        results |= dict.fromkeys(("http_compression", *headers.SUBTESTS, "security_headers"),
                                 skip)
    return results | {"tls_available": exists, "https_redirect": results["https_forced"],
                      "hsts": results["https_hsts"], "security_txt": results["http_securitytxt"]}
