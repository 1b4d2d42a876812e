"""Why a name gives SERVFAIL: walk its CNAME chain one link at a time.

A validating resolver (Unbound) answers SERVFAIL for a name whose CNAME chain loops,
with or without checking disabled, and says nothing more. Asked for the CNAME record
itself it does answer, so the chain can be followed link by link: a loop, or the name
where the chain ends, goes into the answer's error, so that the owner reads what to fix.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

from meting.probe.evidence import DnsAnswer

MAX_LINKS = 16


class Resolver(Protocol):
    async def query(self, name: str, rtype: str) -> DnsAnswer: ...


async def explain_servfail(client: Resolver, answer: DnsAnswer) -> DnsAnswer:
    """``answer`` (a SERVFAIL) with the CNAME chain and its fault, when the name has one."""
    start = answer.name.rstrip(".").lower() + "."
    chain: list[str] = []
    current = start
    for _ in range(MAX_LINKS):
        link = await client.query(current, "CNAME")
        if not link.ok or not link.answers:
            break
        target = link.answers[0].lower()
        chain.append(target)
        if target == start or target in chain[:-1]:
            path = " → ".join([start, *chain])
            return dataclasses.replace(answer, error=f"CNAME loop: {path}",
                                       cname_chain=tuple(chain))
        current = target
    else:
        return dataclasses.replace(answer, cname_chain=tuple(chain),
                                   error=f"CNAME chain longer than {MAX_LINKS} links")
    if not chain:
        return answer
    return dataclasses.replace(answer, cname_chain=tuple(chain),
                               error=f"{answer.error} at the end of the CNAME chain "
                                     f"{' → '.join([start, *chain])}")
