"""The schema of the norm files: what every key of ``versions/<version>.yaml`` and of
``columns.yaml`` may hold. A file is checked when it is loaded; a mistake is reported in
one line that names the file, the key and what was expected (``NormFileError``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import PurePath
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

TlsClass = Literal["good", "sufficient", "phase_out", "insufficient"]
TlsVersion = Literal["SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
Kex = Literal["TLS13", "ECDHE", "DHE", "RSA", "ANON", "PSK", "SRP", "ECDH", "DH"]
Auth = Literal["ECDSA", "RSA", "DSS", "NONE", "PSK", "ANY"]
Cipher = Literal["AES256GCM", "AES128GCM", "AESCCM", "AESCCM8", "CHACHA20", "AESCBC",
                 "CAMELLIA", "ARIA", "3DES", "DES", "RC4", "RC2", "IDEA", "SEED", "NULL",
                 "EXPORT", "OTHER"]
Mac = Literal["AEAD", "SHA1", "SHA256", "SHA384", "MD5"]
Hash = Literal["MD5", "SHA1", "SHA224", "SHA256", "SHA384", "SHA512"]
FfdheGroup = Literal["ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192"]
OptionalPart = Literal["ocsp_stapling", "caa", "cipher_order_tls13_only"]
Status = Literal["passed", "failed", "warning", "info", "not_tested", "not_applicable",
                 "no_mx", "unreachable", "not_testable", "error"]


class Strict(BaseModel):
    """No unknown keys (a typo is an error, not a silently ignored key)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Texts(Strict):
    nl: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Hsts(Strict):
    min_max_age: int = Field(gt=0)


class SuiteRule(Strict):
    """Suites whose properties are all in the listed values get ``class``; an absent
    property matches any value."""

    cls: TlsClass = Field(alias="class")
    kex: list[Kex] | None = None
    auth: list[Auth] | None = None
    cipher: list[Cipher] | None = None
    mac: list[Mac] | None = None


class ByClass(Strict):
    good: list[str] = []
    sufficient: list[str] = []
    phase_out: list[str] = []
    insufficient: list[str] = []


class SizeRow(Strict):
    min_bits: int = Field(ge=0)
    cls: TlsClass = Field(alias="class")


class Ffdhe(Strict):
    groups: dict[FfdheGroup, TlsClass]
    custom: list[SizeRow] = Field(min_length=1)


class CertPubkey(Strict):
    rsa: list[SizeRow] = Field(min_length=1)
    ec_curves: ByClass
    ed: TlsClass
    other: TlsClass


class OptionalParts(Strict):
    parts: list[OptionalPart]
    missing: Literal["passed", "info", "warning"]


class MailCert(Strict):
    cert_trust_without_dane: Status
    cert_hostmatch_without_dane: Status


class Tls(Strict):
    versions: dict[TlsVersion, TlsClass]
    ciphers: list[SuiteRule] = Field(min_length=1)
    cipher_default: TlsClass
    groups: ByClass
    group_default: TlsClass
    ffdhe: Ffdhe
    kex_hash: dict[Hash, TlsClass]
    compression: TlsClass
    secure_renegotiation_missing: TlsClass
    client_renegotiation: TlsClass
    zero_rtt: TlsClass
    extended_master_secret_missing: TlsClass
    cipher_order_missing: TlsClass
    cert_pubkey: CertPubkey
    cert_signature_hash: dict[Hash, TlsClass]
    optional: OptionalParts
    mail: MailCert

    @model_validator(mode="after")
    def every_version_classed(self) -> Tls:
        missing = [v for v in TlsVersion.__args__ if v not in self.versions]  # type: ignore[attr-defined]
        if missing:
            raise ValueError(f"tls.versions must class every version; missing {', '.join(missing)}")
        return self


class NormFile(Strict):
    """One norm version (``versions/<version>.yaml``)."""

    name: Literal["ncsc-tls"]
    version: str = Field(min_length=1)
    title: str = Field(min_length=1)
    published: Texts   # the name under which the guidelines were published
    summary: Texts     # what this version says, in a sentence or two
    valid_from: dt.date   # the day from which rounds may be judged under it by default
    sources: list[str] = Field(min_length=1)
    hsts: Hsts
    tls: Tls


class Legal(Strict):
    since: dt.date
    law: str
    source: str


class Column(Strict):
    """A report column; its agreement (deadline, legal duty) is in the standards register."""

    column: str


class ColumnsFile(Strict):
    """The report columns (``columns.yaml``)."""

    name: Literal["columns"]
    version: str
    web: list[Column] = Field(min_length=1)
    mail: list[Column] = Field(min_length=1)
    statuses: list[Status] = Field(min_length=1)



class NormFileError(ValueError):
    """A norm file that does not follow the schema; the message is one line."""


def read(path: PurePath, text: str, model: type[Strict]) -> Any:
    """``text`` (the file at ``path``) parsed and checked against ``model``."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise NormFileError(f"{path.name}:{where} not valid YAML "
                            f"({getattr(exc, 'problem', None) or exc})") from None
    if not isinstance(raw, dict):
        raise NormFileError(f"{path.name}: expected a mapping of keys at the top")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise NormFileError(f"{path.name}: {describe(exc.errors()[0])}") from None


def describe(error: Any) -> str:
    """``key: what was expected (found …)`` for the first error pydantic found."""
    key = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in error["loc"])
    key = key.replace(".[", "[") or "(top)"
    kind = error["type"]
    if kind == "missing":
        return f"{key}: missing; this key is required"
    if kind == "extra_forbidden":
        return f"{key}: unknown key (a typo?); expected one of the schema's keys"
    expected = error["msg"].removeprefix("Input should be ").removeprefix("Value error, ")
    found = error.get("input")
    shown = "" if isinstance(found, dict | list) else f" (found {found!r})"
    if kind == "literal_error":
        return f"{key}: expected {expected}{shown}"
    return f"{key}: expected {expected}{shown}"
