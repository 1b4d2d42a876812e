"""A round built to stress the report's print: every layer, every column, every status,
long organisation and domain names, a Rijk layer with ministries, and ten earlier rounds
(the trend charts). Deterministic: status i of a row is STATUSES[(row + column + round) % …]."""

from __future__ import annotations

import datetime

from meting.analysis.analysis import Analysis, analyse
from meting.analysis.model import DomainResult, RoundResults
from meting.analysis.rules import column_names
from meting.checks.verdict import Status

CATEGORIES = ("rijk", "uitvoering", "provincie", "gemeente", "waterschap", "overig")
UMBRELLAS = {"rijk": "CIO Rijk", "uitvoering": "Manifestgroep", "provincie": "IPO",
             "gemeente": "VNG", "waterschap": "Unie van Waterschappen", "overig": "Klein LEF"}
MINISTRIES = ("Ministerie van Binnenlandse Zaken en Koninkrijksrelaties",
              "Ministerie van Infrastructuur en Waterstaat")
STATUSES = [s.value for s in Status]
# mostly passed, so that trends rise; the rest cycles through every other status
WEIGHTED = ["passed"] * 6 + STATUSES


def wide_round(index: int, domains: int) -> RoundResults:
    date = datetime.date(2016, 4, 1) + datetime.timedelta(days=182 * index)
    rows = []
    for n in range(domains):
        category = CATEGORIES[n % len(CATEGORIES)]
        organisation = f"Organisatie {category} {n // 2}"
        if category == "uitvoering":
            organisation = f"Uitvoeringsorganisatie Bedrijfsvoering en Informatie {n // 2}"
        parent = MINISTRIES[n % 2] if category in ("rijk", "uitvoering") else ""
        stem = "langedomeinnaamvooreenuitvoeringsorganisatie" if n % 5 == 0 else category
        domain = f"{stem}-{n:03d}.nl"
        for kind in ("web", "mail"):
            columns = {c: WEIGHTED[(n + i + index * 3) % len(WEIGHTED)]
                       for i, c in enumerate(column_names(kind))}
            rows.append(DomainResult(domain, organisation, category, UMBRELLAS[category], kind,
                                     columns, reaction=n % 7 == 0, parent=parent,
                                     mx_hosts=(f"mx{n % 3}.provider-{n % 4}.nl",)
                                     if kind == "mail" else ()))
    label = f"{date:%Y-%m}"
    return RoundResults(label, label, date, "kern", "2021", rows,
                        {"Organisatie gemeente 0": "Wij hebben de fouten hersteld."})


def wide_analysis(domains: int = 36, earlier: int = 10) -> Analysis:
    history = [wide_round(i, domains) for i in range(earlier + 1)]
    return analyse(history[-1], history[:-1])
