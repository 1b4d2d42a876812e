"""CAA records (RFC 8659): the relevant record set of a name, found by climbing the tree.

From the name itself up to (not including) its top-level domain, the first name with
CAA records holds the set that applies. Aliases are followed by the resolver.
"""

from __future__ import annotations

from typing import Any

from meting.probe.dns import DnsClient


def climb(name: str) -> list[str]:
    """The names whose CAA records are asked, in order: ``name`` and those above it, the
    top-level domain left out."""
    labels = name.rstrip(".").split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


async def caa_lookup(client: DnsClient, name: str) -> dict[str, Any]:
    """``{"name": ..., "found_at": str | None, "records": [...], "queried": [...],
    "error": str | None}``."""
    found: dict[str, Any] = {"name": name, "found_at": None, "records": [], "queried": [],
                             "error": None}
    for candidate in climb(name):
        answer = await client.query(candidate, "CAA")
        found["queried"].append(candidate)
        if not answer.ok:
            found["error"] = f"{candidate}: {answer.error or answer.rcode or 'no answer'}"
            return found
        if answer.rcode == "NOERROR" and answer.answers:
            found["found_at"] = candidate
            found["records"] = list(answer.answers)
            return found
    return found
