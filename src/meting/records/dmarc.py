"""DMARC record syntax (RFC 7489, with np from RFC 9091)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

POLICIES = frozenset({"none", "quarantine", "reject"})
KNOWN_TAGS = frozenset(
    {"v", "p", "sp", "np", "pct", "rua", "ruf", "adkim", "aspf", "fo", "rf", "ri"}
)
_WSP = " \t"
_VERSION_RE = re.compile(r"v[ \t]*=[ \t]*DMARC1[ \t]*(?:;|\Z)")
_TAG_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_URI_RE = re.compile(r"(?P<uri>[^!]+?)(?:!(?P<size>[0-9]+)(?P<unit>[kmgtKMGT]?))?\Z")
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+\Z")
_ADDRESS_RE = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+\Z")
_KEYWORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]*\Z")
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


@dataclass(frozen=True)
class ReportUri:
    uri: str  # without the size limit
    scheme: str  # lower case
    address: str | None  # the mailbox of a mailto: URI
    max_size: int | None  # in bytes, from "!size[kmgt]"


@dataclass(frozen=True)
class DmarcRecord:
    policy: str | None  # p; "none" when assumed per RFC 7489 §6.6.3
    subdomain_policy: str | None  # effective: sp, else p
    nonexistent_policy: str | None  # effective: np, else sp, else p (RFC 9091)
    pct: int
    rua: tuple[ReportUri, ...]
    ruf: tuple[ReportUri, ...]
    adkim: str
    aspf: str
    fo: tuple[str, ...]
    rf: tuple[str, ...]
    ri: int
    tags: tuple[tuple[str, str], ...]  # (lower-case name, raw value) in record order
    unknown_tags: tuple[str, ...]
    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    policy_assumed: bool = False  # p/sp invalid or missing, treated as p=none due to rua

    @property
    def valid(self) -> bool:
        """Syntactically valid with a usable policy."""
        return not self.errors and self.policy is not None


def is_dmarc(txt: str) -> bool:
    """True when the TXT string starts with the tag v=DMARC1 (case-sensitive)."""
    return _VERSION_RE.match(txt) is not None


def select_dmarc(txts: list[str]) -> list[str]:
    """All DMARC records among the TXT strings at a _dmarc name."""
    return [txt for txt in txts if is_dmarc(txt)]


def _split_tags(text: str, errors: list[str], warnings: list[str]) -> list[tuple[str, str]]:
    parts = text.split(";")
    if parts and parts[-1].strip(_WSP) == "":
        parts.pop()  # trailing semicolon (and whitespace) is allowed
    tags: list[tuple[str, str]] = []
    for part in parts:
        part = part.strip(_WSP)
        if not part:
            warnings.append("empty tag between semicolons")
            continue
        name, eq, value = part.partition("=")
        name = name.strip(_WSP)
        if not eq or not _TAG_NAME_RE.match(name):
            errors.append(f"malformed tag {part!r}")
            continue
        tags.append((name.lower(), value.strip(_WSP)))
    return tags


def _parse_uri(raw: str, errors: list[str], warnings: list[str], tag: str) -> ReportUri | None:
    match = _URI_RE.match(raw)
    if match is None or not _SCHEME_RE.match(match.group("uri")):
        errors.append(f"invalid {tag} URI {raw!r}")
        return None
    uri = match.group("uri")
    scheme = uri.split(":", 1)[0].lower()
    size = match.group("size")
    max_size = int(size) * _UNITS[match.group("unit").lower()] if size else None
    address = None
    if scheme == "mailto":
        address = uri.split(":", 1)[1].split("?", 1)[0]
        if not _ADDRESS_RE.match(address):
            errors.append(f"invalid {tag} address {address!r}")
            return None
    else:
        warnings.append(f"{tag} URI {uri!r} is not mailto:; receivers may not support it")
    return ReportUri(uri, scheme, address, max_size)


def _parse_uris(
    value: str, errors: list[str], warnings: list[str], tag: str
) -> tuple[ReportUri, ...]:
    uris = []
    for raw in value.split(","):
        raw = raw.strip(_WSP)
        uri = _parse_uri(raw, errors, warnings, tag) if raw else None
        if not raw:
            errors.append(f"empty {tag} URI")
        if uri is not None:
            uris.append(uri)
    return tuple(uris)


@dataclass
class _Builder:
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def policy(self, tag: str) -> str | None:
        """The tag's policy value; None when absent or invalid (invalid is an error)."""
        raw = self.values.get(tag)
        if raw is None:
            return None
        if raw.lower() not in POLICIES:
            self.errors.append(f"invalid {tag} value {raw!r}")
            return None
        return raw.lower()

    def choice(self, tag: str, allowed: tuple[str, ...], default: str) -> str:
        raw = self.values.get(tag)
        if raw is None:
            return default
        if raw.lower() not in allowed:
            self.errors.append(f"invalid {tag} value {raw!r}")
            return default
        return raw.lower()

    def number(self, tag: str, digits: int, maximum: int | None, default: int) -> int:
        raw = self.values.get(tag)
        if raw is None:
            return default
        if not re.fullmatch(rf"[0-9]{{1,{digits}}}", raw) or (
            maximum is not None and int(raw) > maximum
        ):
            self.errors.append(f"invalid {tag} value {raw!r}")
            return default
        return int(raw)

    def fo(self) -> tuple[str, ...]:
        raw = self.values.get("fo")
        if raw is None:
            return ("0",)
        options = tuple(option.strip(_WSP) for option in raw.split(":"))
        if any(option not in ("0", "1", "d", "s") for option in options):
            self.errors.append(f"invalid fo value {raw!r}")
            return ("0",)
        return options

    def rf(self) -> tuple[str, ...]:
        raw = self.values.get("rf")
        if raw is None:
            return ("afrf",)
        formats = tuple(item.strip(_WSP).lower() for item in raw.split(":"))
        if any(not _KEYWORD_RE.match(item) for item in formats):
            self.errors.append(f"invalid rf value {raw!r}")
            return ("afrf",)
        if any(item != "afrf" for item in formats):
            self.warnings.append(f"unknown report format in rf={raw}")
        return formats


def _empty(errors: list[str], warnings: list[str]) -> DmarcRecord:
    return DmarcRecord(None, None, None, 100, (), (), "r", "r", ("0",), ("afrf",), 86400,
                       (), (), tuple(errors), tuple(warnings))


def _collect(tags: list[tuple[str, str]], errors: list[str], warnings: list[str]) -> tuple[
    dict[str, str], list[str]
]:
    values: dict[str, str] = {}
    unknown: list[str] = []
    for name, value in tags[1:]:
        if name in values or name == "v":
            errors.append(f"duplicate tag {name}")
            continue
        values[name] = value
        if name not in KNOWN_TAGS:
            unknown.append(name)
    if unknown:
        warnings.append("unknown tags ignored: " + ", ".join(unknown))
    if "p" in values and tags[1][0] != "p":
        warnings.append("p is not the tag directly after v (RFC 7489 grammar order)")
    return values, unknown


def parse_dmarc(text: str) -> DmarcRecord:
    """Parse a DMARC record; problems end up in `errors`/`warnings`, never raised."""
    errors: list[str] = []
    warnings: list[str] = []
    if not is_dmarc(text):
        errors.append("not a DMARC record: must start with the tag v=DMARC1")
        return _empty(errors, warnings)
    tags = _split_tags(text, errors, warnings)
    values, unknown = _collect(tags, errors, warnings)
    build = _Builder(values, errors, warnings)
    policy, sp, np = build.policy("p"), build.policy("sp"), build.policy("np")
    if "p" not in values:
        errors.append("p tag missing")
    rua = _parse_uris(values["rua"], errors, warnings, "rua") if "rua" in values else ()
    ruf = _parse_uris(values["ruf"], errors, warnings, "ruf") if "ruf" in values else ()
    assumed = False
    if policy is None or ("sp" in values and sp is None):
        # RFC 7489 §6.6.3 step 6: with a valid rua, act as if p=none was published.
        if rua:
            policy, sp, np, assumed = "none", None, None, True
            warnings.append("p or sp missing or invalid; treated as p=none because of rua")
        else:
            policy, sp, np = None, None, None
    subdomain = sp or policy
    return DmarcRecord(
        policy=policy,
        subdomain_policy=subdomain,
        nonexistent_policy=np or subdomain,
        pct=build.number("pct", 3, 100, 100),
        rua=rua,
        ruf=ruf,
        adkim=build.choice("adkim", ("r", "s"), "r"),
        aspf=build.choice("aspf", ("r", "s"), "r"),
        fo=build.fo(),
        rf=build.rf(),
        ri=build.number("ri", 32, None, 86400),
        tags=tuple(tags),
        unknown_tags=tuple(unknown),
        errors=tuple(errors),
        warnings=tuple(warnings),
        policy_assumed=assumed,
    )
