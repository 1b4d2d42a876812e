"""Evidence: plain, serialisable records of what was asked, of whom, and what came back.

Every record is a frozen dataclass with ``to_dict()`` (JSON-safe: tuples become lists)
and ``from_dict()`` (the inverse; keys a record does not know are ignored, missing keys
with a default take it), so evidence can be stored and judged again later.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal, Self, get_args

Security = Literal["secure", "insecure", "bogus", "error"]
SECURITY_VALUES: tuple[str, ...] = get_args(Security)


class Evidence:
    """Mixin: JSON-safe round trip for frozen dataclasses of str/int/float/bool/None/tuples."""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _thaw(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: _freeze(v) for k, v in data.items() if k in known})


def _thaw(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_thaw(v) for v in value]
    return value


def _freeze(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


@dataclass(frozen=True)
class DnsAnswer(Evidence):
    """One DNS question and what came back.

    ``security``: ``secure`` — NOERROR/NXDOMAIN with the AD bit from the validating
    resolver; ``insecure`` — an answer without AD (and every answer of a direct,
    non-validated query to an authoritative server); ``bogus`` — SERVFAIL, but asked
    again with CD set the data is there (``cd_used`` and ``answers`` from that query);
    ``error`` — no usable answer (SERVFAIL also with CD, REFUSED, timeout, CNAME loop).
    """

    name: str
    rtype: str
    server: str
    rcode: str  # "NOERROR", "NXDOMAIN", "SERVFAIL", ...; "" when nothing came back
    ad: bool
    cd_used: bool
    answers: tuple[str, ...]  # rdata of the final owner's rrset, presentation format
    elapsed_ms: float
    error: str | None
    security: Security
    cname_chain: tuple[str, ...] = ()  # CNAME targets followed from name, in order
    transport: Literal["udp", "tcp", ""] = ""  # of the last message that came back
    attempts: int = 0  # messages sent for this answer (retries, TCP, CD re-ask)
    authoritative: bool = False  # a direct query to an authoritative server
    aa: bool = False  # the AA flag of the response
    omitted: int = 0  # records left out over the max_answers setting (probe.dns.capped)

    @property
    def ok(self) -> bool:
        return self.security != "error"

    @property
    def exists(self) -> bool:
        """The name exists (NOERROR), whatever the number of answers."""
        return self.rcode == "NOERROR"


@dataclass(frozen=True)
class Reach(Evidence):
    """A TCP connection attempt to (address, port), with the SMTP greeting if one was read."""

    address: str
    port: int
    ok: bool
    banner: str | None
    elapsed_ms: float
    error: str | None


def txt_strings(rdata: str) -> str:
    """The text of one TXT rdata in presentation format (``"a" "b"`` -> ``ab``)."""
    out: list[str] = []
    i, inside = 0, False
    while i < len(rdata):
        c = rdata[i]
        if c == '"':
            inside = not inside
        elif c == "\\" and i + 1 < len(rdata):
            if rdata[i + 1 : i + 4].isdigit() and len(rdata[i + 1 : i + 4]) == 3:
                out.append(chr(int(rdata[i + 1 : i + 4])))
                i += 3
            else:
                out.append(rdata[i + 1])
                i += 1
        elif inside or not c.isspace():
            out.append(c)
        i += 1
    return "".join(out)
