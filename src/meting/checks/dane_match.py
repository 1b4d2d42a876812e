"""TLSA records matched against a presented certificate chain (RFC 6698, 7671, 7672).

Only DANE-TA(2) and DANE-EE(3) are usable for SMTP (RFC 7672 §3.1.3): a sender
reaches an MX by its MX name, with no PKIX trust store that both sides share, so
PKIX-TA(0) and PKIX-EE(1) records must be treated as unusable. DANE-EE matches the
leaf alone, with no name or expiry checks (RFC 7672 §3.1.1); DANE-TA matches a CA
certificate (or, with selector 1 and matching type 0, the key) above the leaf, and
the chain from the leaf up to it must hold together: each certificate is issued by
the next one up (issuer name and signature).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

DANE_TA, DANE_EE = 2, 3
USAGE_NAMES = {0: "PKIX-TA", 1: "PKIX-EE", 2: "DANE-TA", 3: "DANE-EE"}
DIGESTS: dict[int, Callable[[bytes], bytes]] = {
    0: lambda data: data,
    1: lambda data: hashlib.sha256(data).digest(),
    2: lambda data: hashlib.sha512(data).digest(),
}
DIGEST_SIZES = {1: 32, 2: 64}


@dataclass(frozen=True)
class Tlsa:
    """One TLSA record: certificate usage, selector, matching type, association data."""

    usage: int
    selector: int
    mtype: int
    data: bytes

    def __str__(self) -> str:
        return f"{self.usage} {self.selector} {self.mtype} {self.data.hex()}"


@dataclass(frozen=True)
class Unusable:
    """A TLSA record a sender must ignore, and why."""

    rdata: str
    reason_nl: str
    reason_en: str


def parse_tlsa(rdata: str) -> Tlsa | Unusable:
    """A TLSA record from presentation format (hex may be split by spaces)."""
    fields = rdata.split()
    if len(fields) < 4 or not all(f.isdigit() for f in fields[:3]):
        return Unusable(rdata, "geen geldige TLSA-opmaak", "not valid TLSA syntax")
    usage, selector, mtype = (int(f) for f in fields[:3])
    try:
        data = binascii.unhexlify("".join(fields[3:]))
    except (binascii.Error, ValueError):
        return Unusable(rdata, "de gegevens zijn geen hexadecimale tekst",
                        "the association data is not hexadecimal")
    return check_usable(Tlsa(usage, selector, mtype, data), rdata)


def check_usable(record: Tlsa, rdata: str) -> Tlsa | Unusable:
    if record.usage in (0, 1):
        name = USAGE_NAMES[record.usage]
        return Unusable(rdata, f"usage {record.usage} ({name}) is voor SMTP onbruikbaar "
                        "(RFC 7672 §3.1.3); gebruik 3 (DANE-EE) of 2 (DANE-TA)",
                        f"usage {record.usage} ({name}) is unusable for SMTP "
                        "(RFC 7672 §3.1.3); use 3 (DANE-EE) or 2 (DANE-TA)")
    if record.usage not in (DANE_TA, DANE_EE):
        return Unusable(rdata, f"onbekende usage {record.usage}",
                        f"unknown usage {record.usage}")
    if record.selector not in (0, 1):
        return Unusable(rdata, f"onbekende selector {record.selector}",
                        f"unknown selector {record.selector}")
    if record.mtype not in DIGESTS:
        return Unusable(rdata, f"onbekend matching type {record.mtype}",
                        f"unknown matching type {record.mtype}")
    size = DIGEST_SIZES.get(record.mtype)
    if (size and len(record.data) != size) or not record.data:
        return Unusable(rdata, f"de gegevens zijn {len(record.data)} bytes lang, wat niet past "
                        f"bij matching type {record.mtype}",
                        f"the association data is {len(record.data)} bytes long, which does "
                        f"not fit matching type {record.mtype}")
    return record


def split_records(rdatas: Sequence[str]) -> tuple[list[Tlsa], list[Unusable]]:
    usable: list[Tlsa] = []
    unusable: list[Unusable] = []
    for rdata in rdatas:
        parsed = parse_tlsa(rdata)
        if isinstance(parsed, Tlsa):
            usable.append(parsed)
        else:
            unusable.append(parsed)
    return usable, unusable


def load_chain(chain_b64: Sequence[str]) -> list[x509.Certificate] | None:
    """The presented certificates (base64 DER, leaf first); None when one does not parse."""
    try:
        return [x509.load_der_x509_certificate(base64.b64decode(c)) for c in chain_b64]
    except (ValueError, binascii.Error):
        return None


def spki(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)


def selected(cert: x509.Certificate, selector: int) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER) if selector == 0 else spki(cert)


def matches_cert(record: Tlsa, cert: x509.Certificate) -> bool:
    return DIGESTS[record.mtype](selected(cert, record.selector)) == record.data


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """``issuer`` directly issued ``cert``: names agree and its key verifies the signature."""
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def signed_by_key(cert: x509.Certificate, spki_der: bytes) -> bool:
    """The key (DER SubjectPublicKeyInfo) verifies ``cert``'s signature (a 2 1 0 anchor)."""
    try:
        key = serialization.load_der_public_key(spki_der)
        algorithm = cert.signature_hash_algorithm
        if isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(algorithm))
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes)
        else:
            return False
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def matches_ta(record: Tlsa, chain: list[x509.Certificate]) -> bool:
    """Walk up from the leaf through presented issuers until a certificate matches."""
    current, rest = chain[0], list(chain[1:])
    while True:
        issuer = next((c for c in rest if issued_by(current, c)), None)
        if issuer is None:  # the anchor may be a bare key that signed the top certificate
            return record.selector == 1 and record.mtype == 0 and \
                signed_by_key(current, record.data)
        if matches_cert(record, issuer):
            return True
        rest.remove(issuer)
        current = issuer


def matches_chain(record: Tlsa, chain: list[x509.Certificate]) -> bool:
    if not chain:
        return False
    if record.usage == DANE_EE:
        return matches_cert(record, chain[0])
    return matches_ta(record, chain)


def chain_matches(records: Sequence[Tlsa], chain: list[x509.Certificate]) -> bool:
    """Some usable record authenticates this chain (RFC 7672 §3: any one suffices)."""
    return any(matches_chain(r, chain) for r in records)
