"""Figures per parent organisation: the Rijk layer per ministry (SPEC §2, §7). The domains
of the counting rules' ``per_parent`` categories count under their organisation's parent;
the figures are those of a round whose layers are the parents."""

from __future__ import annotations

import dataclasses

from meting.analysis.figures import RoundFigures, round_figures
from meting.analysis.model import DomainResult, RoundResults
from meting.analysis.rules import CountingRules


def parent_of(row: DomainResult, rules: CountingRules) -> str | None:
    """The parent a domain counts under, None when it is not in the per-parent figures."""
    if row.category not in rules.per_parent_categories:
        return None
    parent = row.parent or (row.organisation if row.category in rules.own_parent else "")
    return rules.successors.get(parent, parent) or None


def per_parent(results: RoundResults, rules: CountingRules) -> RoundFigures | None:
    """The round's figures with the parents as layers; None when no domain has a parent."""
    rows = [dataclasses.replace(row, category=parent) for row in results.rows
            if (parent := parent_of(row, rules)) is not None]
    if not any(row.parent for row in results.rows):
        return None
    return round_figures(dataclasses.replace(results, rows=rows), rules)
