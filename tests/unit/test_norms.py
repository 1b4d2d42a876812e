from collections.abc import Callable
from pathlib import Path, PurePath
from typing import Any

import pytest
import yaml

from meting import norms
from meting.norms import NormFileError
from meting.norms import tls as tls_norm
from meting.norms.schema import ColumnsFile, read

VERSIONS = norms.versions()


def test_hsts_was_six_months_before_2021_and_one_year_since() -> None:
    assert {"2019", "2021", "current", "2025"} <= set(VERSIONS)
    assert norms.load("2019")["hsts"]["min_max_age"] == 15768000
    for version in ("2021", "current", "2025"):
        assert norms.load(version)["hsts"]["min_max_age"] == 31536000


def test_tls10_and_tls11_were_phase_out_until_2021_and_are_insufficient_now() -> None:
    for version, expected in (("2019", "phase_out"), ("2021", "phase_out"),
                              ("current", "insufficient"), ("2025", "insufficient")):
        classes = norms.load(version)["tls"]["versions"]
        assert (classes["TLSv1.0"], classes["TLSv1.1"]) == (expected, expected), version


def test_2019_differs_from_2021_only_in_the_hsts_minimum() -> None:
    old, new = norms.load("2019"), norms.load("2021")
    assert old["tls"] == new["tls"]
    described = {"version", "title", "published", "summary", "valid_from", "sources"}
    assert {k for k in old if old[k] != new[k]} - described == {"hsts"}


@pytest.mark.parametrize("version", VERSIONS)
def test_every_version_has_a_published_name_sources_and_the_spec_rules_on_mail(
        version: str) -> None:
    norm = norms.model(version)
    assert norm.published.nl and norm.published.en and norm.sources
    assert norm.tls.mail.cert_trust_without_dane == "info"
    assert norm.tls.mail.cert_hostmatch_without_dane == "failed"
    assert norm.tls.optional.parts == ["ocsp_stapling", "caa", "cipher_order_tls13_only"]


def test_2025_changes_from_2021_as_encoded() -> None:
    old, new = norms.load("current"), norms.load("2025")
    cls = tls_norm.suite_class
    # CBC with SHA-2 stays phase-out, with SHA-1 it becomes insufficient
    assert cls(old, "ECDHE-ECDSA-AES128-SHA256") == cls(new, "ECDHE-ECDSA-AES128-SHA256") \
        == "phase_out"
    assert (cls(old, "ECDHE-ECDSA-AES128-SHA"), cls(new, "ECDHE-ECDSA-AES128-SHA")) == \
        ("phase_out", "insufficient")
    assert (cls(old, "DHE-RSA-AES256-SHA"), cls(new, "DHE-RSA-AES256-SHA")) == \
        ("phase_out", "insufficient")
    assert cls(new, "DHE-RSA-AES256-GCM-SHA384") == "phase_out"
    assert cls(new, "ECDHE-RSA-CHACHA20-POLY1305") == "sufficient"
    assert cls(new, "TLS_AES_256_GCM_SHA384") == "good"
    assert (tls_norm.ffdhe_class(old, "ffdhe2048", 2048),
            tls_norm.ffdhe_class(new, "ffdhe2048", 2048)) == ("phase_out", "insufficient")
    assert tls_norm.ffdhe_class(new, "ffdhe3072", 3072) == "phase_out"
    assert (tls_norm.element_class(old, "extended_master_secret_missing"),
            tls_norm.element_class(new, "extended_master_secret_missing")) == \
        ("phase_out", "insufficient")
    assert tls_norm.by_size(new["tls"]["cert_pubkey"]["rsa"], 2048) == "phase_out"
    assert tls_norm.by_size(old["tls"]["cert_pubkey"]["rsa"], 2048) == "sufficient"
    assert tls_norm.by_size(new["tls"]["cert_pubkey"]["rsa"], 3072) == "good"


def test_new_rounds_use_the_2025_norm_by_default() -> None:
    from meting.settings import Settings
    assert Settings().norm == "2025"


def test_unknown_norm_names_the_known_ones() -> None:
    with pytest.raises(norms.UnknownNorm, match=r"known: .*2025.*current"):
        norms.load("1999")


# --- the schema: every kind of mistake gives one line naming file, key and expectation --

def shipped() -> dict[str, Any]:
    text = (Path(norms.__file__).parent / "versions" / "2025.yaml").read_text("utf-8")
    found: dict[str, Any] = yaml.safe_load(text)
    return found


def broken(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    data = shipped()
    change(data)
    path = tmp_path / "proposed.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(NormFileError) as caught:
        norms.load_file(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(path.name + ":")
    return message


def test_the_shipped_file_passes_as_a_proposed_file(tmp_path: Path) -> None:
    assert norms.load_file(broken(tmp_path, lambda d: None)).version == "2025"


def test_a_missing_key_is_named(tmp_path: Path) -> None:
    message = error_of(broken(tmp_path, lambda d: d["tls"].pop("zero_rtt")))
    assert "tls.zero_rtt: missing" in message


def test_an_unknown_key_a_typo_is_named(tmp_path: Path) -> None:
    def typo(d: dict[str, Any]) -> None:
        d["tls"]["ciphres"] = d["tls"].pop("ciphers")
    message = error_of(broken(tmp_path, typo))
    assert "tls.ciphers: missing" in message or "tls.ciphres: unknown key" in message


def test_a_wrong_class_names_the_classes_expected(tmp_path: Path) -> None:
    def wrong(d: dict[str, Any]) -> None:
        d["tls"]["ciphers"][2]["class"] = "phase-out"
    message = error_of(broken(tmp_path, wrong))
    assert "tls.ciphers[2].class: expected 'good', 'sufficient', 'phase_out' or " \
           "'insufficient' (found 'phase-out')" in message


def test_an_unknown_suite_property_value_is_named(tmp_path: Path) -> None:
    def wrong(d: dict[str, Any]) -> None:
        d["tls"]["ciphers"][0]["kex"] = ["ECDHX"]
    assert "tls.ciphers[0].kex[0]: expected" in error_of(broken(tmp_path, wrong))


def test_a_wrong_type_is_named(tmp_path: Path) -> None:
    def wrong(d: dict[str, Any]) -> None:
        d["hsts"]["min_max_age"] = "one year"
    message = error_of(broken(tmp_path, wrong))
    assert "hsts.min_max_age: expected a valid integer" in message


def test_a_tls_version_left_unclassed_is_named(tmp_path: Path) -> None:
    message = error_of(broken(tmp_path, lambda d: d["tls"]["versions"].pop("TLSv1.1")))
    assert "tls.versions" in message and "missing TLSv1.1" in message


def test_a_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: ncsc-tls\nversion: [2025\n", "utf-8")
    assert error_of(path).startswith("bad.yaml: line 3")


def test_a_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n", "utf-8")
    assert "expected a mapping" in error_of(path)


def test_a_shipped_file_must_carry_its_own_version() -> None:
    text = (Path(norms.__file__).parent / "versions" / "2025.yaml").read_text("utf-8")
    with pytest.raises(NormFileError, match=r"2025.yaml: version: expected '2025'"):
        norms._checked(PurePath("2025.yaml"), text.replace('version: "2025"', 'version: "2024"'),
                       "2025")


def test_columns_file_mistakes_are_named() -> None:
    text = (Path(norms.__file__).parent / "columns.yaml").read_text("utf-8")
    assert read(Path("columns.yaml"), text, ColumnsFile).version
    with pytest.raises(NormFileError, match=r"columns.yaml: statuses\[10\]: expected"):
        read(Path("columns.yaml"), text.replace("not_testable, error]",
                                                "not_testable, error, exploded]"), ColumnsFile)
    # the deadlines moved to the standards register (tests/unit/test_standards_register.py)
    with pytest.raises(NormFileError, match=r"columns.yaml: web\[0\].deadline: unknown key"):
        read(Path("columns.yaml"), text.replace("{column: dnssec}",
                                                "{column: dnssec, deadline: 2017}"),
             ColumnsFile)
