"""security.txt (RFC 9116): parse a file into its fields and the problems found in it.

Only what a machine can check is checked: line syntax (§4), Contact present with a
usable URI (§2.5.3), exactly one Expires in RFC 3339 format and in the future
(§2.5.5), web URIs over https (§2.5.1, 2.5.3–2.5.9), at most one Preferred-Languages
(§2.5.8). A cleartext-signed file (RFC 4880 §7) is unwrapped; its signature is not
verified (the scanner has no keys). Unknown fields are ignored, as §2.4 requires.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

FIELD_RE = re.compile(r"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*\Z")
DATE_TIME_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})\Z")
URI_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+\Z")
WEB_URI_FIELDS = ("acknowledgments", "canonical", "encryption", "hiring", "policy")
SIGNED_BEGIN = "-----BEGIN PGP SIGNED MESSAGE-----"
SIGNATURE_BEGIN = "-----BEGIN PGP SIGNATURE-----"
SIGNATURE_END = "-----END PGP SIGNATURE-----"
LONG_EXPIRY = dt.timedelta(days=366)


@dataclass(frozen=True)
class Problem:
    code: str  # see PROBLEM_CODES
    line: int | None  # 1-based line of the file, when the problem has one
    detail: str = ""


PROBLEM_CODES = ("bad_signed_message", "invalid_line", "no_contact", "bad_contact",
                 "no_expires", "multiple_expires", "bad_expires", "expired", "insecure_uri",
                 "multiple_preferred_languages")


@dataclass(frozen=True)
class SecurityTxt:
    fields: tuple[tuple[str, str, int], ...]  # (name in lower case, value, line)
    signed: bool
    problems: tuple[Problem, ...]
    expires: dt.datetime | None
    long_expiry: bool  # Expires more than a year ahead (§2.5.5: SHOULD be less)

    def values(self, name: str) -> list[str]:
        return [v for n, v, _ in self.fields if n == name]


def unwrap_signed(lines: list[str]) -> tuple[list[tuple[int, str]], list[Problem]]:
    """The signed text's lines (with their line numbers) of a cleartext-signed message."""
    i = 1
    while i < len(lines) and lines[i].strip():
        if not lines[i].startswith("Hash:"):
            return [], [Problem("bad_signed_message", i + 1, "armor header")]
        i += 1
    try:
        end = lines.index(SIGNATURE_BEGIN, i)
        last = lines.index(SIGNATURE_END, end)
    except ValueError:
        return [], [Problem("bad_signed_message", None, "no signature block")]
    problems = [Problem("bad_signed_message", n + 1, "text after the signature")
                for n in range(last + 1, len(lines)) if lines[n].strip()]
    body = [(n + 1, lines[n][2:] if lines[n].startswith("- ") else lines[n])
            for n in range(i + 1, end)]
    return body, problems


def parse_expires(value: str) -> dt.datetime | None:
    if not DATE_TIME_RE.match(value):
        return None
    try:
        return dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return None


def parse(text: str, now: dt.datetime) -> SecurityTxt:
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n")
    signed = bool(lines) and lines[0].strip() == SIGNED_BEGIN
    problems: list[Problem] = []
    if signed:
        numbered, problems = unwrap_signed(lines)
    else:
        numbered = list(enumerate(lines, 1))
    fields: list[tuple[str, str, int]] = []
    for number, line in numbered:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = FIELD_RE.match(line)
        if match is None or not match.group(2):
            problems.append(Problem("invalid_line", number, line[:80]))
            continue
        fields.append((match.group(1).lower(), match.group(2), number))
    problems += field_problems(fields)
    expires = [(v, n) for name, v, n in fields if name == "expires"]
    when = parse_expires(expires[0][0]) if len(expires) == 1 else None
    if len(expires) == 1 and when is None:
        problems.append(Problem("bad_expires", expires[0][1], expires[0][0][:80]))
    elif when is not None and when <= now:
        problems.append(Problem("expired", expires[0][1], expires[0][0]))
    return SecurityTxt(tuple(fields), signed, tuple(problems), when,
                       when is not None and when - now > LONG_EXPIRY)


def field_problems(fields: list[tuple[str, str, int]]) -> list[Problem]:
    problems = []
    contacts = [(v, n) for name, v, n in fields if name == "contact"]
    if not contacts:
        problems.append(Problem("no_contact", None))
    for value, number in contacts:
        if not URI_RE.match(value):
            problems.append(Problem("bad_contact", number, value[:80]))
        elif value.lower().startswith("http:"):
            problems.append(Problem("insecure_uri", number, value[:80]))
    expires = [n for name, _, n in fields if name == "expires"]
    if not expires:
        problems.append(Problem("no_expires", None))
    elif len(expires) > 1:
        problems.append(Problem("multiple_expires", expires[1]))
    problems += [Problem("insecure_uri", n, v[:80]) for name, v, n in fields
                 if name in WEB_URI_FIELDS and v.lower().startswith("http:")]
    languages = [n for name, _, n in fields if name == "preferred-languages"]
    if len(languages) > 1:
        problems.append(Problem("multiple_preferred_languages", languages[1]))
    return problems
