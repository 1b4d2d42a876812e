import pytest

from meting import norms


def test_hsts_was_six_months_before_2021_and_one_year_since() -> None:
    assert {"2019", "2021", "current"} <= set(norms.versions())
    assert norms.load("2019")["hsts"]["min_max_age"] == 15768000
    assert norms.load("2021")["hsts"]["min_max_age"] == 31536000
    assert norms.load("current")["hsts"]["min_max_age"] == 31536000


def test_tls10_and_tls11_were_phase_out_until_2021_and_are_insufficient_now() -> None:
    for version, expected in (("2019", "phase_out"), ("2021", "phase_out"),
                              ("current", "insufficient")):
        classes = norms.load(version)["tls"]["versions"]
        assert (classes["TLSv1.0"], classes["TLSv1.1"]) == (expected, expected), version


def test_2019_differs_from_2021_only_in_the_hsts_minimum() -> None:
    old, new = norms.load("2019"), norms.load("2021")
    assert old["tls"] == new["tls"]
    assert {k for k in old if old[k] != new[k]} == {"version", "title", "hsts"}


@pytest.mark.parametrize("version", norms.versions())
def test_every_version_has_the_same_keys_and_the_spec_rules_on_mail_and_optional_parts(
        version: str) -> None:
    norm, current = norms.load(version), norms.load("current")
    assert set(norm["tls"]) == set(current["tls"])
    assert norm["tls"]["mail"] == {"cert_trust_without_dane": "info",
                                   "cert_hostmatch_without_dane": "failed"}
    assert norm["tls"]["optional"] == {
        "parts": ["ocsp_stapling", "caa", "cipher_order_tls13_only"], "missing": "info"}
    assert norm["tls"]["ffdhe"]["groups"]["ffdhe2048"] == "phase_out"
    assert norm["tls"]["ffdhe"]["groups"]["ffdhe3072"] == "sufficient"


def test_unknown_norm_names_the_known_ones() -> None:
    with pytest.raises(norms.UnknownNorm, match=r"known: .*current"):
        norms.load("1999")
