"""Golden figures of a hand-built round (tests/unit/data/analysis_rounds.yaml).

Every expected number below is worked out by hand from the data file, in the comment
beside it; none is read back from the code under test.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

import pytest

from meting.analysis.analysis import analyse, analysis_json
from meting.analysis.figures import figures_json, round_figures, tally
from meting.analysis.rounding import Rounding
from meting.analysis.rules import counting_rules
from tests.unit.analysis_data import rounds


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return figures_json(round_figures(rounds()["2021-11"]))


def fig(compliant: int, counted: int, excluded: int, r: float) -> dict[str, Any]:
    return {"rate": r, "compliant": compliant, "counted": counted, "excluded": excluded}


def without_reasons(figure: dict[str, Any]) -> dict[str, Any]:
    return {k: figure[k] for k in ("rate", "compliant", "counted", "excluded")}


def test_rules_are_named_and_versioned(data: dict[str, Any]) -> None:
    rules = counting_rules()
    assert data["rules"] == f"{rules.name} {rules.version}"
    assert data["rules"] == "meting-telregels 2026.2"


def test_every_status_has_its_class() -> None:
    statuses = ["passed", "info", "warning", "failed", "not_tested", "not_applicable", "no_mx",
                "unreachable", "not_testable", "error", None]
    t = tally(statuses, counting_rules())
    assert (t.compliant, t.not_compliant, t.counted, t.excluded) == (3, 1, 4, 6)
    assert t.excluded_by == {s: 1 for s in statuses[4:-1]}  # None: not measured, not counted
    assert t.rate == 75.0


def test_rounding_half_up() -> None:
    r = counting_rules().rounding  # the rules file: JSON one decimal, print whole, half up
    assert r == Rounding(json_decimals=1, print_decimals=0, mode="half_up",
                         near_targets=(0, 100), near_decimals=1)
    assert r.rate(Fraction(200, 8)) == 25.0
    assert r.rate(Fraction(100, 3)) == 33.3 and r.text(Fraction(100, 3)) == "33"
    assert r.rate(Fraction(500, 8)) == 62.5 and r.text(Fraction(500, 8)) == "63"
    assert r.text(Fraction(250, 2)) == "125"  # 125 exactly stays
    assert r.text(Fraction(89, 2)) == "45"  # 44.5 → 45, not banker's 44
    # print comes from the exact value, not from the one-decimal rate: 44.45 → 44
    assert r.rate(Fraction(4445, 100)) == 44.5 and r.text(Fraction(4445, 100)) == "44"
    assert r.points_text(Fraction(-5, 4), signed=True) == "-1.3"  # half up away from zero
    assert r.text(None) == "–" and r.rate(None) is None


def test_a_rate_next_to_a_target_never_prints_the_target() -> None:
    """363 of 364 rounds to 100 whole: printed 99.7 (one decimal more); 9,999 of 10,000
    would round to 100.0 with one decimal too: rounded toward the exact value, 99.9."""
    r = counting_rules().rounding
    assert r.text(Fraction(36300, 364)) == "99.7"
    assert r.text(Fraction(999900, 10000)) == "99.9"
    assert r.text(Fraction(100, 2000)) == "0.1"  # 0.05 % is not 0 %
    assert r.text(Fraction(100)) == "100" and r.text(Fraction(0)) == "0"
    assert r.text(Fraction(9940, 100)) == "99"  # 99.4 is far enough from 100
    plain = dataclasses.replace(r, near_targets=())
    assert plain.text(Fraction(36300, 364)) == "100"  # the rule, not the rounding, keeps it


def test_rounding_follows_the_rules_data() -> None:
    """Another rules version with other rounding changes every figure it rounds."""
    other = Rounding.from_data({"json_decimals": 2, "print_decimals": 1, "mode": "half_even"})
    assert other.rate(Fraction(100, 3)) == 33.33
    assert other.text(Fraction(89, 2)) == "44.5"
    assert other.text(Fraction(1, 4)) == "0.2"  # 0.25 → 0.2 half even, 0.3 half up
    rules = dataclasses.replace(counting_rules(), rounding=other)
    t = tally(["passed", "passed", "failed"], rules)
    assert t.rate == 66.67 and t.percent == "66.7"
    with pytest.raises(ValueError, match="rounding mode"):
        Rounding.from_data({"json_decimals": 1, "print_decimals": 0, "mode": "nearest"})


def test_web_adoption_all(data: dict[str, Any]) -> None:
    web = {c: without_reasons(v) for c, v in data["adoption"]["web"]["all"].items()}
    # dnssec: failed rijk-b, gem-b; not_testable ws-a left out → 5/7
    assert web["dnssec"] == fig(5, 7, 1, 71.4)
    # error on gem-a (cascade) left out; the rest pass → 7/7
    assert web["tls_available"] == fig(7, 7, 1, 100.0)
    # info on rijk-c counts as compliant
    assert web["tls_ncsc_web"] == fig(7, 7, 1, 100.0)
    # gem-c failed, gem-a error → 6/7
    assert web["https_redirect"] == fig(6, 7, 1, 85.7)
    # warning on rijk-c compliant, gem-b failed, gem-a error → 6/7
    assert web["hsts"] == fig(6, 7, 1, 85.7)
    assert web["ipv6_nameserver"] == fig(8, 8, 0, 100.0)
    assert web["ipv6_webserver"] == fig(7, 8, 0, 87.5)
    assert web["ipv6_web"] == fig(7, 8, 0, 87.5)
    assert web["security_txt"] == fig(7, 8, 0, 87.5)
    # columns the round did not measure are absent, not zero
    assert "rpki_web" not in web and "security_headers" not in web


def test_excluded_statuses_are_named(data: dict[str, Any]) -> None:
    web = data["adoption"]["web"]["all"]
    assert web["dnssec"]["excluded_by"] == {"not_testable": 1}
    assert web["hsts"]["excluded_by"] == {"error": 1}
    mail = data["adoption"]["mail"]["all"]
    assert mail["dkim"]["excluded_by"] == {"not_applicable": 2}
    # Null MX not_tested, unreachable gem-c
    assert mail["starttls"]["excluded_by"] == {"not_tested": 1, "unreachable": 1}


def test_web_adoption_per_category(data: dict[str, Any]) -> None:
    web = data["adoption"]["web"]
    assert list(web) == ["all", "rijk", "gemeente", "waterschap"]
    assert without_reasons(web["rijk"]["dnssec"]) == fig(2, 3, 0, 66.7)
    assert without_reasons(web["gemeente"]["https_redirect"]) == fig(1, 2, 1, 50.0)
    assert without_reasons(web["waterschap"]["dnssec"]) == fig(1, 1, 1, 100.0)


def test_mail_adoption_all(data: dict[str, Any]) -> None:
    mail = {c: without_reasons(v) for c, v in data["adoption"]["mail"]["all"].items()}
    assert mail["dmarc"] == fig(7, 8, 0, 87.5)
    assert mail["dkim"] == fig(6, 6, 2, 100.0)
    assert mail["dmarc_policy"] == fig(6, 8, 0, 75.0)
    # info (no MX) compliant; not_tested (Null MX) and unreachable left out
    assert mail["starttls"] == fig(6, 6, 2, 100.0)
    # gem-b failed; gem-a not_tested left out; rijk-c info compliant → 6/7
    assert mail["dnssec_mx"] == fig(6, 7, 1, 85.7)
    # rijk-a, rijk-c (info), ws-b compliant; rijk-b, gem-b, ws-a failed → 3/6
    assert mail["dane"] == fig(3, 6, 2, 50.0)
    # warning on ws-a compliant, info rijk-c compliant, gem-a not_tested out → 5/7
    assert mail["ipv6_mailserver"] == fig(5, 7, 1, 71.4)
    # headline: every mail domain counts; rijk-c (no MX) and gem-a (Null MX) pass → 5/8
    assert mail["ipv6_mail"] == fig(5, 8, 0, 62.5)


def test_ipv6_headline_versus_comparison(data: dict[str, Any]) -> None:
    assert data["ipv6_headline"]["mail"]["all"]["rate"] == 62.5  # printed 63
    assert data["ipv6_headline"]["mail"]["all"]["column"] == "ipv6_mail"
    # only domains with a receiving mail server (ipv6_mailserver passed/failed/warning):
    # rijk-a, rijk-b, ws-b pass; gem-b, gem-c, ws-a fail → 3/6
    assert data["ipv6_with_mailserver"]["all"] == fig(3, 6, 0, 50.0)
    assert data["ipv6_with_mailserver"]["gemeente"] == fig(0, 2, 0, 0.0)
    # gemeente headline: gem-a passes (Null MX), gem-b and gem-c fail → 1/3 = 33.3
    assert data["ipv6_headline"]["mail"]["gemeente"]["rate"] == 33.3
    assert data["ipv6_headline"]["web"]["all"]["rate"] == 87.5


def test_layer_averages(data: dict[str, Any]) -> None:
    # web all: mean(500/7, 100, 100, 600/7, 600/7) = 620/7 = 88.571…
    assert data["layer_average"]["web"]["all"] == 88.6
    # rijk: mean(200/3, 100, 100, 100, 100) = 280/3 = 93.33…
    assert data["layer_average"]["web"]["rijk"] == 93.3
    # gemeente: mean(200/3, 100, 100, 50, 50) = 220/3 = 73.33…
    assert data["layer_average"]["web"]["gemeente"] == 73.3
    assert data["layer_average"]["web"]["waterschap"] == 100.0
    # mail all: (87.5+100+87.5+75+87.5+100+100+600/7+50)/9 = 5412.5/63 = 85.91…
    assert data["layer_average"]["mail"]["all"] == 85.9


def test_fully_compliant(data: dict[str, Any]) -> None:
    # web: rijk-a, rijk-c (warning/info), ws-b yes; rijk-b, gem-b, gem-c no;
    # gem-a (error) and ws-a (not_testable) cannot be judged → 3/6
    assert data["fully_compliant"]["web"] == {"all": 50.0, "rijk": 66.7, "gemeente": 0.0,
                                              "waterschap": 100.0}
    counts = data["fully_compliant_counts"]["web"]["all"]
    assert without_reasons(counts) == fig(3, 6, 2, 50.0)
    assert counts["excluded_by"] == {"error": 1, "not_testable": 1}
    # mail: rijk-a, rijk-c (no MX, DKIM n/a), gem-a (Null MX) yes; rijk-b, gem-b, ws-a, ws-b
    # no; gem-c unreachable left out → 3/7
    assert data["fully_compliant"]["mail"]["all"] == 42.9
    assert without_reasons(data["fully_compliant_counts"]["mail"]["all"]) == fig(3, 7, 1, 42.9)


def test_growth_potential(data: dict[str, Any]) -> None:
    # dnssec_mx 600/7 − dane 50 = 35.71… points; rijk-b and ws-a have DNSSEC on the MX
    # but fail DANE
    assert data["growth_potential"]["mail"]["all"] == [
        {"precondition": "dnssec_mx", "standard": "dane", "points": 35.7, "domains": 2}]


def test_round_with_only_ipv6_columns() -> None:
    data = figures_json(round_figures(rounds()["2021-03"]))
    assert list(data["adoption"]["mail"]["all"]) == ["ipv6_nameserver", "ipv6_mailserver",
                                                     "ipv6_mail"]
    assert without_reasons(data["adoption"]["mail"]["all"]["ipv6_mail"]) == fig(2, 8, 0, 25.0)
    assert data["layer_average"]["mail"]["all"] is None
    assert data["fully_compliant"]["mail"]["all"] is None
    assert "web" not in data["adoption"]


def test_trend_and_change_since_previous_round() -> None:
    r = rounds()
    analysis = analyse(r["2021-11"], earlier=[r["2021-03"]], others=[r["breed-2021-10"]])
    data = analysis_json(analysis)
    assert data["previous_round"] == "2021-03"
    assert [p["round"] for p in data["trend"]] == ["2021-03", "2021-11"]
    assert [p["ipv6_headline"]["mail"] for p in data["trend"]] == [25.0, 62.5]
    assert [p["n"]["mail"] for p in data["trend"]] == [8, 8]


def test_set_comparison_with_n() -> None:
    r = rounds()
    data = analysis_json(analyse(r["2021-11"], earlier=[r["2021-03"]],
                                 others=[r["breed-2021-10"]]))
    sets = {s["set"]: s["ipv6_with_mailserver"] for s in data["set_comparison"]}
    assert [s["set"] for s in data["set_comparison"]] == ["kern", "breed"]
    assert without_reasons(sets["kern"]) == fig(3, 6, 0, 50.0)
    # prov-e has no mail server: not in the comparison (but in the headline: 2/5)
    assert without_reasons(sets["breed"]) == fig(1, 4, 0, 25.0)
    breed = figures_json(round_figures(r["breed-2021-10"]))
    assert breed["ipv6_headline"]["mail"]["all"]["rate"] == 40.0
