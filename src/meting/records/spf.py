"""SPF record syntax (RFC 7208) and a pure evaluator over recorded TXT lookups.

Nothing here touches the network: the probe fetches TXT strings, this module
parses them and walks include/redirect chains over what was fetched.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

QUALIFIERS = "+-~?"
MECHANISMS = frozenset({"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"})
LOOKUP_MECHANISMS = frozenset({"include", "a", "mx", "ptr", "exists"})
LOOKUP_LIMIT = 10
VOID_LIMIT = 2
# Diamond-shaped include trees can grow exponentially; stop walking after this many records.
NODE_BUDGET = 200

_MODIFIER_RE = re.compile(r"([A-Za-z][A-Za-z0-9._-]*)=(.*)", re.DOTALL)
_MECHANISM_RE = re.compile(r"([A-Za-z][A-Za-z0-9]*)(.*)", re.DOTALL)
_MACRO_RE = re.compile(r"%\{([A-Za-z])([0-9]*)([rR]?)([.\-+,/_=]*)\}")
_DUAL_CIDR_RE = re.compile(r"(?:/([0-9]+))?(?://([0-9]+))?\Z")
_TOPLABEL_RE = re.compile(
    r"(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9])\Z"
)
_DOMAIN_MACRO_LETTERS = frozenset("slodiphv")  # c, r and t are only allowed in exp text


class SpfSyntaxError(ValueError):
    """A record that does not match the RFC 7208 grammar (a permerror)."""

    def __init__(self, message: str, term: str, position: int) -> None:
        super().__init__(f"{message}: {term!r} at position {position}")
        self.reason = message
        self.term = term
        self.position = position  # character offset of the term in the record


@dataclass(frozen=True)
class Mechanism:
    qualifier: str  # one of + - ~ ?
    kind: str  # lower case mechanism name
    target: str | None  # domain-spec (a/mx/ptr/include/exists) or address (ip4/ip6)
    cidr4: int | None = None
    cidr6: int | None = None


@dataclass(frozen=True)
class Modifier:
    name: str  # lower case
    value: str


@dataclass(frozen=True)
class SpfRecord:
    terms: tuple[str, ...]  # the raw terms after the version
    mechanisms: tuple[Mechanism, ...]
    redirect: str | None
    explanation: str | None
    all_qualifier: str | None  # qualifier of the first "all", None when there is none
    modifiers: tuple[Modifier, ...] = ()  # unknown modifiers, kept for reporting

    @property
    def effective_redirect(self) -> str | None:
        """The redirect target, ignored when the record has an "all" (RFC 7208 §6.1)."""
        return None if self.all_qualifier is not None else self.redirect


# --- record selection -------------------------------------------------------


def is_spf(txt: str) -> bool:
    """True for a TXT string that is an SPF record ("v=spf1" then space or end)."""
    return txt[:6].lower() == "v=spf1" and (len(txt) == 6 or txt[6] == " ")


def select_spf(txts: list[str]) -> list[str]:
    """All SPF records among a domain's TXT strings."""
    return [txt for txt in txts if is_spf(txt)]


# --- macro strings ------------------------------------------------------------


def _check_macro_string(text: str, term: str, position: int, *, domain: bool) -> bool:
    """Validate a macro-string; returns whether it ends in a macro-expand."""
    i = 0
    ends_in_macro = False
    while i < len(text):
        ch = text[i]
        if ch == "%":
            nxt = text[i + 1 : i + 2]
            if nxt in ("%", "_", "-"):
                i += 2
                ends_in_macro = True
                continue
            match = _MACRO_RE.match(text, i)
            letter = match.group(1).lower() if match else ""
            if match is None or letter not in "slodiphcrtv":
                raise SpfSyntaxError("invalid macro", term, position)
            digits = match.group(2)
            if letter not in _DOMAIN_MACRO_LETTERS and (domain or letter not in "crt"):
                raise SpfSyntaxError(f"macro letter {letter!r} not allowed here", term, position)
            if digits and int(digits) == 0:
                raise SpfSyntaxError("macro transformer digit must be nonzero", term, position)
            i = match.end()
            ends_in_macro = True
            continue
        if not 0x21 <= ord(ch) <= 0x7E:
            raise SpfSyntaxError("invalid character", term, position)
        i += 1
        ends_in_macro = False
    return ends_in_macro


def _check_domain_spec(spec: str, term: str, position: int) -> None:
    if not spec:
        raise SpfSyntaxError("missing domain", term, position)
    if _check_macro_string(spec, term, position, domain=True):
        return
    body = spec[:-1] if spec.endswith(".") else spec
    _head, dot, toplabel = body.rpartition(".")
    if not dot or not _TOPLABEL_RE.match(toplabel):
        raise SpfSyntaxError("invalid domain", term, position)
    if "%" not in spec:
        labels = body.split(".")
        if any(not label or len(label) > 63 for label in labels) or len(body) > 253:
            raise SpfSyntaxError("invalid domain", term, position)


def _transform(value: str, digits: str, reverse: bool, delimiters: str) -> str:
    parts = re.split("[" + re.escape(delimiters or ".") + "]", value)
    if reverse:
        parts.reverse()
    if digits:
        parts = parts[-int(digits) :]
    return ".".join(parts)


def expand_domain_spec(spec: str, domain: str, sender_domain: str | None = None) -> str | None:
    """Expand a domain-spec whose only macros are %{d} and %{o}.

    Returns None when the spec uses a macro that needs a real message
    (sender, client IP, ...), which a static check cannot know.
    """
    values = {"d": domain, "o": sender_domain or domain}
    out: list[str] = []
    i = 0
    while i < len(spec):
        if spec[i] != "%":
            out.append(spec[i])
            i += 1
            continue
        escape = {"%%": "%", "%_": " ", "%-": "%20"}.get(spec[i : i + 2])
        if escape is not None:
            out.append(escape)
            i += 2
            continue
        match = _MACRO_RE.match(spec, i)
        if match is None or match.group(1).lower() not in values:
            return None
        letter = match.group(1)
        text = _transform(values[letter.lower()], match.group(2), bool(match.group(3)),
                          match.group(4))
        out.append(quote(text, safe="") if letter.isupper() else text)
        i = match.end()
    return _normalise(_truncate("".join(out)))


def _truncate(name: str) -> str:
    # RFC 7208 §7.3: drop left-hand labels until the name fits in 253 characters.
    while len(name.rstrip(".")) > 253 and "." in name:
        name = name.split(".", 1)[1]
    return name


def _normalise(name: str) -> str:
    return name.rstrip(".").lower()


# --- terms ----------------------------------------------------------------------


def _cidr(value: str, maximum: int, term: str, position: int) -> int:
    if (len(value) > 1 and value.startswith("0")) or int(value) > maximum:
        raise SpfSyntaxError("invalid CIDR length", term, position)
    return int(value)


def _split_terms(text: str) -> list[tuple[str, int]]:
    terms: list[tuple[str, int]] = []
    offset = 0
    for chunk in text.split(" "):
        if chunk:
            terms.append((chunk, offset))
        offset += len(chunk) + 1
    return terms


def _parse_ip(kind: str, rest: str, term: str, position: int) -> Mechanism:
    if not rest.startswith(":") or len(rest) == 1:
        raise SpfSyntaxError(f"{kind} requires an address", term, position)
    address, slash, length = rest[1:].partition("/")
    maximum = 32 if kind == "ip4" else 128
    if slash and not length.isdigit():
        raise SpfSyntaxError("invalid CIDR length", term, position)
    cidr = _cidr(length, maximum, term, position) if slash else None
    try:
        if kind == "ip4":
            ipaddress.IPv4Address(address)
        elif "%" in address:
            raise ValueError("scope id")
        else:
            ipaddress.IPv6Address(address)
    except ValueError:
        raise SpfSyntaxError(f"invalid {kind} address", term, position) from None
    if kind == "ip4":
        return Mechanism("+", kind, address, cidr4=cidr)
    return Mechanism("+", kind, address, cidr6=cidr)


def _parse_host(kind: str, rest: str, term: str, position: int) -> Mechanism:
    """a and mx: optional domain-spec, optional dual CIDR length."""
    cidr4 = cidr6 = None
    if kind in ("a", "mx"):
        match = _DUAL_CIDR_RE.search(rest)
        if match is not None and match.group(0):
            if match.group(1) is not None:
                cidr4 = _cidr(match.group(1), 32, term, position)
            if match.group(2) is not None:
                cidr6 = _cidr(match.group(2), 128, term, position)
            rest = rest[: match.start()]
    if rest == "":
        if kind in ("include", "exists"):
            raise SpfSyntaxError(f"{kind} requires a domain", term, position)
        return Mechanism("+", kind, None, cidr4, cidr6)
    if not rest.startswith(":"):
        raise SpfSyntaxError("invalid mechanism arguments", term, position)
    spec = rest[1:]
    # "/" and ":" are macro-literals (RFC 7208 §7.1): "a:foo:bar/baz.example.com" names a
    # domain; a CIDR length that is not digits leaves a top label that is not valid
    try:
        _check_domain_spec(spec, term, position)
    except SpfSyntaxError:
        if "/" in _MACRO_RE.sub("", spec):
            raise SpfSyntaxError("invalid CIDR length", term, position) from None
        raise
    return Mechanism("+", kind, spec, cidr4, cidr6)


def _parse_mechanism(term: str, position: int) -> Mechanism:
    qualifier = "+"
    body = term
    if body[0] in QUALIFIERS:
        qualifier, body = body[0], body[1:]
    match = _MECHANISM_RE.fullmatch(body)
    kind = match.group(1).lower() if match else ""
    if match is None or kind not in MECHANISMS:
        raise SpfSyntaxError("unknown mechanism", term, position)
    rest = match.group(2)
    if kind == "all":
        if rest:
            raise SpfSyntaxError("all takes no arguments", term, position)
        mechanism = Mechanism("+", kind, None)
    elif kind in ("ip4", "ip6"):
        mechanism = _parse_ip(kind, rest, term, position)
    else:
        mechanism = _parse_host(kind, rest, term, position)
    return Mechanism(qualifier, mechanism.kind, mechanism.target, mechanism.cidr4,
                     mechanism.cidr6)


def parse_spf(text: str) -> SpfRecord:
    """Parse an SPF record; raises SpfSyntaxError on the first invalid term."""
    if not is_spf(text):
        raise SpfSyntaxError("not an SPF record", text.split(" ", 1)[0], 0)
    terms = _split_terms(text)[1:]
    mechanisms: list[Mechanism] = []
    modifiers: list[Modifier] = []
    special: dict[str, str] = {}
    for term, position in terms:
        modifier = _MODIFIER_RE.fullmatch(term)
        if modifier is None:
            mechanisms.append(_parse_mechanism(term, position))
            continue
        name, value = modifier.group(1).lower(), modifier.group(2)
        if name in ("redirect", "exp"):
            if name in special:
                raise SpfSyntaxError(f"duplicate {name} modifier", term, position)
            _check_domain_spec(value, term, position)
            special[name] = value
        else:
            _check_macro_string(value, term, position, domain=False)
            modifiers.append(Modifier(name, value))
    all_qualifier = next((m.qualifier for m in mechanisms if m.kind == "all"), None)
    return SpfRecord(
        terms=tuple(term for term, _ in terms),
        mechanisms=tuple(mechanisms),
        redirect=special.get("redirect"),
        explanation=special.get("exp"),
        all_qualifier=all_qualifier,
        modifiers=tuple(modifiers),
    )


def lookup_terms(record: SpfRecord) -> int:
    """DNS-querying terms in this record alone (include, a, mx, ptr, exists, redirect).

    A redirect that is ignored because of an "all" is not counted.
    """
    count = sum(1 for m in record.mechanisms if m.kind in LOOKUP_MECHANISMS)
    return count + (1 if record.effective_redirect is not None else 0)


def _targets(record: SpfRecord) -> list[tuple[str, str]]:
    found = [("include", m.target) for m in record.mechanisms
             if m.kind == "include" and m.target is not None]
    if record.effective_redirect is not None:
        found.append(("redirect", record.effective_redirect))
    return found


def referenced_domains(
    record: SpfRecord, domain: str, sender_domain: str | None = None
) -> list[tuple[str, str]]:
    """(kind, name) for each include/redirect target that can be followed statically."""
    result: list[tuple[str, str]] = []
    for kind, spec in _targets(record):
        name = expand_domain_spec(spec, domain, sender_domain)
        if name is not None:
            result.append((kind, name))
    return result


def skipped_targets(record: SpfRecord) -> list[tuple[str, str]]:
    """(kind, domain-spec) for include/redirect targets with macros other than %{d}/%{o}."""
    return [(kind, spec) for kind, spec in _targets(record)
            if expand_domain_spec(spec, "example.invalid") is None]


# --- evaluation over recorded lookups --------------------------------------------


@dataclass(frozen=True)
class SpfPolicyResult:
    domain: str
    record_count: int  # SPF records at the domain itself
    record: SpfRecord | None  # the parsed record when there is exactly one valid one
    all_qualifier: str | None  # effective "all", through redirect; None = no all (neutral)
    lookups: int  # DNS-querying terms across the whole tree
    void_lookups: int  # include/redirect targets without any TXT record
    errors: tuple[str, ...]  # permerror reasons
    includes_resolve: bool  # every include/redirect target has exactly one valid record
    skipped: tuple[str, ...] = ()  # targets with macros that cannot be expanded statically
    unresolved: tuple[str, ...] = ()  # include/redirect targets that did not resolve
    unanswered: tuple[str, ...] = ()  # targets whose lookup got no answer (timeout, SERVFAIL)

    @property
    def permerror(self) -> bool:
        return bool(self.errors)

    @property
    def valid(self) -> bool:
        return self.record is not None and not self.errors


@dataclass
class _Walk:
    records: Mapping[str, list[str]]
    top: str
    collect: bool  # True: missing keys are "still to fetch", not void
    no_answer: frozenset[str] = frozenset()  # names whose TXT lookup got no answer
    lookups: int = 0
    voids: int = 0
    nodes: int = 0
    errors: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    pending: set[str] = field(default_factory=set)

    def error(self, reason: str) -> None:
        if reason not in self.errors:
            self.errors.append(reason)

    def count_lookup(self) -> None:
        self.lookups += 1
        if self.lookups > LOOKUP_LIMIT:
            self.error(f"more than {LOOKUP_LIMIT} DNS lookups")

    def load(self, name: str, kind: str) -> SpfRecord | None:
        """The single valid SPF record at an include/redirect target, or None."""
        if name not in self.records and self.collect:
            self.pending.add(name)
            return None
        if name in self.no_answer:  # unknown, not void: the policy cannot be judged
            if name not in self.unanswered:
                self.unanswered.append(name)
            return None
        txts = self.records.get(name, [])
        if not txts:
            self.voids += 1
            if self.voids > VOID_LIMIT:
                self.error(f"more than {VOID_LIMIT} void lookups")
            self._unresolved(name, f"{kind} target {name} does not exist")
            return None
        spf = select_spf(txts)
        if len(spf) != 1:
            what = "has no SPF record" if not spf else "has multiple SPF records"
            self._unresolved(name, f"{kind} target {name} {what}")
            return None
        try:
            return parse_spf(spf[0])
        except SpfSyntaxError as exc:
            self._unresolved(name, f"{kind} target {name}: {exc}")
            return None

    def _unresolved(self, name: str, reason: str) -> None:
        self.error(reason)
        if name not in self.unresolved:
            self.unresolved.append(name)

    def follow(self, spec: str, kind: str, domain: str, stack: tuple[str, ...]) -> str | None:
        """Walk one include/redirect target; returns its effective all qualifier."""
        self.count_lookup()
        name = expand_domain_spec(spec, domain, self.top)
        if name is None:
            self.skipped.append(spec)
            return None
        if name in stack:
            self.error(f"{kind} loop at {name}")
            return None
        record = self.load(name, kind)
        if record is None:
            return None
        return self.walk(name, record, (*stack, name))

    def walk(self, domain: str, record: SpfRecord, stack: tuple[str, ...]) -> str | None:
        self.nodes += 1
        if self.nodes > NODE_BUDGET:
            self.error("include tree too large")
            return None
        for mechanism in record.mechanisms:
            if mechanism.kind == "include" and mechanism.target is not None:
                self.follow(mechanism.target, "include", domain, stack)  # its all is ignored
            elif mechanism.kind in LOOKUP_MECHANISMS:
                self.count_lookup()
        redirect = record.effective_redirect
        if redirect is not None:
            return self.follow(redirect, "redirect", domain, stack)
        return record.all_qualifier


def _start(domain: str, records: Mapping[str, list[str]], collect: bool,
           no_answer: Collection[str] = ()) -> tuple[_Walk, int, SpfRecord | None, str | None]:
    domain = _normalise(domain)
    walk = _Walk(records, domain, collect, frozenset(_normalise(n) for n in no_answer))
    if domain not in records:
        if collect:
            walk.pending.add(domain)
        return walk, 0, None, None
    spf = select_spf(records[domain])
    if len(spf) != 1:
        if spf:
            walk.error("multiple SPF records")
        return walk, len(spf), None, None
    try:
        record = parse_spf(spf[0])
    except SpfSyntaxError as exc:
        walk.error(str(exc))
        return walk, 1, None, None
    return walk, 1, record, walk.walk(domain, record, (domain,))


def evaluate_policy(domain: str, records: Mapping[str, list[str]],
                    no_answer: Collection[str] = ()) -> SpfPolicyResult:
    """Evaluate the SPF policy of `domain` over recorded TXT lookups.

    `records` maps names to their TXT strings; a missing key or an empty list
    is a name without TXT records (a void lookup for include/redirect targets),
    except for the names in `no_answer`, whose lookup got no answer at all: they
    are listed in `unanswered`, neither void nor unresolved.
    """
    walk, count, record, all_qualifier = _start(domain, records, False, no_answer)
    return SpfPolicyResult(
        domain=_normalise(domain),
        record_count=count,
        record=record,
        all_qualifier=all_qualifier if record is not None else None,
        lookups=walk.lookups,
        void_lookups=walk.voids,
        errors=tuple(walk.errors),
        includes_resolve=not walk.unresolved,
        skipped=tuple(walk.skipped),
        unresolved=tuple(walk.unresolved),
        unanswered=tuple(walk.unanswered),
    )


def follow_targets(domain: str, records: Mapping[str, list[str]]) -> set[str]:
    """Names the evaluator still needs TXT strings for.

    A prober fetches these, stores each in `records` (an empty list for
    NXDOMAIN or no TXT), and repeats until the set is empty.
    """
    walk, _, _, _ = _start(domain, records, collect=True)
    return walk.pending
