"""Names from certificate transparency exports read from files (no network).

Two formats:
- the JSON that crt.sh returns for a query (``?q=%.example.nl&output=json``): a list of
  objects whose ``name_value`` holds the certificate's names, one per line, and
  ``common_name`` its subject CN;
- the JSON of an RFC 6962 log's ``get-entries`` (``{"entries": [{"leaf_input": …,
  "extra_data": …}]}``): each leaf is a MerkleTreeLeaf (§3.4) holding an X.509 entry, or
  a precertificate entry whose certificate is the first one in ``extra_data`` (§4.6).
A file that is neither, or an entry that cannot be read, stops with one line that names
the entry; nothing of such a file is used. Entries read from a log over its API
(``probe.ct_log``) go through the same parsing, but an unreadable one is skipped and
counted (``log_names``).
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

from meting.discovery.messages import Message, Said

X509_ENTRY, PRECERT_ENTRY = 0, 1


class CtFileError(Said, ValueError):
    """A CT export that cannot be read; the message names the file and the entry."""


class EntryError(Said, ValueError):
    """One log entry that cannot be read; the message says what is wrong with it."""


@dataclass(frozen=True)
class CtName:
    name: str
    note: str  # where it was seen, e.g. "crt.sh id 123" or "log entry 4"


def read_export(path: Path, max_bytes: int) -> list[CtName]:
    try:
        if path.stat().st_size > max_bytes:
            raise CtFileError("file_too_large", path=path, limit=max_bytes)
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CtFileError("file_unreadable", path=path, error=exc) from None
    except json.JSONDecodeError as exc:
        raise CtFileError("file_not_json", path=path, line=exc.lineno, error=exc.msg) from None
    if isinstance(data, list):
        return crtsh_names(data, path)
    if isinstance(data, dict) and isinstance(data.get("entries"), list):
        names: list[CtName] = []
        for number, entry in enumerate(data["entries"]):
            try:
                names += entry_names(entry, f"log entry {number}")
            except EntryError as exc:
                raise CtFileError("file_bad_log_entry", path=path, number=number,
                                  problem=exc.message) from None
        return names
    raise CtFileError("file_unknown_format", path=path)


def crtsh_names(rows: list[Any], path: Path) -> list[CtName]:
    found: list[CtName] = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or not isinstance(row.get("name_value", ""), str):
            raise CtFileError("file_bad_crtsh_entry", path=path, number=number)
        note = f"crt.sh id {row['id']}" if "id" in row else f"crt.sh entry {number}"
        names = str(row.get("name_value", "")).splitlines()
        if isinstance(row.get("common_name"), str):
            names.append(row["common_name"])
        found += [CtName(n.strip(), note) for n in names if n.strip()]
    return found


@dataclass
class LogNames:
    """The names in a run of a log's entries, and the entries that could not be read."""

    names: list[CtName]
    skipped: list[tuple[int, Message]]  # entry index, what is wrong with it


def log_names(entries: list[Any], first: int, url: str) -> LogNames:
    """Names of entries read from a log, the first at index ``first``. Unlike a file a
    person gives, a log is not theirs to correct: an entry that cannot be read is
    skipped and counted, not fatal."""
    result = LogNames([], [])
    for index, entry in enumerate(entries, start=first):
        try:
            result.names += entry_names(entry, f"entry {index} of {url}")
        except EntryError as exc:
            result.skipped.append((index, exc.message))
    return result


def entry_names(entry: Any, note: str) -> list[CtName]:
    der = entry_certificate(entry)
    try:
        cert = x509.load_der_x509_certificate(der)
        return [CtName(n, note) for n in certificate_names(cert)]
    except ValueError as exc:
        raise EntryError("entry_not_certificate", error=exc) from None


def entry_certificate(entry: Any) -> bytes:
    """The DER certificate of one get-entries entry, from its MerkleTreeLeaf (the part the
    log hashes): an X.509 entry's certificate, or a precertificate entry's
    TBSCertificate (after the 32-byte issuer key hash), wrapped as a certificate so that
    ``cryptography`` reads its names. ``extra_data`` (the chain) is not needed."""
    if not isinstance(entry, dict):
        raise EntryError("entry_not_object")
    leaf = _b64(entry, "leaf_input")
    if len(leaf) < 12 or leaf[0] != 0 or leaf[1] != 0:
        raise EntryError("entry_not_v1")
    entry_type = int.from_bytes(leaf[10:12], "big")
    if entry_type == X509_ENTRY:
        return _opaque24(leaf, 12, "leaf_input")
    if entry_type == PRECERT_ENTRY:
        return as_certificate(_opaque24(leaf, 12 + 32, "leaf_input"))
    raise EntryError("entry_unknown_type", type=entry_type)


def as_certificate(tbs: bytes) -> bytes:
    """A TBSCertificate as a Certificate with its own signature algorithm and an empty
    signature: good for reading names, never for trusting."""
    try:
        algorithm = _tbs_signature_algorithm(tbs)
    except IndexError:
        raise EntryError("entry_length", field="leaf_input") from None
    return _der(0x30, tbs + algorithm + _der(0x03, b"\x00"))


def _tbs_signature_algorithm(tbs: bytes) -> bytes:
    """The ``signature`` AlgorithmIdentifier of a TBSCertificate (DER), as it is."""
    at = _tlv(tbs, 0)[0]  # inside the TBSCertificate SEQUENCE
    if tbs[at] == 0xA0:  # [0] EXPLICIT version
        at = _tlv(tbs, at)[1]
    at = _tlv(tbs, at)[1]  # serialNumber
    start, end = at, _tlv(tbs, at)[1]
    return tbs[start:end]


def _tlv(data: bytes, at: int) -> tuple[int, int]:
    """Where the content of the DER element at ``at`` starts, and where the element ends."""
    first = data[at + 1]
    if first < 0x80:
        return at + 2, at + 2 + first
    size = first & 0x7F
    length = int.from_bytes(data[at + 2:at + 2 + size], "big")
    if at + 2 + size + length > len(data):
        raise IndexError(at)
    return at + 2 + size, at + 2 + size + length


def _der(tag: int, content: bytes) -> bytes:
    n = len(content)
    length = bytes([n]) if n < 0x80 else (
        bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8,
                                                               "big"))
    return bytes([tag]) + length + content


def _b64(entry: dict[str, Any], key: str) -> bytes:
    try:
        return base64.b64decode(str(entry[key]), validate=True)
    except KeyError:
        raise EntryError("entry_field_missing", field=key) from None
    except binascii.Error:
        raise EntryError("entry_not_base64", field=key) from None


def _opaque24(data: bytes, at: int, what: str) -> bytes:
    if len(data) < at + 3:
        raise EntryError("entry_too_short", field=what)
    length = int.from_bytes(data[at:at + 3], "big")
    if len(data) < at + 3 + length:
        raise EntryError("entry_length", field=what)
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


def precert_leaf_input(issuer_key_hash: bytes, tbs: bytes, timestamp_ms: int) -> bytes:
    """The MerkleTreeLeaf of a precertificate entry: the issuer's key hash (SHA-256 of its
    SubjectPublicKeyInfo) and the TBSCertificate without the poison extension."""
    return (bytes([0, 0]) + timestamp_ms.to_bytes(8, "big") + PRECERT_ENTRY.to_bytes(2, "big")
            + issuer_key_hash + len(tbs).to_bytes(3, "big") + tbs + (0).to_bytes(2, "big"))


def extra_data(chain: list[bytes]) -> bytes:
    """The certificate chain of an X.509 entry (RFC 6962 §4.6)."""
    body = b"".join(len(c).to_bytes(3, "big") + c for c in chain)
    return len(body).to_bytes(3, "big") + body


def precert_extra_data(precertificate: bytes, chain: list[bytes]) -> bytes:
    """A PrecertChainEntry: the precertificate as submitted, then its chain."""
    return len(precertificate).to_bytes(3, "big") + precertificate + extra_data(chain)
