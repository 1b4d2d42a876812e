"""Verdicts judged per address of a host, combined into one for the host."""

from __future__ import annotations

from meting.checks.verdict import Status, Verdict, verdict, worst


def combine(per_address: dict[str, Verdict]) -> Verdict:
    """The worst status; one explanation when every address got the same, else per address."""
    status = worst(v.status for v in per_address.values())
    texts = {(v.explanation.nl, v.explanation.en) for v in per_address.values()}
    if len(texts) == 1:
        nl, en = texts.pop()
        return verdict(status, nl, en)
    shown = {a: v for a, v in per_address.items() if v.status != Status.PASSED}
    nl = " ".join(f"Op {a}: {v.explanation.nl}" for a, v in shown.items())
    en = " ".join(f"On {a}: {v.explanation.en}" for a, v in shown.items())
    return verdict(status, nl, en)
