"""The certificate subtests (cert_trust, cert_pubkey, cert_signature, cert_hostmatch).

Judged from the chain as presented (base64 DER, leaf first) and the trust result the
probe recorded against the configured trust store. Key sizes, curves and signature
hashes are classified by the norm (``tls.cert_pubkey``, ``tls.cert_signature_hash``).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes

from meting.checks.explain import plain
from meting.checks.verdict import Status, Verdict, verdict
from meting.evidence.models import TlsScan, Trust
from meting.norms import Norm
from meting.norms import tls as tls_norm
from meting.norms.tls import TlsClass

STATUS_OF: dict[TlsClass, Status] = {"good": Status.PASSED, "sufficient": Status.PASSED,
                                     "phase_out": Status.WARNING,
                                     "insufficient": Status.FAILED}


def load(chain: list[str]) -> list[x509.Certificate]:
    return [cert for item in chain if (cert := certificate(item)) is not None]


# A round judges the same certificate more than once (a site's IPv4 and IPv6 scans, a mail
# platform's MX hosts): parsed once, with its key, per process. Certificates are immutable.
@functools.lru_cache(maxsize=1024)
def certificate(item: str) -> x509.Certificate | None:
    try:
        return x509.load_der_x509_certificate(base64.b64decode(item))
    except ValueError:
        return None


@functools.lru_cache(maxsize=1024)
def public_key(cert: x509.Certificate) -> CertificatePublicKeyTypes:
    return cert.public_key()


def judged(certs: list[x509.Certificate]) -> list[x509.Certificate]:
    """The certificates to judge: every presented one except trust anchors (self-signed CAs
    after the leaf)."""
    return [c for i, c in enumerate(certs) if i == 0 or c.issuer != c.subject]


def label(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()[:120]


def pubkey_class(cert: x509.Certificate, norm: Norm) -> tuple[TlsClass, str]:
    rules = tls_norm.tls(norm)["cert_pubkey"]
    key = public_key(cert)
    if isinstance(key, rsa.RSAPublicKey):
        return tls_norm.by_size(rules["rsa"], key.key_size), f"RSA {key.key_size} bits"
    if isinstance(key, ec.EllipticCurvePublicKey):
        curve = key.curve.name
        for cls in ("good", "phase_out"):
            if curve in rules["ec_curves"].get(cls, []):
                found: TlsClass = "good" if cls == "good" else "phase_out"
                return found, f"EC {curve}"
        other: TlsClass = rules["other"]
        return other, f"EC {curve}"
    if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        ed: TlsClass = rules["ed"]
        return ed, "EdDSA"
    unknown: TlsClass = rules["other"]
    return unknown, type(key).__name__


def signature_class(cert: x509.Certificate, norm: Norm) -> tuple[TlsClass, str]:
    algorithm = cert.signature_hash_algorithm
    if algorithm is None:  # EdDSA signs without a separate hash
        return "good", "EdDSA"
    name = algorithm.name.upper().replace("-", "")
    table = tls_norm.tls(norm)["cert_signature_hash"]
    found: TlsClass = table.get(name, "insufficient")
    return found, name


def cert_pubkey(certs: list[x509.Certificate], norm: Norm) -> Verdict:
    worst = worst_finding([(pubkey_class(c, norm), label(c)) for c in judged(certs)])
    if worst is None:
        return no_chain()
    (cls, what), who = worst
    status = STATUS_OF[cls]
    if status == Status.PASSED:
        return verdict(status, "Alle publieke sleutels in de certificaatketen zijn sterk genoeg.",
                       "Every public key in the certificate chain is strong enough.")
    use_nl, use_en = stronger_key(norm)
    if cls == "phase_out":  # sufficient today: the text must not call it too weak
        return verdict(status,
                       f"De publieke sleutel ({what}, {who}) is nu nog voldoende, maar volgens "
                       f"de norm uit te faseren: gebruik bij de volgende vervanging van het "
                       f"certificaat {use_nl}.",
                       f"The public key ({what}, {who}) is sufficient for now, but to be phased "
                       f"out per the norm: at the next certificate replacement use {use_en}.")
    return verdict(status, f"Publieke sleutel te zwak ({what}, {who}): gebruik {use_nl}.",
                   f"Public key too weak ({what}, {who}): use {use_en}.")


def stronger_key(norm: Norm) -> tuple[str, str]:
    """A key the norm lets pass, in Dutch and English: the smallest RSA size that passes
    (and the good size when that is larger) or a good curve, all read from the norm."""
    rows = tls_norm.tls(norm)["cert_pubkey"]["rsa"]
    least, good = tls_norm.passing_bits(rows), tls_norm.good_bits(rows)
    curves = ", ".join(tls_norm.good_curves(norm)[:3])
    ec_nl = f"EC op een goede curve ({curves})" if curves else "EC op een goede curve"
    ec_en = f"EC on a good curve ({curves})" if curves else "EC on a good curve"
    if least is None:
        return ec_nl, ec_en
    rather_nl = f" (liefst {good})" if good and good > least else ""
    rather_en = f" (preferably {good})" if good and good > least else ""
    return (f"RSA van minstens {least}{rather_nl} bits of {ec_nl}",
            f"RSA of at least {least}{rather_en} bits or {ec_en}")


def cert_signature(certs: list[x509.Certificate], norm: Norm) -> Verdict:
    worst = worst_finding([(signature_class(c, norm), label(c)) for c in judged(certs)])
    if worst is None:
        return no_chain()
    (cls, what), who = worst
    status = STATUS_OF[cls]
    if status == Status.PASSED:
        return verdict(status, "De certificaten zijn ondertekend met een veilige hashfunctie "
                       "(SHA-2).", "The certificates are signed with a secure hash function "
                       "(SHA-2).")
    return verdict(status,
                   f"Certificaat ondertekend met {what} ({who}): laat het opnieuw uitgeven "
                   "met een SHA-2-handtekening.",
                   f"Certificate signed with {what} ({who}): have it reissued with a SHA-2 "
                   "signature.")


def worst_finding(items: list[tuple[tuple[TlsClass, str], str]]
                  ) -> tuple[tuple[TlsClass, str], str] | None:
    if not items:
        return None
    return max(items, key=lambda item: tls_norm.CLASSES.index(item[0][0]))


def names_of(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [n.lower().rstrip(".") for n in san.get_values_for_type(x509.DNSName)]


def name_matches(pattern: str, host: str) -> bool:
    host = host.lower().rstrip(".")
    if pattern.startswith("*."):
        first, _, rest = host.partition(".")
        return bool(first) and rest == pattern[2:]
    return pattern == host


def cert_hostmatch(certs: list[x509.Certificate], host: str, norm: Norm, *, kind: str,
                   dane_valid: bool) -> Verdict:
    if kind == "mail" and dane_valid:
        return dane_instead("naam", "name")
    if not certs:
        return no_chain()
    names = names_of(certs[0])
    if any(name_matches(n, host) for n in names):
        return verdict(Status.PASSED, f"Het certificaat is geldig voor {host}.",
                       f"The certificate is valid for {host}.")
    shown = ", ".join(names[:5]) or "geen / none"
    status = without_dane(norm, "cert_hostmatch", kind)
    return verdict(status,
                   f"Het certificaat is niet geldig voor {host} (namen: {shown}); gebruik een "
                   "certificaat met deze naam" + (" of publiceer DANE." if kind == "mail"
                                                  else "."),
                   f"The certificate is not valid for {host} (names: {shown}); use a "
                   "certificate for this name" + (" or publish DANE." if kind == "mail"
                                                  else "."))


def cert_trust(trust: Trust | None, norm: Norm, *, kind: str,
               dane_valid: bool, certs: list[x509.Certificate] | None = None,
               scanned_at: str | None = None) -> Verdict:
    if kind == "mail" and dane_valid:
        return dane_instead("vertrouwensketen", "chain of trust")
    if trust is not None and trust.trusted:
        return verdict(Status.PASSED, "De certificaatketen leidt naar een vertrouwde root.",
                       "The certificate chain leads to a trusted root.")
    nl, en = untrusted_because(certs or [], scanned_at, trust.error if trust else None)
    status = without_dane(norm, "cert_trust", kind)
    return verdict(status,
                   f"De certificaatketen is niet vertrouwd: {nl}"
                   + (" Zonder DANE is dat voor mail alleen informatief." if kind == "mail"
                      and status == Status.INFO else ""),
                   f"The certificate chain is not trusted: {en}"
                   + (" Without DANE this is only informative for mail." if kind == "mail"
                      and status == Status.INFO else ""))


def untrusted_because(certs: list[x509.Certificate], scanned_at: str | None,
                      raw: str | None) -> tuple[str, str]:
    """Why a chain is not trusted, from the certificates where they tell (dates, hash,
    self-signed), else the plain cause of the validator's text."""
    leaf = certs[0] if certs else None
    when = dt.datetime.fromisoformat(scanned_at) if scanned_at else None
    if leaf is not None and when is not None:
        if leaf.not_valid_after_utc < when:
            day = leaf.not_valid_after_utc.date().isoformat()
            return (f"het certificaat ({label(leaf)}) is verlopen op {day}. Vernieuw het.",
                    f"the certificate ({label(leaf)}) expired on {day}. Renew it.")
        if leaf.not_valid_before_utc > when:
            day = leaf.not_valid_before_utc.date().isoformat()
            return (f"het certificaat ({label(leaf)}) is pas geldig vanaf {day}.",
                    f"the certificate ({label(leaf)}) is only valid from {day}.")
    weak = [(c, name) for c in judged(certs)
            if (name := (c.signature_hash_algorithm.name.upper().replace("-", "")
                         if c.signature_hash_algorithm else "")) in ("SHA1", "MD5")]
    if weak and raw and "signature algorithm" in raw.lower():
        cert, name = weak[0]
        return (f"{label(cert)} is ondertekend met {name}, dat niet meer vertrouwd wordt. "
                "Laat het certificaat opnieuw uitgeven met SHA-256.",
                f"{label(cert)} is signed with {name}, which is no longer trusted. Have the "
                "certificate reissued with SHA-256.")
    if leaf is not None and leaf.issuer == leaf.subject:
        return (f"het certificaat ({label(leaf)}) is door zichzelf ondertekend, niet door een "
                "vertrouwde CA.",
                f"the certificate ({label(leaf)}) is signed by itself, not by a trusted CA.")
    cause = plain(raw)
    return cause.nl + ".", cause.en + "."


def without_dane(norm: Norm, subtest: str, kind: str) -> Status:
    """The status of a failed trust or name check: failed on web; for mail (no DANE here)
    as the norm says (``tls.mail``)."""
    return Status(tls_norm.mail_cert_status(norm, subtest)) if kind == "mail" else Status.FAILED


def dane_instead(nl: str, en: str) -> Verdict:
    return verdict(Status.NOT_APPLICABLE,
                   f"De {nl} van het certificaat hoeft niet te kloppen: het is DANE-geldig.",
                   f"The certificate's {en} need not be checked: it is DANE-valid.")


def no_chain() -> Verdict:
    return verdict(Status.FAILED, "De server toonde geen certificaat.",
                   "The server presented no certificate.")


def judge(scan: TlsScan, norm: Norm, *, kind: str, host: str,
          dane_valid: bool) -> dict[str, Verdict]:
    certs = load(scan.chain)
    return {"cert_trust": cert_trust(scan.trust, norm, kind=kind, dane_valid=dane_valid,
                                     certs=certs, scanned_at=scan.scanned_at),
            "cert_pubkey": cert_pubkey(certs, norm),
            "cert_signature": cert_signature(certs, norm),
            "cert_hostmatch": cert_hostmatch(certs, host, norm, kind=kind,
                                             dane_valid=dane_valid)}
