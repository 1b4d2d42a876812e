"""Hosts with more addresses than the probe tests (the max_answers setting).

A DNS answer keeps at most max_answers address records (``probe.dns.capped``, the first in
sorted order) and counts the rest in ``omitted``; the columns judged on those addresses
say so, so that a pass is not read as a verdict on every address of the host.
"""

from __future__ import annotations

from collections.abc import Iterable

from babel.numbers import format_decimal

from meting.checks.mx_limit import with_note
from meting.checks.verdict import Verdict
from meting.evidence.models import HostAddresses


def note_untested(results: dict[str, Verdict], hosts: Iterable[HostAddresses],
                  columns: Iterable[str]) -> dict[str, Verdict]:
    """Add to each of ``columns`` how many addresses of each host were left untested."""
    notes_nl: list[str] = []
    notes_en: list[str] = []
    for host in hosts:
        for answer, family in ((host.a, "IPv4"), (host.aaaa, "IPv6")):
            if not answer.omitted:
                continue
            tested, omitted = len(answer.answers), answer.omitted
            total = tested + omitted
            notes_nl.append(f" Van {host.name} zijn {number(tested, 'nl_NL')} van de "
                            f"{number(total, 'nl_NL')} {family}-adressen getest (grens: "
                            f"instelling max_answers); {number(omitted, 'nl_NL')} niet.")
            notes_en.append(f" {number(tested, 'en_GB')} of the {number(total, 'en_GB')} "
                            f"{family} addresses of {host.name} were tested (limit: "
                            f"setting max_answers); {number(omitted, 'en_GB')} were not.")
    if not notes_nl:
        return results
    nl, en = "".join(notes_nl), "".join(notes_en)
    wanted = set(columns)
    return {key: with_note(v, nl, en) if key in wanted else v for key, v in results.items()}


def number(value: int, locale: str) -> str:
    return str(format_decimal(value, locale=locale))
