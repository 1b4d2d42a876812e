"""TLS per the NCSC guidelines (SPEC §5): subtests per server, the tls_ncsc_web column.

Every classification comes from the norm's ``tls:`` section; this module maps classes
to statuses (insufficient → failed, phase-out → warning, good/sufficient → passed,
an optional part missing → info) and explains each status in Dutch and English.
The evidence is one scan per address (``probe/tls.py``).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable

from cryptography import x509
from cryptography.x509 import ocsp

from meting.checks import caa, certificate
from meting.checks.explain import names, plain
from meting.checks.verdict import NO_RESULT, Status, Verdict, verdict, worst
from meting.evidence.models import CipherOrder, FfdheGroup, TlsScan, WebEvidence
from meting.norms import Norm
from meting.norms import tls as tls_norm
from meting.norms.tls import TlsClass

STATUS_OF = certificate.STATUS_OF
SUBTESTS = ("tls_version", "tls_ciphers", "tls_cipher_order", "fs_params", "kex_hash_func",
            "tls_compression", "renegotiation_secure", "renegotiation_client", "zero_rtt",
            "ocsp_stapling", "extended_master_secret", "cert_trust", "cert_pubkey",
            "cert_signature", "cert_hostmatch")
CLASS_NL = {"good": "goed", "sufficient": "voldoende", "phase_out": "uit te faseren",
            "insufficient": "onvoldoende"}
CLASS_EN = {"good": "good", "sufficient": "sufficient", "phase_out": "phase out",
            "insufficient": "insufficient"}
# What the class means for the reader, after a finding: phase-out is still sufficient today.
MEANS_NL = {**CLASS_NL, "phase_out": "nu nog voldoende, maar uit te faseren"}
MEANS_EN = {**CLASS_EN, "phase_out": "sufficient for now, but to be phased out"}


def passed(nl: str, en: str) -> Verdict:
    return verdict(Status.PASSED, nl, en)


def by_class(cls: TlsClass, found_nl: str, found_en: str, fix_nl: str, fix_en: str) -> Verdict:
    """A verdict for a finding of this class; the fix is only told when it is needed."""
    status = STATUS_OF[cls]
    if status == Status.PASSED:
        return verdict(status, found_nl + ".", found_en + ".")
    return verdict(status, f"{found_nl} (volgens de norm {MEANS_NL[cls]}); {fix_nl}",
                   f"{found_en} (by the norm {MEANS_EN[cls]}); {fix_en}")


def listed(items: list[str]) -> str:
    shown = ", ".join(items[:8])
    return shown + (f" (+{len(items) - 8})" if len(items) > 8 else "")


# --- protocol and suites --------------------------------------------------------------

def tls_version(scan: TlsScan, norm: Norm) -> Verdict:
    accepted = [v for v, ok in (scan.versions or {}).items() if ok]
    classes = {v: tls_norm.version_class(norm, v) for v in accepted}
    cls = tls_norm.worst_class(list(classes.values())) or "insufficient"
    bad = [v for v, c in classes.items() if c == cls]
    if STATUS_OF[cls] == Status.PASSED:
        return passed(f"Alleen veilige TLS-versies: {listed(accepted)}",
                      f"Only secure TLS versions: {listed(accepted)}") if accepted else \
            verdict(Status.FAILED, "Geen TLS-versie geaccepteerd.", "No TLS version accepted.")
    return by_class(cls, f"De server accepteert {listed(bad)}",
                    f"The server accepts {listed(bad)}",
                    "zet deze versies uit; gebruik TLS 1.3 en 1.2.",
                    "disable these versions; use TLS 1.3 and 1.2.")


def accepted_suites(scan: TlsScan) -> list[str]:
    found: list[str] = []
    for per_class in (scan.ciphers or {}).values():
        for suites in per_class.values():
            found += [s for s in suites if s not in found]
    return found


def tls_ciphers(scan: TlsScan, norm: Norm) -> Verdict:
    suites = accepted_suites(scan)
    classes = {s: tls_norm.suite_class(norm, s) for s in suites}
    cls = tls_norm.worst_class(list(classes.values())) or "sufficient"
    bad = [s for s, c in classes.items() if c == cls]
    if STATUS_OF[cls] == Status.PASSED:
        return passed("Alle geaccepteerde cipher suites zijn goed of voldoende",
                      "Every accepted cipher suite is good or sufficient")
    return by_class(cls, f"De server accepteert {listed(bad)}",
                    f"The server accepts {listed(bad)}",
                    "schakel deze cipher suites uit.", "disable these cipher suites.")


def prescribed(order: CipherOrder, norm: Norm) -> bool:
    """Better classes before worse in the server's order: recorded (evidence classed by the
    norm of its time) or read from the order the server picked the buckets' examples in."""
    if order.prescribed is not None:
        return order.prescribed
    ranks = [tls_norm.CLASSES.index(tls_norm.suite_class(norm, s))
             for s in order.preference or []]
    return ranks == sorted(ranks)


def tls_cipher_order(scan: TlsScan, norm: Norm) -> Verdict:
    order = scan.cipher_order
    enforced = order is None or order.enforced is not False
    if enforced and (order is None or prescribed(order, norm)):
        return passed("De server kiest zelf de cipher suite, sterkste eerst",
                      "The server chooses the cipher suite itself, strongest first")
    optional = tls_norm.missing_optional(norm, "cipher_order_tls13_only")
    if order is not None and order.tls13_only and optional is not None:
        return verdict(Status(optional),
                       "De server (alleen TLS 1.3) volgt de voorkeur van de client; een eigen "
                       "volgorde is hier optioneel.",
                       "The server (TLS 1.3 only) follows the client's preference; its own "
                       "order is optional here.")
    cls = tls_norm.element_class(norm, "cipher_order_missing")
    chosen = (order.chosen if order is not None else None) or "?"
    if not enforced:
        return by_class(cls, f"De server volgt de voorkeur van de client (koos {chosen})",
                        f"The server follows the client's preference (chose {chosen})",
                        "stel een eigen volgorde in (goed, voldoende, uit te faseren).",
                        "enforce the server's own order (good, sufficient, phase out).")
    return by_class(cls, f"De server verkiest een zwakkere cipher suite ({chosen})",
                    f"The server prefers a weaker cipher suite ({chosen})",
                    "zet goede voor voldoende voor uit te faseren suites.",
                    "order good before sufficient before phase-out suites.")


# --- key exchange --------------------------------------------------------------------

def ffdhe_label(dh: FfdheGroup) -> str:
    return dh.group or f"DH-{dh.bits} (non-RFC 7919)"


def fs_params(scan: TlsScan, norm: Norm) -> Verdict:
    findings: list[tuple[TlsClass, str]] = []
    for group in scan.groups_seen or []:
        findings.append((tls_norm.group_class(norm, group), group))
    for groups in (scan.groups_accepted or {}).values():
        findings += [(tls_norm.group_class(norm, g), g) for g in groups]
    findings += [(tls_norm.ffdhe_class(norm, dh.group, dh.bits), ffdhe_label(dh))
                 for dh in scan.ffdhe or []]
    cls = tls_norm.worst_class([c for c, _ in findings]) or "good"
    bad = sorted({what for c, what in findings if c == cls})
    if STATUS_OF[cls] == Status.PASSED:
        return passed("De sleuteluitwisseling gebruikt sterke parameters"
                      + (f" ({listed(bad)})" if bad else ""),
                      "The key exchange uses strong parameters"
                      + (f" ({listed(bad)})" if bad else ""))
    found_nl, found_en = ((f"Te zwakke parameters voor sleuteluitwisseling: {listed(bad)}",
                           f"Key-exchange parameters too weak: {listed(bad)}")
                          if cls == "insufficient" else
                          (f"Parameters voor sleuteluitwisseling: {listed(bad)}",
                           f"Key-exchange parameters: {listed(bad)}"))
    use_nl, use_en = passing_key_exchange(norm)
    return by_class(cls, found_nl, found_en, f"gebruik {use_nl}.", f"use {use_en}.")


def passing_key_exchange(norm: Norm) -> tuple[str, str]:
    """The key exchange to advise, read from the norm: ECDHE on a passing curve, and the
    RFC 7919 groups that pass, if any do."""
    named, ffdhe = tls_norm.passing_groups(norm)
    curves = ", ".join(named[:3])
    if not ffdhe:
        return f"ECDHE op een goede curve ({curves})", f"ECDHE on a good curve ({curves})"
    groups = ", ".join(ffdhe[:3])
    return (f"ECDHE op een goede curve ({curves}) of een RFC 7919-groep ({groups})",
            f"ECDHE on a good curve ({curves}) or an RFC 7919 group ({groups})")


def kex_hash_func(scan: TlsScan, norm: Norm) -> Verdict:
    """The hash the server picks, and every hash this norm calls insufficient that it
    accepts when offered only weak ones (a phase-out hash merely accepted beside SHA-2 is
    not held against it)."""
    info = scan.kex_hash
    hashes = [h for h in (info.accepted if info else [])
              if tls_norm.kex_hash_class(norm, h) == "insufficient"]
    if info is not None and info.default:
        hashes.append(info.default)
    classes = {h: tls_norm.kex_hash_class(norm, h) for h in hashes}
    cls = tls_norm.worst_class(list(classes.values())) or "good"
    bad = sorted(h for h, c in classes.items() if c == cls)
    if STATUS_OF[cls] == Status.PASSED:
        return passed("De sleuteluitwisseling wordt met SHA-2 ondertekend",
                      "The key exchange is signed with SHA-2")
    return by_class(cls, f"De server ondertekent de sleuteluitwisseling met {listed(bad)}",
                    f"The server signs the key exchange with {listed(bad)}",
                    "sta alleen SHA-2 toe (instelling 'signature_algorithms').",
                    "allow only SHA-2 (signature algorithms).")


# --- renegotiation, compression, 0-RTT, EMS ------------------------------------------

def flag(found: bool | None, bad_when: bool, element: str, norm: Norm,
         texts: tuple[str, str, str, str]) -> Verdict:
    """A yes/no finding: bad when ``found == bad_when``; None (TLS 1.3 only) passes."""
    ok_nl, ok_en, bad_nl, bad_en = texts
    if found is None or found != bad_when:
        return passed(ok_nl, ok_en)
    cls = tls_norm.element_class(norm, element)
    return by_class(cls, bad_nl, bad_en, "pas de serverconfiguratie aan.",
                    "change the server configuration.")


def tls_compression(scan: TlsScan, norm: Norm) -> Verdict:
    return flag(scan.compression, True, "compression", norm,
                ("TLS-compressie staat uit", "TLS compression is off",
                 "TLS-compressie staat aan", "TLS compression is on"))


def renegotiation_secure(scan: TlsScan, norm: Norm) -> Verdict:
    return flag(scan.secure_renegotiation, False, "secure_renegotiation_missing", norm,
                ("Veilige heronderhandeling wordt ondersteund (of niet nodig: TLS 1.3)",
                 "Secure renegotiation is supported (or not needed: TLS 1.3)",
                 "Veilige heronderhandeling wordt niet ondersteund",
                 "Secure renegotiation is not supported"))


def renegotiation_client(scan: TlsScan, norm: Norm) -> Verdict:
    return flag(scan.client_renegotiation, True, "client_renegotiation", norm,
                ("Heronderhandeling op initiatief van de client wordt geweigerd",
                 "Client-initiated renegotiation is refused",
                 "Heronderhandeling op initiatief van de client is toegestaan",
                 "Client-initiated renegotiation is allowed"))


def extended_master_secret(scan: TlsScan, norm: Norm) -> Verdict:
    return flag(scan.extended_master_secret, False, "extended_master_secret_missing", norm,
                ("Extended Master Secret wordt gebruikt (of niet nodig: TLS 1.3)",
                 "Extended Master Secret is used (or not needed: TLS 1.3)",
                 "Extended Master Secret (RFC 7627) wordt niet ondersteund",
                 "Extended Master Secret (RFC 7627) is not supported"))


def zero_rtt(scan: TlsScan, norm: Norm, kind: str) -> Verdict:
    info = scan.zero_rtt
    if info is None or not info.accepted:
        return passed("0-RTT wordt niet geaccepteerd", "0-RTT is not accepted")
    if kind == "web" and info.http_status == 425:
        return passed("0-RTT-verzoeken krijgen HTTP 425 (Too Early)",
                      "0-RTT requests are answered with HTTP 425 (Too Early)")
    cls = tls_norm.element_class(norm, "zero_rtt")
    return by_class(cls, "De server accepteert 0-RTT (early data)",
                    "The server accepts 0-RTT (early data)",
                    "zet 0-RTT uit of antwoord met HTTP 425.",
                    "disable 0-RTT or answer with HTTP 425.")


# --- OCSP stapling ---------------------------------------------------------------------

def ocsp_problem(scan: TlsScan) -> str | None:
    """Why a stapled OCSP response is not valid for the leaf at scan time (None: valid)."""
    try:
        response = ocsp.load_der_ocsp_response(base64.b64decode(scan.ocsp_response or ""))
        leaf = x509.load_der_x509_certificate(base64.b64decode(scan.chain[0]))
    except (ValueError, IndexError) as exc:
        return f"unreadable ({exc})"
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return f"status {response.response_status.name}"
    if response.serial_number != leaf.serial_number:
        return "for another certificate"
    if response.certificate_status != ocsp.OCSPCertStatus.GOOD:
        return f"certificate {response.certificate_status.name}"
    when = dt.datetime.fromisoformat(scan.scanned_at)
    next_update = response.next_update_utc
    if response.this_update_utc > when or (next_update is not None and next_update < when):
        return "outside its validity period"
    return None


def ocsp_stapling(scan: TlsScan, norm: Norm) -> Verdict:
    if not scan.ocsp_response:
        optional = tls_norm.missing_optional(norm, "ocsp_stapling")
        if optional is not None:
            return verdict(Status(optional), "De server doet niet aan OCSP-stapling "
                           "(optioneel).", "The server does not staple an OCSP response "
                           "(optional).")
        return by_class("insufficient", "De server doet niet aan OCSP-stapling",
                        "The server does not staple an OCSP response",
                        "laat de server een OCSP-antwoord van de CA meesturen.",
                        "have the server staple an OCSP response from the CA.")
    problem = ocsp_problem(scan)
    if problem is None:
        return passed("De server stuurt een geldig OCSP-antwoord mee (stapling)",
                      "The server staples a valid OCSP response")
    cause = plain(problem)
    return verdict(Status.FAILED,
                   f"Het meegestuurde OCSP-antwoord is niet geldig ({cause.nl}); laat de "
                   "server een actueel antwoord van de CA meesturen.",
                   f"The stapled OCSP response is not valid ({cause.en}); have the server "
                   "staple a current response from the CA.")


# --- one server, many servers, the column ---------------------------------------------

def judge_server(scan: TlsScan, norm: Norm, *, kind: str, host: str,
                 dane_valid: bool = False) -> dict[str, Verdict]:
    """Every subtest for one scanned address that completed at least one handshake."""
    results = {
        "tls_version": tls_version(scan, norm),
        "tls_ciphers": tls_ciphers(scan, norm),
        "tls_cipher_order": tls_cipher_order(scan, norm),
        "fs_params": fs_params(scan, norm),
        "kex_hash_func": kex_hash_func(scan, norm),
        "tls_compression": tls_compression(scan, norm),
        "renegotiation_secure": renegotiation_secure(scan, norm),
        "renegotiation_client": renegotiation_client(scan, norm),
        "zero_rtt": zero_rtt(scan, norm, kind),
        "extended_master_secret": extended_master_secret(scan, norm),
    }
    if kind == "web":
        results["ocsp_stapling"] = ocsp_stapling(scan, norm)
    results |= certificate.judge(scan, norm, kind=kind, host=host, dane_valid=dane_valid)
    return results


def combine(per_server: dict[str, dict[str, Verdict]]) -> dict[str, Verdict]:
    """Per subtest the worst verdict over the servers, naming the server when several."""
    seen = [k for r in per_server.values() for k in r]
    keys = [k for k in SUBTESTS if k in seen] + sorted({k for k in seen if k not in SUBTESTS})
    combined: dict[str, Verdict] = {}
    for key in keys:
        found = {who: r[key] for who, r in per_server.items() if key in r}
        status = worst(v.status for v in found.values())
        matching = [(w, v) for w, v in found.items() if v.status == status]
        who, chosen = matching[0] if matching else next(iter(found.items()))
        if matching and len(found) > 1 and status != Status.PASSED:
            chosen = verdict(status, f"{who}: {chosen.explanation.nl}",
                             f"{who}: {chosen.explanation.en}")
        combined[key] = chosen
    return combined


def tls_ncsc_column(subtests: dict[str, Verdict], name: str = "tls_ncsc_web") -> Verdict:
    """SPEC §5: failed on anything insufficient, warning on phase-out, info when only
    optional parts are missing, else passed."""
    status = worst(v.status for v in subtests.values())
    bad = [k for k in SUBTESTS if k in subtests and subtests[k].status == status] + sorted(
        k for k, v in subtests.items() if k not in SUBTESTS and v.status == status)
    what_nl, what_en = names(bad, "nl"), names(bad, "en")
    first = subtests[bad[0]].explanation if bad else None
    found_nl = f" Eerste bevinding: {first.nl}" if first else ""
    found_en = f" First finding: {first.en}" if first else ""
    texts: dict[Status, Callable[[], Verdict]] = {
        Status.PASSED: lambda: passed(
            "De TLS-configuratie voldoet aan de NCSC-richtlijnen.",
            "The TLS configuration meets the NCSC guidelines."),
        Status.FAILED: lambda: verdict(
            status, f"De TLS-configuratie voldoet niet aan de NCSC-richtlijnen op: {what_nl}."
            + found_nl,
            f"The TLS configuration does not meet the NCSC guidelines on: {what_en}."
            + found_en),
        Status.WARNING: lambda: verdict(
            status, f"De TLS-configuratie bevat uit te faseren onderdelen: {what_nl}."
            + found_nl,
            f"The TLS configuration has parts to phase out: {what_en}." + found_en),
        Status.INFO: lambda: verdict(
            status, "De TLS-configuratie voldoet; wat ontbreekt of niet klopt is hier niet "
            f"verplicht: {what_nl}." + found_nl,
            "The TLS configuration complies; what is missing or wrong is not required here: "
            f"{what_en}." + found_en),
    }
    if status in texts:
        return texts[status]()
    if status in NO_RESULT and first is not None:
        return verdict(status, first.nl, first.en)
    return verdict(Status.NOT_TESTED, "De TLS-configuratie is niet getest.",
                   "The TLS configuration was not tested.")


# --- the web column ------------------------------------------------------------------

def judge_web_tls(evidence: WebEvidence, norm: Norm,
                  tls_available: Verdict | None = None) -> dict[str, Verdict]:
    """tls_ncsc_web and its subtests over every address of the web host (SPEC §4, §5).

    Cascades: ``tls_available`` error (or any no-result status, or not_tested: no
    address) gives the same on tls_ncsc_web, failed (no HTTPS) fails it. Without a
    tls_available verdict the scans decide: no address answers on 443 → failed; a
    handshake that never completes → error.
    """
    scans = evidence.tls
    if tls_available is not None and tls_available.status == Status.NOT_TESTED:
        return {"tls_ncsc_web": verdict(
            Status.NOT_TESTED, "Niet getest: " + tls_available.explanation.nl,
            "Not tested: " + tls_available.explanation.en)}
    if tls_available is not None and tls_available.status in NO_RESULT:
        return {"tls_ncsc_web": verdict(
            tls_available.status, "HTTPS kon niet getest worden, de TLS-configuratie dus ook "
            "niet: " + tls_available.explanation.nl,
            "HTTPS could not be tested, so neither could the TLS configuration: "
            + tls_available.explanation.en)}
    connected = {a: s for a, s in scans.items() if s.connected}
    if (tls_available is not None and tls_available.status == Status.FAILED) or not connected:
        return {"tls_ncsc_web": verdict(
            Status.FAILED, "Geen HTTPS: de TLS-configuratie voldoet dus niet; bied HTTPS aan "
            "volgens de NCSC-richtlijnen.", "No HTTPS, so the TLS configuration does not "
            "comply; offer HTTPS per the NCSC guidelines.")}
    broken = {a: s.handshake_error for a, s in connected.items() if s.handshake_error}
    if broken:
        address, error = next(iter(broken.items()))
        cause = plain(error)
        return {"tls_ncsc_web": verdict(
            Status.ERROR, f"Geen TLS-handshake mogelijk met {address} ({cause.nl}); geen "
            "resultaat.",
            f"No TLS handshake completed with {address} ({cause.en}); no result.")}
    host = evidence.target
    subtests = combine({a: judge_server(s, norm, kind="web", host=host)
                        for a, s in connected.items()})
    subtests["web_caa"] = caa.judge_caa(evidence.caa, host, norm)
    return subtests | {"tls_ncsc_web": tls_ncsc_column(subtests)}
