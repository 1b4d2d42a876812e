"""Reading the ``tls:`` section of a norm: the class of a version, suite, group, hash or key.

The classes themselves are data (``versions/<version>.yaml``); this module only derives
the properties of a cipher suite from its name (key exchange, authentication, bulk
cipher) so that the norm can classify suites by property.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from meting.norms import Norm

TlsClass = Literal["good", "sufficient", "phase_out", "insufficient"]
CLASSES: tuple[TlsClass, ...] = ("good", "sufficient", "phase_out", "insufficient")
VERSIONS = ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")

_TLS13_CIPHERS = {"TLS_AES_256_GCM_SHA384": "AES256GCM", "TLS_AES_128_GCM_SHA256": "AES128GCM",
                  "TLS_CHACHA20_POLY1305_SHA256": "CHACHA20",
                  "TLS_AES_128_CCM_SHA256": "AESCCM", "TLS_AES_128_CCM_8_SHA256": "AESCCM8"}


@dataclass(frozen=True)
class Suite:
    """The properties of a cipher suite that the norm classifies by."""

    name: str
    kex: str  # TLS13, ECDHE, DHE, RSA, ANON, PSK, SRP, ECDH, DH
    auth: str  # ECDSA, RSA, DSS, NONE, PSK, ANY (TLS 1.3)
    cipher: str  # AES256GCM, AES128GCM, AESCCM, AESCCM8, CHACHA20, AESCBC, CAMELLIA, ...
    mac: str  # AEAD (GCM, CCM, ChaCha20-Poly1305, TLS 1.3), SHA1, SHA256, SHA384, MD5


@cache  # pure; the probe and the checks ask for the same few hundred names over and over
def suite(name: str) -> Suite:
    """Properties of a suite from its OpenSSL name (or IANA name for TLS 1.3 suites)."""
    if name in _TLS13_CIPHERS:
        return Suite(name, "TLS13", "ANY", _TLS13_CIPHERS[name], "AEAD")
    parts = name.upper().split("-")
    cipher = _cipher(name.upper())
    return Suite(name, _kex(parts), _auth(parts), cipher, _mac(parts, cipher))


def _kex(parts: list[str]) -> str:
    if "PSK" in parts:
        return "PSK"
    if parts[0].startswith("SRP"):
        return "SRP"
    if parts[0] in ("ADH", "AECDH") or "ANON" in parts:
        return "ANON"
    if parts[0] in ("ECDHE", "EECDH"):
        return "ECDHE"
    if parts[0] in ("DHE", "EDH"):
        return "DHE"
    if parts[0] in ("ECDH", "DH"):
        return parts[0]
    if parts[0].startswith("EXP"):
        return _kex(parts[1:]) if len(parts) > 1 else "RSA"
    return "RSA"


def _auth(parts: list[str]) -> str:
    if parts[0] in ("ADH", "AECDH"):
        return "NONE"
    if "PSK" in parts:
        return "PSK"
    if len(parts) > 1 and parts[1] in ("ECDSA", "DSS", "RSA"):
        return parts[1]
    if parts[0] in ("ECDHE", "EECDH"):  # "ECDHE-AES..." without auth is RSA in OpenSSL names
        return "RSA"
    return "RSA"


def _cipher(name: str) -> str:
    checks = (("NULL", "NULL"), ("EXP", "EXPORT"), ("RC4", "RC4"), ("RC2", "RC2"),
              ("DES-CBC3", "3DES"), ("3DES", "3DES"), ("DES-CBC", "DES"), ("IDEA", "IDEA"),
              ("SEED", "SEED"), ("CHACHA20", "CHACHA20"), ("CCM8", "AESCCM8"),
              ("CCM", "AESCCM"), ("AES256-GCM", "AES256GCM"), ("AES128-GCM", "AES128GCM"),
              ("ARIA", "ARIA"), ("CAMELLIA", "CAMELLIA"), ("AES", "AESCBC"))
    for token, cipher in checks:
        if token in name:
            return cipher
    return "OTHER"


AEAD = {"AES256GCM", "AES128GCM", "AESCCM", "AESCCM8", "CHACHA20"}


def _mac(parts: list[str], cipher: str) -> str:
    """The record MAC: none apart from the cipher for AEAD suites (a SHA-2 suffix there
    names the PRF); else the suffix of an OpenSSL name (no suffix: SHA-1)."""
    if cipher in AEAD or "GCM" in parts:
        return "AEAD"
    last = parts[-1]
    return last if last in ("SHA256", "SHA384", "MD5") else "SHA1"


PROPERTIES = ("kex", "auth", "cipher", "mac")


def tls(norm: Norm) -> dict[str, Any]:
    section: dict[str, Any] = norm["tls"]
    return section


def version_class(norm: Norm, version: str) -> TlsClass:
    found: TlsClass = tls(norm)["versions"].get(version, "insufficient")
    return found


def suite_class(norm: Norm, name: str) -> TlsClass:
    props = suite(name)
    for rule in tls(norm)["ciphers"]:
        if all(getattr(props, key) in rule[key] for key in PROPERTIES if key in rule):
            found: TlsClass = rule["class"]
            return found
    default: TlsClass = tls(norm)["cipher_default"]
    return default


def group_class(norm: Norm, group: str) -> TlsClass:
    groups = tls(norm)["groups"]
    for cls in CLASSES:
        if group.lower() in (g.lower() for g in groups.get(cls, [])):
            return cls
    default: TlsClass = tls(norm)["group_default"]
    return default


def by_size(rows: list[dict[str, Any]], bits: int) -> TlsClass:
    for row in rows:
        if bits >= row["min_bits"]:
            found: TlsClass = row["class"]
            return found
    return "insufficient"


PASSING: tuple[TlsClass, ...] = ("good", "sufficient")


def passing_bits(rows: list[dict[str, Any]]) -> int | None:
    """The smallest size that passes (good or sufficient) in a by-size table."""
    sizes = [int(row["min_bits"]) for row in rows if row["class"] in PASSING]
    return min(sizes) if sizes else None


def good_bits(rows: list[dict[str, Any]]) -> int | None:
    """The smallest size the table calls good: the size to advise."""
    sizes = [int(row["min_bits"]) for row in rows if row["class"] == "good"]
    return min(sizes) if sizes else None


def good_curves(norm: Norm) -> list[str]:
    """The curves a certificate key may use and be good (the norm's own order)."""
    found: list[str] = tls(norm)["cert_pubkey"]["ec_curves"].get("good", [])
    return found


def passing_groups(norm: Norm) -> tuple[list[str], list[str]]:
    """The key-exchange groups that pass: the (EC) named groups and the RFC 7919 groups."""
    named = [g for cls in PASSING for g in tls(norm)["groups"].get(cls, [])]
    ffdhe = [g for g, cls in tls(norm)["ffdhe"]["groups"].items() if cls in PASSING]
    return named, ffdhe


def ffdhe_class(norm: Norm, group: str | None, bits: int) -> TlsClass:
    """A finite-field DH group: a named (RFC 7919) group by name, any other prime by size."""
    table = tls(norm)["ffdhe"]
    named: TlsClass | None = table["groups"].get(group) if group else None
    return named if named is not None else by_size(table["custom"], bits)


def kex_hash_class(norm: Norm, hash_name: str) -> TlsClass:
    found: TlsClass = tls(norm)["kex_hash"].get(hash_name.upper(), "insufficient")
    return found


def element_class(norm: Norm, element: str) -> TlsClass:
    """The class of a single finding such as ``compression`` or ``client_renegotiation``."""
    found: TlsClass = tls(norm)[element]
    return found


def missing_optional(norm: Norm, part: str) -> str | None:
    """The status of an absent optional part (the norm's ``optional.missing``), or None
    when the norm makes the part required: absent, it is then insufficient."""
    optional = tls(norm)["optional"]
    found: str | None = optional["missing"] if part in optional["parts"] else None
    return found


def mail_cert_status(norm: Norm, subtest: str) -> str:
    """The status of a mail certificate without DANE that fails ``subtest``
    (cert_trust or cert_hostmatch)."""
    found: str = tls(norm)["mail"][f"{subtest}_without_dane"]
    return found


def worst_class(classes: list[TlsClass]) -> TlsClass | None:
    return max(classes, key=CLASSES.index) if classes else None


def suites_of_class(norm: Norm, names: list[str], cls: TlsClass) -> list[str]:
    return [n for n in names if suite_class(norm, n) == cls]
