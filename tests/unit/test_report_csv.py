"""The per-domain status CSV of SPEC §8: export, import (labels, subsets, errors), round trip."""

from __future__ import annotations

import datetime

import pytest

from meting.analysis.figures import figures_json, round_figures
from meting.analysis.imports import ImportProblems, read_status_csv, to_round
from meting.analysis.model import RoundResults
from meting.report.status_csv import write_status_csv
from tests.unit.analysis_data import rounds


def test_export_header_and_rows() -> None:
    text = write_status_csv(rounds()["2021-11"], "mail")
    lines = text.splitlines()
    assert lines[0] == ("category,domain,reaction,dmarc,dkim,spf,dmarc_policy,spf_policy,"
                        "starttls,starttls_ncsc,dnssec_mx,dane,ipv6_nameserver,"
                        "ipv6_mailserver,ipv6_mail,organisation,umbrella,parent")
    # layers in registry order, domains alphabetical; Waterschap A reacted
    assert [line.split(",")[1] for line in lines[1:]] == [
        "rijk-a.nl", "rijk-b.nl", "rijk-c.nl", "gem-a.nl", "gem-b.nl", "gem-c.nl", "ws-a.nl",
        "ws-b.nl"]
    assert lines[-1].startswith("waterschap,ws-b.nl,1,failed,passed,failed,failed,failed,")


def test_round_trip_keeps_every_figure() -> None:
    original = rounds()["2021-11"]
    imported = []
    for kind in ("web", "mail"):
        items = read_status_csv(write_status_csv(original, kind), kind)
        imported.extend(to_round(items, kind, "x", original.date).rows)
    again = RoundResults(original.round_id, original.label, original.date, original.set_name,
                         original.norm, imported)
    before, after = figures_json(round_figures(original)), figures_json(round_figures(again))
    for key in ("adoption", "layer_average", "fully_compliant", "ipv6_with_mailserver",
                "growth_potential"):
        assert after[key] == before[key], key
    assert {r.domain for r in again.rows if r.reaction} == {"ws-a.nl", "ws-b.nl"}


def test_import_accepts_labels_plurals_and_a_subset_of_columns() -> None:
    text = ("Category,Domain,Reaction,ipv6_mail\n"
            "Gemeenten,Gem-A.nl.,1,passed\n"
            "waterschap,ws-a.nl,,FAILED\n"
            "Uitvoeringsorganisaties,uwv.nl,0,\n")
    items = read_status_csv(text, "mail")
    assert [(i.category, i.domain, i.reaction, i.columns) for i in items] == [
        ("gemeente", "gem-a.nl", True, {"ipv6_mail": "passed"}),
        ("waterschap", "ws-a.nl", False, {"ipv6_mail": "failed"}),
        ("uitvoering", "uwv.nl", False, {}),  # an empty cell: not measured
    ]
    results = to_round(items, "mail", "2019-10", datetime.date(2019, 10, 1))
    figures = figures_json(round_figures(results))
    assert list(figures["adoption"]["mail"]["all"]) == ["ipv6_mail"]
    assert figures["adoption"]["mail"]["all"]["ipv6_mail"]["rate"] == 50.0
    assert results.rows[0].umbrella == "VNG"  # the category's default umbrella


def test_import_reports_every_bad_line_and_imports_nothing() -> None:
    text = ("category,domain,reaction,dnssec\n"
            "gemeente,a.nl,1,passed\n"
            "planeet,b.nl,0,passed\n"
            "gemeente,c.nl,2,maybe\n"
            "gemeente,a.nl,0,failed\n"
            "gemeente,=cmd(),0,passed\n")
    with pytest.raises(ImportProblems) as caught:
        read_status_csv(text, "web")
    assert caught.value.problems == [
        "line 3: unknown category 'planeet'",
        "line 4: reaction is '2', not 1, 0 or empty",
        "line 4: dnssec has unknown status 'maybe'",
        "line 5: a.nl also on line 2",
        "line 6: '=cmd()' is not a domain name",
    ]


def test_import_refuses_columns_of_the_other_kind() -> None:
    with pytest.raises(ImportProblems) as caught:
        read_status_csv("category,domain,dane\ngemeente,a.nl,passed\n", "web")
    assert caught.value.problems == ["line 1: 'dane' is not a web column (SPEC §4)"]
