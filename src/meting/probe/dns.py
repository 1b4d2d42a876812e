"""Asynchronous DNS client: the validating resolver, or an authoritative server directly.

Every question is sent over UDP with a fallback to TCP when the answer is truncated, with
a timeout per message and one retry after a timeout or network error.
A ``DnsClient`` caches its answers (the same question asked twice, even concurrently,
sends one query) and counts the messages it sent; make one per test run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

from meting.probe import cname, dns_wire, guard, politeness
from meting.probe.evidence import DnsAnswer, Security
from meting.settings import Settings, load

MAX_CHAIN = 16  # CNAMEs followed within one response
EDNS_PAYLOAD = 1232
# To the validating resolver: recursion, and the AD bit to ask for its verdict (RFC 6840
# §5.7); CD is added when it answered SERVFAIL. A name server is asked with no flags.
RESOLVER_FLAGS = dns.flags.RD | dns.flags.AD
# Asked with the DO bit, a resolver adds every answer's signatures and, for a name or type
# that does not exist, the proof of that; the probe reads neither (the AD bit alone says
# "secure"), and parsing them took about half of dnspython's time in a round. RFC 6840
# §5.7: a validating resolver sets AD on a validated answer to a query with AD set, DO or
# not. Whether the configured resolver does is checked once per process and resolver on
# the root's SOA record (signed, so validated by every validating resolver): with AD back,
# the resolver is asked without DO from then on; otherwise (no AD, no answer) with DO. A
# name server is asked without DO: its answers are never "secure".
CHECK_NAME, CHECK_TYPE = ".", "SOA"
_dnssec_ok_needed: dict[tuple[str, int], bool] = {}
_checking: dict[tuple[str, int], tuple[asyncio.AbstractEventLoop, asyncio.Task[bool]]] = {}


@dataclass(frozen=True)
class _Reply:
    """What one exchange (with its retry) gave: a response, or why there is none."""

    response: dns.message.Message | None
    tcp: bool
    sent: int
    error: str | None


@dataclass(frozen=True)
class _Chain:
    answers: tuple[str, ...]
    chain: tuple[str, ...]
    error: str | None


Key = tuple[str, str, str, int, bool]  # server, name, rtype, port, authoritative


class DnsClient:
    """DNS questions for one test run, with a cache and a count of queries sent."""

    def __init__(self, settings: Settings | None = None, *, resolver: str | None = None,
                 port: int = 53, timeout: float | None = None, retries: int = 1) -> None:
        settings = settings or load()
        self.resolver = resolver or settings.resolver
        self.port = port
        self.timeout = settings.dns_timeout if timeout is None else timeout
        self.retries = retries
        self.max_answers = settings.max_answers
        self.queries_sent = 0
        self._cache: dict[Key, DnsAnswer] = {}
        self._pending: dict[Key, asyncio.Task[DnsAnswer]] = {}

    async def query(self, name: str, rtype: str) -> DnsAnswer:
        """Ask the validating resolver; the answer says secure, insecure, bogus or error."""
        key = (self.resolver, _norm(name), rtype.upper(), self.port, False)
        return await self._cached(key, lambda: self._resolve(key[1], key[2]))

    async def query_authoritative(self, name: str, rtype: str,
                                  server_address: str) -> DnsAnswer:
        """Ask a name server directly (no recursion, no validation: never ``secure``)."""
        key = (server_address, _norm(name), rtype.upper(), self.port, True)
        return await self._cached(key, lambda: self._direct(key[1], key[2], server_address))

    def clear(self) -> None:
        self._cache.clear()

    @property
    def resolver_dnssec_ok(self) -> bool:
        """Whether this process asks the resolver with the DO bit (until it has checked)."""
        return _dnssec_ok_needed.get((self.resolver, self.port), True)

    async def dnssec_ok_needed(self) -> bool:
        """Must the resolver be asked with DO to set AD? Checked once per process."""
        key = (self.resolver, self.port)
        known = _dnssec_ok_needed.get(key)
        if known is not None:
            return known
        loop = asyncio.get_running_loop()
        running = _checking.get(key)
        if running is None or running[0] is not loop or running[1].cancelled():
            running = (loop, loop.create_task(self._check_ad_without_do()))
            _checking[key] = running
        needed = await asyncio.shield(running[1])
        _dnssec_ok_needed[key] = needed
        return needed

    async def _check_ad_without_do(self) -> bool:
        question = dns_wire.Question.make(CHECK_NAME, CHECK_TYPE, RESOLVER_FLAGS, EDNS_PAYLOAD,
                                          dnssec_ok=False)
        try:
            response, _tcp = await dns_wire.udp_with_fallback(
                question, self.resolver, port=self.port, timeout=self.timeout)
        except (OSError, dns.exception.DNSException, ValueError):
            return True
        return not (response.rcode() == dns.rcode.NOERROR and response.flags & dns.flags.AD)

    @property
    def cached(self) -> int:
        """Questions answered so far (each sent once)."""
        return len(self._cache)

    async def _cached(self, key: Key,
                      make: Callable[[], Awaitable[DnsAnswer]]) -> DnsAnswer:
        if key in self._cache:
            return self._cache[key]
        task = self._pending.get(key)
        if task is None:  # the first asker sends; later ones wait for its answer
            task = asyncio.ensure_future(make())
            self._pending[key] = task
            task.add_done_callback(lambda t: self._settle(key, t))
        return await asyncio.shield(task)

    def _settle(self, key: Key, task: asyncio.Task[DnsAnswer]) -> None:
        self._pending.pop(key, None)
        if not task.cancelled() and task.exception() is None:
            self._cache[key] = task.result()

    async def _resolve(self, name: str, rtype: str) -> DnsAnswer:
        started = time.monotonic()
        do = await self.dnssec_ok_needed()
        reply = await self._exchange(name, rtype, RESOLVER_FLAGS, self.resolver, do)
        sent, cd_used = reply.sent, False
        if reply.response is not None and reply.response.rcode() == dns.rcode.SERVFAIL:
            again = await self._exchange(name, rtype, RESOLVER_FLAGS | dns.flags.CD,
                                         self.resolver, do)
            sent += again.sent
            if again.response is not None:
                reply, cd_used = again, True
        answer = capped(_answer(name, rtype, self.resolver, reply, sent, cd_used, started,
                                authoritative=False), self.max_answers)
        if answer.rcode == "SERVFAIL" and rtype != "CNAME":
            return await cname.explain_servfail(self, answer)
        return answer

    async def _direct(self, name: str, rtype: str, server: str) -> DnsAnswer:
        started = time.monotonic()
        if (kind := guard.kind_of(server)) is not None:  # not asked: see probe/guard.py
            reply = _Reply(None, False, 0, str(guard.AddressRefused(server, kind)))
            return _answer(name, rtype, server, reply, 0, False, started, authoritative=True)
        async with politeness.slot(server):
            reply = await self._exchange(name, rtype, 0, server, dnssec_ok=False)
        return capped(_answer(name, rtype, server, reply, reply.sent, False, started,
                              authoritative=True), self.max_answers)

    async def _exchange(self, name: str, rtype: str, flags: int, server: str,
                        dnssec_ok: bool) -> _Reply:
        sent, error = 0, "no attempt"
        question = dns_wire.Question.make(name, rtype, flags, EDNS_PAYLOAD, dnssec_ok)
        for _ in range(1 + self.retries):
            sent += 1
            self.queries_sent += 1
            try:
                response, tcp = await dns_wire.udp_with_fallback(
                    question, server, port=self.port, timeout=self.timeout)
            except dns.exception.Timeout:
                error = "timeout"
                continue
            except (OSError, dns.exception.DNSException, ValueError) as exc:
                error = _describe(exc)
                if isinstance(exc, ConnectionRefusedError | ValueError):
                    break  # nothing listens, or no such address: asking again will not help
                continue
            if tcp:
                sent += 1
                self.queries_sent += 1
            return _Reply(response, tcp, sent, None)
        return _Reply(None, False, sent, error)


def _norm(name: str) -> str:
    return name.rstrip(".").lower() + "."


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "refused (nothing listens)"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text != type(exc).__name__ else text


# Only address records are capped: each address is probed, so they set what one host costs.
# Other types are read whole (an SPF record may stand among hundreds of TXT strings; MX
# hosts are cut to the most preferred ten by the mail test itself).
CAPPED_TYPES = frozenset({"A", "AAAA"})


def capped(answer: DnsAnswer, limit: int) -> DnsAnswer:
    """At most ``limit`` address records of an answer (the first in sorted order, so that
    every run tests the same ones); ``omitted`` counts the rest. Bounds what one host
    costs: a name with 1,000 A records is tested on ``limit`` addresses (max_answers)."""
    if answer.rtype not in CAPPED_TYPES or len(answer.answers) <= limit:
        return answer
    kept = tuple(sorted(answer.answers)[:limit])
    return dataclasses.replace(answer, answers=kept,
                               omitted=len(answer.answers) - len(kept))


def _answer(name: str, rtype: str, server: str, reply: _Reply, sent: int, cd_used: bool,
            started: float, *, authoritative: bool) -> DnsAnswer:
    elapsed = round((time.monotonic() - started) * 1000, 1)
    response = reply.response
    if response is None:
        return DnsAnswer(name, rtype, server, "", False, cd_used, (), elapsed, reply.error,
                         "error", transport="", attempts=sent, authoritative=authoritative)
    rcode = dns.rcode.to_text(response.rcode())
    ad = bool(response.flags & dns.flags.AD)
    chain = _follow(response, name, rtype)
    error = chain.error or _rcode_error(rcode, cd_used)
    security = _security(rcode, ad, cd_used, authoritative, error)
    return DnsAnswer(name, rtype, server, rcode, ad, cd_used, chain.answers, elapsed, error,
                     security, cname_chain=chain.chain, transport="tcp" if reply.tcp else "udp",
                     attempts=sent, authoritative=authoritative,
                     aa=bool(response.flags & dns.flags.AA))


def _rcode_error(rcode: str, cd_used: bool) -> str | None:
    if rcode in ("NOERROR", "NXDOMAIN"):
        return None
    if rcode == "SERVFAIL" and cd_used:
        return "SERVFAIL, also with checking disabled"
    return rcode


def _security(rcode: str, ad: bool, cd_used: bool, authoritative: bool,
              error: str | None) -> Security:
    if error is not None:
        return "error"
    if cd_used:
        return "bogus"
    if ad and not authoritative:
        return "secure"
    return "insecure"


def _follow(response: dns.message.Message, name: str, rtype: str) -> _Chain:
    """The rrset for (name, rtype) in the answer section, following CNAMEs; loops end."""
    wanted = dns.rdatatype.from_text(rtype)
    current = dns.name.from_text(name)
    seen = {current}
    chain: list[str] = []
    for _ in range(MAX_CHAIN + 1):
        rrset = _find(response, current, wanted)
        if rrset is not None:
            return _Chain(tuple(rd.to_text() for rd in rrset), tuple(chain), None)
        cname = None if wanted == dns.rdatatype.CNAME else \
            _find(response, current, dns.rdatatype.CNAME)
        if cname is None:
            return _Chain((), tuple(chain), None)
        current = next(iter(cname)).target
        chain.append(current.to_text())
        if current in seen:
            return _Chain((), tuple(chain), f"CNAME loop at {current.to_text()}")
        seen.add(current)
    return _Chain((), tuple(chain), f"CNAME chain longer than {MAX_CHAIN}")


def _find(response: dns.message.Message, owner: dns.name.Name,
          rdtype: dns.rdatatype.RdataType) -> dns.rrset.RRset | None:
    for rrset in response.answer:
        if rrset.name == owner and rrset.rdtype == rdtype:
            return rrset
    return None


_default: DnsClient | None = None


def default_client() -> DnsClient:
    """A process-wide client on the loaded settings (scripts; the run layer makes its own)."""
    global _default
    if _default is None:
        _default = DnsClient()
    return _default


async def query(name: str, rtype: str, client: DnsClient | None = None) -> DnsAnswer:
    return await (client or default_client()).query(name, rtype)


async def query_authoritative(name: str, rtype: str, server_address: str,
                              client: DnsClient | None = None) -> DnsAnswer:
    return await (client or default_client()).query_authoritative(name, rtype, server_address)
