import pytest

from meting import norms


def test_both_norm_versions_load_and_differ_in_hsts() -> None:
    assert {"2021", "current"} <= set(norms.versions())
    assert norms.load("2021")["hsts"]["min_max_age"] == 15768000
    assert norms.load("current")["hsts"]["min_max_age"] == 31536000


def test_unknown_norm_names_the_known_ones() -> None:
    with pytest.raises(norms.UnknownNorm, match=r"known: .*current"):
        norms.load("1999")
