"""Does a presented chain lead to a trusted root? Checked at scan time, kept as evidence.

The trust store is the configured PEM file (``Settings.trust_store``; the lab's CA is
in it) or, when none is configured, the system's bundle. Only trust is checked here
(the name is a name of the certificate itself); whether the certificate matches the
host is judged from the chain by the checks.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.x509 import DNSName
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


@functools.cache
def load_store(path: str) -> Store:
    return Store(x509.load_pem_x509_certificates(Path(path).read_bytes()))


def a_name_of(leaf: x509.Certificate) -> str | None:
    """A DNS name the certificate is valid for (wildcards made concrete)."""
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    names = san.get_values_for_type(x509.DNSName)
    if not names:
        return None
    return names[0].replace("*.", "meting-probe.", 1)


def verify_chain(chain: list[str], trust_store: str,
                 now: dt.datetime | None = None) -> dict[str, Any]:
    """``{"trusted": bool, "error": str | None, "store": path}`` for a base64 DER chain."""
    store_path = trust_store or SYSTEM_BUNDLE
    found: dict[str, Any] = {"trusted": False, "error": None, "store": store_path}
    if not chain:
        found["error"] = "no certificate presented"
        return found
    try:
        certs = [x509.load_der_x509_certificate(base64.b64decode(c)) for c in chain]
        store = load_store(store_path)
    except (ValueError, OSError) as exc:
        found["error"] = f"{type(exc).__name__}: {exc}"[:300]
        return found
    name = a_name_of(certs[0])
    if name is None:
        found["error"] = "the certificate names no DNS name (subjectAltName)"
        return found
    when = now or dt.datetime.now(dt.UTC)
    try:
        verifier = PolicyBuilder().store(store).time(when).build_server_verifier(DNSName(name))
        verifier.verify(certs[0], certs[1:])
    except (VerificationError, ValueError) as exc:
        found["error"] = str(exc)[:300]
        return found
    found["trusted"] = True
    return found
