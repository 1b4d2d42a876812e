"""Names from certificate transparency exports read from files (no network).

Two formats:
- the JSON that crt.sh returns for a query (``?q=%.example.nl&output=json``): a list of
  objects whose ``name_value`` holds the certificate's names, one per line, and
  ``common_name`` its subject CN;
- the JSON of an RFC 6962 log's ``get-entries`` (``{"entries": [{"leaf_input": …,
  "extra_data": …}]}``): each leaf is a MerkleTreeLeaf (§3.4) holding an X.509 entry, or
  a precertificate entry whose certificate is the first one in ``extra_data`` (§4.6).
A file that is neither, or an entry that cannot be read, stops with one line that names
the entry; nothing of such a file is used.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

X509_ENTRY, PRECERT_ENTRY = 0, 1


class CtFileError(ValueError):
    """A CT export that cannot be read; the message names the file and the entry."""


@dataclass(frozen=True)
class CtName:
    name: str
    note: str  # where it was seen, e.g. "crt.sh id 123" or "log entry 4"


def read_export(path: Path, max_bytes: int) -> list[CtName]:
    try:
        if path.stat().st_size > max_bytes:
            raise CtFileError(f"{path}: larger than {max_bytes:,} bytes (max_file_bytes)")
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CtFileError(f"{path}: cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise CtFileError(f"{path}: not JSON (line {exc.lineno}: {exc.msg})") from None
    try:
        if isinstance(data, list):
            return crtsh_names(data)
        if isinstance(data, dict) and isinstance(data.get("entries"), list):
            return log_entry_names(data["entries"])
    except CtFileError as exc:
        raise CtFileError(f"{path}: {exc}") from None
    raise CtFileError(f"{path}: neither a crt.sh export (a list) nor a log's get-entries "
                      "answer (an object with entries)")


def crtsh_names(rows: list[Any]) -> list[CtName]:
    found: list[CtName] = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or not isinstance(row.get("name_value", ""), str):
            raise CtFileError(f"entry {number} is not a crt.sh certificate object")
        note = f"crt.sh id {row['id']}" if "id" in row else f"crt.sh entry {number}"
        names = str(row.get("name_value", "")).splitlines()
        if isinstance(row.get("common_name"), str):
            names.append(row["common_name"])
        found += [CtName(n.strip(), note) for n in names if n.strip()]
    return found


def log_entry_names(entries: list[Any]) -> list[CtName]:
    found: list[CtName] = []
    for number, entry in enumerate(entries):
        try:
            der = entry_certificate(entry)
            cert = x509.load_der_x509_certificate(der)
        except (CtFileError, ValueError, KeyError, TypeError) as exc:
            raise CtFileError(f"log entry {number}: {exc}") from None
        found += [CtName(n, f"log entry {number}") for n in certificate_names(cert)]
    return found


def entry_certificate(entry: Any) -> bytes:
    """The DER certificate of one get-entries entry (the precertificate for a precert)."""
    if not isinstance(entry, dict):
        raise CtFileError("not an object with leaf_input")
    leaf = _b64(entry, "leaf_input")
    if len(leaf) < 12 or leaf[0] != 0 or leaf[1] != 0:
        raise CtFileError("leaf_input is no version 1 timestamped entry (RFC 6962 §3.4)")
    entry_type = int.from_bytes(leaf[10:12], "big")
    if entry_type == X509_ENTRY:
        return _opaque24(leaf, 12, "leaf_input")
    if entry_type == PRECERT_ENTRY:
        return _opaque24(_b64(entry, "extra_data"), 0, "extra_data")
    raise CtFileError(f"unknown entry type {entry_type}")


def _b64(entry: dict[str, Any], key: str) -> bytes:
    try:
        return base64.b64decode(str(entry[key]), validate=True)
    except KeyError:
        raise CtFileError(f"{key} is missing") from None
    except binascii.Error:
        raise CtFileError(f"{key} is not base64") from None


def _opaque24(data: bytes, at: int, what: str) -> bytes:
    if len(data) < at + 3:
        raise CtFileError(f"{what} ends before its certificate")
    length = int.from_bytes(data[at:at + 3], "big")
    if len(data) < at + 3 + length:
        raise CtFileError(f"{what} is shorter than the certificate length it gives")
    return data[at + 3:at + 3 + length]


def certificate_names(cert: x509.Certificate) -> list[str]:
    """The DNS names of a certificate: its subject alternative names and subject CN."""
    names: list[str] = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names += [str(n) for n in san.value.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        pass
    names += [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    return names


def leaf_input(der: bytes, timestamp_ms: int) -> bytes:
    """The MerkleTreeLeaf of an X.509 entry (RFC 6962 §3.4), as a log serves it."""
    return (bytes([0, 0]) + timestamp_ms.to_bytes(8, "big") + X509_ENTRY.to_bytes(2, "big")
            + len(der).to_bytes(3, "big") + der + (0).to_bytes(2, "big"))


def extra_data(chain: list[bytes]) -> bytes:
    """The certificate chain of an X.509 entry (RFC 6962 §4.6)."""
    body = b"".join(len(c).to_bytes(3, "big") + c for c in chain)
    return len(body).to_bytes(3, "big") + body
