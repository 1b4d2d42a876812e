"""DNS evidence for SPF, DMARC and DKIM: the domain's TXT, every SPF include/redirect
target (followed with the record parser, bounded), _dmarc at the domain and at the
organisational domain, and _domainkey (RFC 8020: does the node exist)."""

from __future__ import annotations

import asyncio
from typing import Any

from meting.probe.dns import DnsClient
from meting.probe.evidence import DnsAnswer, txt_strings
from meting.records.psl import dmarc_lookup_names
from meting.records.spf import follow_targets

MAX_SPF_ROUNDS = 12  # include depth; the 10-lookup limit is judged by the checks
MAX_SPF_NAMES = 60  # names fetched for one domain's SPF tree, whatever it says


def texts(answer: DnsAnswer) -> list[str]:
    return [txt_strings(r) for r in answer.answers] if answer.rcode == "NOERROR" else []


async def spf_tree(client: DnsClient, domain: str, top: DnsAnswer) -> dict[str, Any]:
    """TXT strings of every name in the SPF tree; [] where a name has none."""
    records: dict[str, list[str]] = {domain: texts(top)}
    answers: dict[str, Any] = {}
    for _ in range(MAX_SPF_ROUNDS):
        needed = sorted(follow_targets(domain, records) - set(records))
        needed = needed[: max(0, MAX_SPF_NAMES - len(records))]
        if not needed:
            break
        found = await asyncio.gather(*(client.query(n, "TXT") for n in needed))
        for name, answer in zip(needed, found, strict=True):
            records[name] = texts(answer)
            answers[name] = answer.to_dict()
    return {"records": records, "answers": answers}


async def collect_mail_auth(client: DnsClient, domain: str) -> dict[str, Any]:
    top = await client.query(domain, "TXT")
    dmarc_names = dmarc_lookup_names(domain)
    dmarc_answers, dkim, tree = await asyncio.gather(
        asyncio.gather(*(client.query(n, "TXT") for n in dmarc_names)),
        client.query(f"_domainkey.{domain}", "TXT"),
        spf_tree(client, domain, top))
    return {"txt": top.to_dict(), "spf_tree": tree,
            "dmarc": [a.to_dict() for a in dmarc_answers], "domainkey": dkim.to_dict()}
