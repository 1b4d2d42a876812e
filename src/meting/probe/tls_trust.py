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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.x509 import DNSName
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


TRUST_KEPT = 60.0  # seconds a verdict on a chain is reused (a site's IPv4 and IPv6 scans)
VERDICTS_KEPT = 1024


@dataclass(frozen=True)
class _Verdict:
    found: dict[str, Any]
    at: dt.datetime
    until: dt.datetime | None  # the next time a certificate of chain or store starts or ends


_verdicts: dict[tuple[tuple[str, ...], str], _Verdict] = {}


@functools.cache
def load_store(path: str) -> Store:
    return Store(list(_roots(path)))


@functools.cache
def _roots(path: str) -> tuple[x509.Certificate, ...]:
    return tuple(x509.load_pem_x509_certificates(Path(path).read_bytes()))


def _validity_edges(certs: list[x509.Certificate] | tuple[x509.Certificate, ...]
                    ) -> tuple[dt.datetime, ...]:
    return tuple(edge for c in certs for edge in (c.not_valid_before_utc, c.not_valid_after_utc))


@functools.cache
def _store_edges(path: str) -> tuple[dt.datetime, ...]:
    return _validity_edges(_roots(path))


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
    """``{"trusted": bool, "error": str | None, "store": path}`` for a base64 DER chain.
    The verdict on the same chain and store made at most ``TRUST_KEPT`` seconds before is
    reused when no certificate of either started or ended in between: time is the only
    other thing a verdict depends on."""
    when = now or dt.datetime.now(dt.UTC)
    store_path = trust_store or SYSTEM_BUNDLE
    key = (tuple(chain), store_path)
    kept = _verdicts.get(key)
    if kept is not None and 0 <= (when - kept.at).total_seconds() <= TRUST_KEPT and \
            (kept.until is None or when < kept.until):
        return dict(kept.found)
    found, edges = _verify(chain, store_path, when)
    if len(_verdicts) >= VERDICTS_KEPT:
        _verdicts.clear()
    if edges is not None:
        later = [edge for edge in edges + _store_edges(store_path) if edge > when]
        _verdicts[key] = _Verdict(dict(found), when, min(later, default=None))
    return found


def _verify(chain: list[str], store_path: str, when: dt.datetime
            ) -> tuple[dict[str, Any], tuple[dt.datetime, ...] | None]:
    """The verdict, and the validity edges of the chain when it could be read."""
    found: dict[str, Any] = {"trusted": False, "error": None, "store": store_path}
    if not chain:
        found["error"] = "no certificate presented"
        return found, None
    try:
        certs = [x509.load_der_x509_certificate(base64.b64decode(c)) for c in chain]
        store = load_store(store_path)
    except (ValueError, OSError) as exc:
        found["error"] = f"{type(exc).__name__}: {exc}"[:300]
        return found, None
    edges = _validity_edges(certs)
    name = a_name_of(certs[0])
    if name is None:
        found["error"] = "the certificate names no DNS name (subjectAltName)"
        return found, edges
    try:
        verifier = PolicyBuilder().store(store).time(when).build_server_verifier(DNSName(name))
        verifier.verify(certs[0], certs[1:])
    except (VerificationError, ValueError) as exc:
        found["error"] = str(exc)[:300]
        return found, edges
    found["trusted"] = True
    return found, edges
