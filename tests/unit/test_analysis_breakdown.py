"""Figures per umbrella, parent and organisation, one domain's full compliance, and the
comparison of two rounds per domain and column."""

from __future__ import annotations

import datetime as dt

from meting.analysis.breakdown import by_organisation, by_parent, by_umbrella, change
from meting.analysis.comparison import compare, counts
from meting.analysis.model import DomainResult, RoundResults

WEB = ("dnssec", "tls_available", "tls_ncsc_web", "https_redirect", "hsts")


def row(domain: str, organisation: str, status: str, parent: str = "",
        umbrella: str = "CIO Rijk") -> DomainResult:
    return DomainResult(domain=domain, organisation=organisation, category="rijk",
                        umbrella=umbrella, kind="web", columns=dict.fromkeys(WEB, status),
                        parent=parent)


def results(*rows: DomainResult, label: str = "r") -> RoundResults:
    return RoundResults(round_id=label, label=label, date=dt.date(2025, 3, 1), set_name="kern",
                        norm="current", rows=rows)


def test_a_parent_counts_its_own_domains_and_those_under_it() -> None:
    found = by_parent(results(row("bzk.nl", "BZK", "passed"),
                              row("logius.nl", "Logius", "failed", parent="BZK"),
                              row("vng.nl", "Gemeente", "failed", umbrella="VNG")))
    assert list(found) == ["BZK"]
    assert found["BZK"]["web"]["n"] == 2
    assert found["BZK"]["web"]["layer_average"] == 50.0


def test_umbrellas_and_organisations() -> None:
    r = results(row("a.nl", "A", "passed"), row("b.nl", "B", "failed", umbrella="VNG"))
    assert set(by_umbrella(r)) == {"CIO Rijk", "VNG"}
    assert by_organisation(r)["B"]["umbrella"] == "VNG"
    assert by_organisation(r)["A"]["web"]["failed_columns"] == 0
    assert by_organisation(r)["B"]["web"]["failed_columns"] == 5


def test_change_follows_compliance_not_the_status_word() -> None:
    assert change("failed", "passed") == "improved"
    assert change("passed", "failed") == "regressed"
    assert change("warning", "passed") == "unchanged"
    assert change("failed", "not_testable") == "unchanged"
    assert change(None, "passed") == "new"
    assert change("passed", None) == "gone"


def test_compare_two_rounds() -> None:
    before = results(row("a.nl", "A", "failed"), row("b.nl", "B", "passed"), label="1")
    after = results(row("a.nl", "A", "passed"), row("c.nl", "C", "passed"), label="2")
    changes = compare(before, after)
    assert counts(changes) == {"improved": 5, "regressed": 0, "unchanged": 0, "new": 5,
                               "gone": 5}
    assert {c.domain for c in changes if c.change == "gone"} == {"b.nl"}
