"""Answers about infrastructure names shared by every test of a round.

Thousands of domains point at the same few name servers, mail platforms and SPF
includes; each test would otherwise ask the resolver the same questions about them
again (in a 1,000-domain lab round, 36% of the questions had been asked before). A
round keeps one ``SharedAnswers``; each test still gets its own ``RoundDnsClient`` (its
own cache and count of queries sent), which asks the shared store first for what the
round has learnt to be infrastructure:

- the addresses (A/AAAA) of names seen as the target of an NS or MX record;
- the DANE records (TLSA at ``_25._tcp.``) of MX targets, and the CAA records of MX
  targets and of the names above them (the CAA walk of a shared mail platform);
- the TXT records of names an SPF record includes or redirects to (``include:``,
  ``redirect=``), at any depth, as the SPF evaluator finds them
  (``records.spf.follow_targets``).

Kept safe by these rules: only usable answers are shared (an error — a timeout,
SERVFAIL — is asked again by the next test, so one bad moment does not spread); a
shared answer is used for at most ``max_age`` seconds (a round can last hours); a test
asks its own names itself — its domain and every name under it are never shared with
it, whatever else points at them; and only questions to the resolver are shared, which
gives a repeated question the same records from its cache. Evidence stays complete: a
test records the shared answer as if it had asked (its ``dns_queries`` counts only what
it sent itself).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection

from meting.probe.caa import climb
from meting.probe.collect import tlsa_name
from meting.probe.dns import DnsClient
from meting.probe.evidence import DnsAnswer, txt_strings
from meting.records.spf import follow_targets
from meting.settings import Settings

ADDRESS_TYPES = frozenset({"A", "AAAA"})


def _norm(name: str) -> str:
    return name.rstrip(".").lower() + "."


def _targets(answer: DnsAnswer) -> list[str]:
    """The target names of an NS or MX answer (the last field), without the null MX."""
    found = []
    for rdata in answer.answers:
        fields = rdata.split()
        if fields and fields[-1] != ".":
            found.append(_norm(fields[-1]))
    return found


def spf_followed(answer: DnsAnswer) -> set[str]:
    """The names an SPF record in this TXT answer includes or redirects to."""
    texts = [txt_strings(r) for r in answer.answers]
    if not any(t.lower().startswith("v=spf1") for t in texts):
        return set()
    owner = answer.name.rstrip(".")
    return {_norm(n) for n in follow_targets(owner, {owner: texts})}


class SharedAnswers:
    """Round-wide answers for infrastructure names, bounded in age and number."""

    def __init__(self, max_age: float = 600.0, max_entries: int = 50_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age = max_age
        self.max_entries = max_entries
        self.clock = clock
        self.hits = 0
        self._infrastructure: OrderedDict[str, set[str]] = OrderedDict()  # name -> types
        self._answers: OrderedDict[tuple[str, str], tuple[float, DnsAnswer]] = OrderedDict()
        self._pending: dict[tuple[str, str], asyncio.Task[DnsAnswer]] = {}

    def learn(self, answer: DnsAnswer) -> None:
        """Remember what this answer shows to be infrastructure (see the module)."""
        if not answer.ok or answer.rcode != "NOERROR":
            return
        if answer.rtype in ("NS", "MX"):
            for target in _targets(answer):
                self._share(target, ADDRESS_TYPES)
                if answer.rtype == "MX":  # the names the mail test asks of an MX host
                    self._share(_norm(tlsa_name(target)), {"TLSA"})
                    for name in climb(target):
                        self._share(_norm(name), {"CAA"})
        elif answer.rtype == "TXT":
            for name in spf_followed(answer):
                self._share(name, {"TXT"})

    def _share(self, name: str, rtypes: Collection[str]) -> None:
        kept = self._infrastructure.setdefault(name, set())
        kept.update(rtypes)
        self._infrastructure.move_to_end(name)
        while len(self._infrastructure) > self.max_entries:
            self._infrastructure.popitem(last=False)

    def covers(self, name: str, rtype: str) -> bool:
        return rtype.upper() in self._infrastructure.get(_norm(name), ())

    async def get(self, name: str, rtype: str,
                  ask: Callable[[], Awaitable[DnsAnswer]]) -> DnsAnswer:
        """The shared answer, or ``ask()`` (once, however many tests want it at once)."""
        key = (_norm(name), rtype.upper())
        found = self._answers.get(key)
        if found is not None and self.clock() - found[0] <= self.max_age:
            self.hits += 1
            return found[1]
        task = self._pending.get(key)
        if task is None:
            task = asyncio.ensure_future(ask())
            self._pending[key] = task
            task.add_done_callback(lambda t: self._settle(key, t))
        else:
            self.hits += 1
        return await asyncio.shield(task)

    def _settle(self, key: tuple[str, str], task: asyncio.Task[DnsAnswer]) -> None:
        self._pending.pop(key, None)
        if task.cancelled() or task.exception() is not None or not task.result().ok:
            return
        self._answers[key] = (self.clock(), task.result())
        self._answers.move_to_end(key)
        while len(self._answers) > self.max_entries:
            self._answers.popitem(last=False)

    @property
    def size(self) -> int:
        return len(self._answers)


class RoundDnsClient(DnsClient):
    """A test's DNS client that shares infrastructure answers with the rest of the round;
    ``own``: the test's domain, whose names it always asks itself."""

    def __init__(self, settings: Settings, shared: SharedAnswers, own: str) -> None:
        super().__init__(settings)
        self.shared = shared
        self.own = _norm(own)

    async def query(self, name: str, rtype: str) -> DnsAnswer:
        if self.shared.covers(name, rtype) and not self.owns(name):
            return await self.shared.get(name, rtype, lambda: self._ask(name, rtype))
        return await self._ask(name, rtype)

    def owns(self, name: str) -> bool:
        name = _norm(name)
        return name == self.own or name.endswith("." + self.own)

    async def _ask(self, name: str, rtype: str) -> DnsAnswer:
        answer = await DnsClient.query(self, name, rtype)
        self.shared.learn(answer)
        return answer
