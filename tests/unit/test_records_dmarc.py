"""DMARC record syntax and organisational-domain lookup names."""

from __future__ import annotations

import pytest

from meting.records.dmarc import ReportUri, is_dmarc, parse_dmarc, select_dmarc
from meting.records.psl import dmarc_lookup_names, organisational_domain

# --- record selection ----------------------------------------------------------


@pytest.mark.parametrize(
    ("txt", "expected"),
    [
        ("v=DMARC1;p=reject", True),
        ("v=DMARC1; p=none", True),
        ("v=DMARC1", True),
        ("v = DMARC1 ; p=none", True),
        ("v=DMARC1;", True),
        ("v=dmarc1; p=reject", False),
        ("V=DMARC1; p=reject", False),
        ("v=DMARC10; p=reject", False),
        ("p=reject; v=DMARC1", False),
        (" v=DMARC1; p=reject", False),
        ("v=spf1 -all", False),
        ("", False),
    ],
)
def test_is_dmarc(txt: str, expected: bool) -> None:
    assert is_dmarc(txt) is expected


def test_select_dmarc() -> None:
    assert select_dmarc(["v=DMARC1; p=none", "x", "v=dmarc1; p=none"]) == ["v=DMARC1; p=none"]


# --- policies --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "policy", "subdomain", "nonexistent"),
    [
        ("v=DMARC1;p=reject", "reject", "reject", "reject"),
        ("v=DMARC1; p=quarantine", "quarantine", "quarantine", "quarantine"),
        ("v=DMARC1; p=none", "none", "none", "none"),
        ("v=DMARC1; p=reject; sp=none", "reject", "none", "none"),
        ("v=DMARC1; p=none; sp=quarantine; np=reject", "none", "quarantine", "reject"),
        ("v=DMARC1; p=reject; np=none", "reject", "reject", "none"),
        ("v=DMARC1; p=REJECT", "reject", "reject", "reject"),
        ("v=DMARC1;  p = reject ;  sp = quarantine ;", "reject", "quarantine", "quarantine"),
        ("v=DMARC1\t;\tp=reject", "reject", "reject", "reject"),
    ],
)
def test_policies(text: str, policy: str, subdomain: str, nonexistent: str) -> None:
    record = parse_dmarc(text)
    assert record.errors == ()
    assert record.valid
    assert (record.policy, record.subdomain_policy, record.nonexistent_policy) == (
        policy, subdomain, nonexistent)


def test_rfc7489_appendix_b_examples() -> None:
    b211 = parse_dmarc("v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com")
    assert b211.policy == "none"
    assert b211.rua == (ReportUri("mailto:dmarc-feedback@example.com", "mailto",
                                  "dmarc-feedback@example.com", None),)
    b212 = parse_dmarc("v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com; "
                       "ruf=mailto:auth-reports@thirdparty.example.net")
    assert [u.address for u in b212.ruf] == ["auth-reports@thirdparty.example.net"]
    b213 = parse_dmarc("v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com,"
                       "mailto:tld-test@thirdparty.example.net!10m; pct=25")
    assert b213.pct == 25
    assert [u.max_size for u in b213.rua] == [None, 10 * 1024 * 1024]
    assert b213.errors == ()


def test_quarantine_pct_50() -> None:
    record = parse_dmarc("v=DMARC1; p=quarantine; pct=50")
    assert (record.policy, record.pct) == ("quarantine", 50)


@pytest.mark.parametrize(("raw", "pct"), [("0", 0), ("100", 100), ("7", 7)])
def test_pct_range(raw: str, pct: int) -> None:
    assert parse_dmarc(f"v=DMARC1; p=reject; pct={raw}").pct == pct


@pytest.mark.parametrize("raw", ["101", "-1", "50%", "", "1000"])
def test_pct_invalid(raw: str) -> None:
    record = parse_dmarc(f"v=DMARC1; p=reject; pct={raw}")
    assert record.errors == (f"invalid pct value {raw!r}",)
    assert record.pct == 100


def test_default_values() -> None:
    record = parse_dmarc("v=DMARC1; p=reject")
    assert (record.pct, record.adkim, record.aspf, record.fo, record.rf, record.ri) == (
        100, "r", "r", ("0",), ("afrf",), 86400)


def test_all_tags() -> None:
    record = parse_dmarc("v=DMARC1; p=reject; adkim=s; aspf=s; fo=1:d:s; rf=afrf; ri=3600;"
                         " ruf=mailto:f@example.nl")
    assert (record.adkim, record.aspf, record.fo, record.ri) == ("s", "s", ("1", "d", "s"), 3600)
    assert record.errors == ()


# --- missing and invalid p ------------------------------------------------------------------


def test_missing_p_with_rua_is_treated_as_none() -> None:
    record = parse_dmarc("v=DMARC1; rua=mailto:dmarc@example.nl")
    assert record.policy == "none"
    assert record.policy_assumed
    assert "p tag missing" in record.errors
    assert any("treated as p=none" in w for w in record.warnings)


def test_missing_p_without_rua_has_no_policy() -> None:
    record = parse_dmarc("v=DMARC1; pct=100")
    assert record.policy is None
    assert not record.policy_assumed
    assert record.errors == ("p tag missing",)


def test_invalid_p_without_rua() -> None:
    record = parse_dmarc("v=DMARC1; p=block")
    assert (record.policy, record.errors) == (None, ("invalid p value 'block'",))
    assert not record.valid


def test_invalid_p_with_rua_is_treated_as_none() -> None:
    record = parse_dmarc("v=DMARC1; p=rejected; rua=mailto:d@example.nl")
    assert record.policy == "none"
    assert record.subdomain_policy == "none"
    assert record.errors == ("invalid p value 'rejected'",)


def test_invalid_p_with_invalid_rua_has_no_policy() -> None:
    record = parse_dmarc("v=DMARC1; p=x; rua=dmarc@example.nl")
    assert record.policy is None
    assert "invalid rua URI 'dmarc@example.nl'" in record.errors


def test_invalid_sp_with_rua_falls_back_to_none() -> None:
    record = parse_dmarc("v=DMARC1; p=reject; sp=bogus; rua=mailto:d@example.nl")
    assert (record.policy, record.subdomain_policy) == ("none", "none")
    assert "invalid sp value 'bogus'" in record.errors


def test_invalid_np_is_error_and_ignored() -> None:
    record = parse_dmarc("v=DMARC1; p=reject; sp=quarantine; np=bogus")
    assert record.nonexistent_policy == "quarantine"
    assert record.errors == ("invalid np value 'bogus'",)


# --- not a DMARC record -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["v=dmarc1; p=reject", "p=reject; v=DMARC1", "v=DMARC2; p=reject", "p=reject"]
)
def test_not_dmarc(text: str) -> None:
    record = parse_dmarc(text)
    assert record.policy is None
    assert record.errors == ("not a DMARC record: must start with the tag v=DMARC1",)


# --- report URIs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "sizes"),
    [
        ("mailto:a@example.nl", [None]),
        ("mailto:a@example.nl!10", [10]),
        ("mailto:a@example.nl!10k", [10 * 1024]),
        ("mailto:a@example.nl!2g, mailto:b@example.org!1T", [2 << 30, 1 << 40]),
        ("mailto:a@example.nl , mailto:b@example.org!50m", [None, 50 << 20]),
    ],
)
def test_rua_sizes(value: str, sizes: list[int | None]) -> None:
    record = parse_dmarc(f"v=DMARC1; p=none; rua={value}")
    assert record.errors == ()
    assert [u.max_size for u in record.rua] == sizes


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("a@example.nl", "invalid rua URI 'a@example.nl'"),
        ("mailto:example.nl", "invalid rua address 'example.nl'"),
        ("mailto:a@example.nl!10x", "invalid rua URI 'mailto:a@example.nl!10x'"),
        ("mailto:a@example.nl,", "empty rua URI"),
        ("", "empty rua URI"),
    ],
)
def test_rua_errors(value: str, error: str) -> None:
    assert error in parse_dmarc(f"v=DMARC1; p=none; rua={value}").errors


def test_non_mailto_rua_is_warning() -> None:
    record = parse_dmarc("v=DMARC1; p=none; rua=https://example.nl/report")
    assert record.errors == ()
    assert record.rua[0].scheme == "https"
    assert record.warnings and "not mailto" in record.warnings[0]


# --- tag syntax -------------------------------------------------------------------------------


def test_unknown_tags_are_listed_and_ignored() -> None:
    record = parse_dmarc("v=DMARC1; p=reject; foo=bar; t=y")
    assert record.unknown_tags == ("foo", "t")
    assert record.errors == ()
    assert record.policy == "reject"


def test_duplicate_tag_is_error() -> None:
    record = parse_dmarc("v=DMARC1; p=reject; p=none")
    assert record.errors == ("duplicate tag p",)
    assert record.policy == "reject"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("v=DMARC1; p=reject; adkim=x", "invalid adkim value 'x'"),
        ("v=DMARC1; p=reject; aspf=relaxed", "invalid aspf value 'relaxed'"),
        ("v=DMARC1; p=reject; fo=2", "invalid fo value '2'"),
        ("v=DMARC1; p=reject; ri=one", "invalid ri value 'one'"),
        ("v=DMARC1; p=reject; rf=1x", "invalid rf value '1x'"),
        ("v=DMARC1; p=reject; reject", "malformed tag 'reject'"),
        ("v=DMARC1; p=reject; 1p=x", "malformed tag '1p=x'"),
    ],
)
def test_tag_errors(text: str, error: str) -> None:
    record = parse_dmarc(text)
    assert record.errors == (error,)
    assert not record.valid


def test_p_not_after_v_is_warning() -> None:
    record = parse_dmarc("v=DMARC1; rua=mailto:d@example.nl; p=quarantine")
    assert record.policy == "quarantine"
    assert record.errors == ()
    assert any("directly after v" in w for w in record.warnings)


def test_empty_tag_between_semicolons_is_warning() -> None:
    record = parse_dmarc("v=DMARC1;; p=reject;")
    assert record.valid
    assert record.warnings == ("empty tag between semicolons",)


def test_tags_keep_order() -> None:
    record = parse_dmarc("v=DMARC1; p=reject; RUA=mailto:d@example.nl")
    assert record.tags == (("v", "DMARC1"), ("p", "reject"), ("rua", "mailto:d@example.nl"))


# --- organisational domain ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "org"),
    [
        ("a.b.example.co.uk", "example.co.uk"),
        ("www.amsterdam.nl", "amsterdam.nl"),
        ("amsterdam.nl", "amsterdam.nl"),
        ("mail.Rijksoverheid.NL.", "rijksoverheid.nl"),
        ("nl", "nl"),
        ("co.uk", "co.uk"),
    ],
)
def test_organisational_domain(name: str, org: str) -> None:
    assert organisational_domain(name) == org


@pytest.mark.parametrize(
    ("domain", "names"),
    [
        ("amsterdam.nl", ["_dmarc.amsterdam.nl"]),
        ("www.amsterdam.nl", ["_dmarc.www.amsterdam.nl", "_dmarc.amsterdam.nl"]),
        ("a.b.example.co.uk", ["_dmarc.a.b.example.co.uk", "_dmarc.example.co.uk"]),
        ("Example.NL.", ["_dmarc.example.nl"]),
    ],
)
def test_dmarc_lookup_names(domain: str, names: list[str]) -> None:
    assert dmarc_lookup_names(domain) == names
