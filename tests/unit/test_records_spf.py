"""SPF record syntax and the pure include/redirect evaluator."""

from __future__ import annotations

import pytest

from meting.records.spf import (
    Mechanism,
    SpfSyntaxError,
    evaluate_policy,
    expand_domain_spec,
    follow_targets,
    is_spf,
    lookup_terms,
    parse_spf,
    referenced_domains,
    select_spf,
    skipped_targets,
)

# --- record selection ----------------------------------------------------------


@pytest.mark.parametrize(
    ("txt", "expected"),
    [
        ("v=spf1 -all", True),
        ("v=spf1", True),
        ("V=SPF1 -all", True),
        ("v=spf10 -all", False),
        ("v=spf1-all", False),
        (" v=spf1 -all", False),
        ("spf2.0/pra -all", False),
        ("google-site-verification=abc", False),
        ("", False),
    ],
)
def test_is_spf(txt: str, expected: bool) -> None:
    assert is_spf(txt) is expected


def test_select_spf_keeps_all_spf_records() -> None:
    txts = ["v=spf1 -all", "ms=ms123", "v=spf1 mx ~all", "v=spf10"]
    assert select_spf(txts) == ["v=spf1 -all", "v=spf1 mx ~all"]


# --- RFC 7208 appendix A examples and valid syntax ----------------------------------

RFC_APPENDIX_A = [
    "v=spf1 +all",
    "v=spf1 a -all",
    "v=spf1 a:example.org -all",
    "v=spf1 mx -all",
    "v=spf1 mx:example.org -all",
    "v=spf1 mx mx:example.org -all",
    "v=spf1 mx/30 mx:example.org/30 -all",
    "v=spf1 ptr -all",
    "v=spf1 ip4:192.0.2.128/28 -all",
    "v=spf1 mx -all exp=explain._spf.%{d}",
    "v=spf1 include:example.com include:example.net -all",
    "v=spf1 redirect=_spf.example.com",
    "v=spf1 mx:%{d}.example.org -all",
    "v=spf1 -include:ip4._spf.%{d} -include:ptr._spf.%{d} +all",
    "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all",
    "v=spf1 -ip4:192.0.2.0/24 a//96 +all",
]


@pytest.mark.parametrize("text", RFC_APPENDIX_A)
def test_rfc_examples_parse(text: str) -> None:
    record = parse_spf(text)
    assert record.terms == tuple(text.split(" ")[1:])


def test_mechanism_fields() -> None:
    record = parse_spf("v=spf1 ~a:example.com/24//64 ?mx IP4:192.0.2.1 ip6:2001:db8::/32 -ALL")
    assert record.mechanisms == (
        Mechanism("~", "a", "example.com", 24, 64),
        Mechanism("?", "mx", None),
        Mechanism("+", "ip4", "192.0.2.1"),
        Mechanism("+", "ip6", "2001:db8::", cidr6=32),
        Mechanism("-", "all", None),
    )
    assert record.all_qualifier == "-"


@pytest.mark.parametrize(
    ("text", "qualifier"),
    [("v=spf1 +all", "+"), ("v=spf1 all", "+"), ("v=spf1 ?all", "?"), ("v=spf1 ~all", "~"),
     ("v=spf1 -all", "-"), ("v=spf1 mx", None)],
)
def test_all_qualifier(text: str, qualifier: str | None) -> None:
    assert parse_spf(text).all_qualifier == qualifier


def test_multiple_and_trailing_spaces() -> None:
    record = parse_spf("v=spf1   mx    -all   ")
    assert record.terms == ("mx", "-all")


def test_uppercase_version_parses() -> None:
    assert parse_spf("V=SPF1 MX -ALL").mechanisms[0].kind == "mx"


@pytest.mark.parametrize(
    "address",
    ["2001:db8::1", "::1", "::", "2001:db8:0:0:0:0:0:1", "::ffff:192.0.2.1", "fe80::1/64"],
)
def test_ip6_forms(address: str) -> None:
    mechanism = parse_spf(f"v=spf1 ip6:{address} -all").mechanisms[0]
    assert mechanism.kind == "ip6"
    assert mechanism.target == address.split("/")[0]


def test_modifiers() -> None:
    record = parse_spf("v=spf1 mx redirect=_spf.example.com exp=x.%{d} foo=bar%{d} e-x.t=")
    assert record.redirect == "_spf.example.com"
    assert record.explanation == "x.%{d}"
    assert [(m.name, m.value) for m in record.modifiers] == [("foo", "bar%{d}"), ("e-x.t", "")]


def test_unknown_modifier_is_not_an_error() -> None:
    assert parse_spf("v=spf1 moo=cow -all").all_qualifier == "-"


@pytest.mark.parametrize(
    "text",
    [
        "v=spf1 include:%{d}.example.com -all",
        "v=spf1 exists:%{i}.%{l2r-}.%{D}.example.com -all",
        "v=spf1 a:%%%_%-.example.com -all",
        "v=spf1 include:_spf.%{d} -all",
        "v=spf1 a:example.com. -all",
    ],
)
def test_valid_domain_specs(text: str) -> None:
    assert parse_spf(text).mechanisms


# --- syntax errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "term", "reason"),
    [
        ("v=spf1 ip4:192.0.2.0/33 -all", "ip4:192.0.2.0/33", "invalid CIDR length"),
        ("v=spf1 ip4:192.0.2.0/024", "ip4:192.0.2.0/024", "invalid CIDR length"),
        ("v=spf1 ip4:192.0.2.0//64", "ip4:192.0.2.0//64", "invalid CIDR length"),
        ("v=spf1 ip4:192.0.2.256", "ip4:192.0.2.256", "invalid ip4 address"),
        ("v=spf1 ip4:192.0.02.1", "ip4:192.0.02.1", "invalid ip4 address"),
        ("v=spf1 ip4:2001:db8::1", "ip4:2001:db8::1", "invalid ip4 address"),
        ("v=spf1 ip6:192.0.2.1", "ip6:192.0.2.1", "invalid ip6 address"),
        ("v=spf1 ip6:2001:db8::/129", "ip6:2001:db8::/129", "invalid CIDR length"),
        ("v=spf1 ip6:fe80::1%eth0", "ip6:fe80::1%eth0", "invalid ip6 address"),
        ("v=spf1 ip4", "ip4", "ip4 requires an address"),
        ("v=spf1 include:", "include:", "missing domain"),
        ("v=spf1 include", "include", "include requires a domain"),
        ("v=spf1 exists", "exists", "exists requires a domain"),
        ("v=spf1 include:example", "include:example", "invalid domain"),
        ("v=spf1 include:example.123", "include:example.123", "invalid domain"),
        ("v=spf1 include:a..example.com", "include:a..example.com", "invalid domain"),
        ("v=spf1 a:example.com/abc", "a:example.com/abc", "invalid CIDR length"),
        ("v=spf1 a/33", "a/33", "invalid CIDR length"),
        ("v=spf1 mx//129", "mx//129", "invalid CIDR length"),
        ("v=spf1 all:example.com", "all:example.com", "all takes no arguments"),
        ("v=spf1 ptr/24", "ptr/24", "invalid mechanism arguments"),
        ("v=spf1 foo -all", "foo", "unknown mechanism"),
        ("v=spf1 *all", "*all", "unknown mechanism"),
        ("v=spf1 +redirect=example.com", "+redirect=example.com", "unknown mechanism"),
        ("v=spf1 redirect=", "redirect=", "missing domain"),
        ("v=spf1 include:%{x}.example.com", "include:%{x}.example.com", "invalid macro"),
        ("v=spf1 include:%{d0}.example.com", "include:%{d0}.example.com",
         "macro transformer digit must be nonzero"),
        ("v=spf1 include:%{c}.example.com", "include:%{c}.example.com",
         "macro letter 'c' not allowed here"),
        ("v=spf1 include:50%.example.com", "include:50%.example.com", "invalid macro"),
        ("v=spf1 mx -all\tip4:192.0.2.1", "-all\tip4:192.0.2.1", "all takes no arguments"),
    ],
)
def test_syntax_errors(text: str, term: str, reason: str) -> None:
    with pytest.raises(SpfSyntaxError) as info:
        parse_spf(text)
    assert info.value.term == term
    assert info.value.reason == reason
    assert text[info.value.position :].startswith(term)


def test_duplicate_redirect_is_permerror() -> None:
    with pytest.raises(SpfSyntaxError, match="duplicate redirect") as info:
        parse_spf("v=spf1 redirect=a.example.com redirect=b.example.com")
    assert info.value.position == len("v=spf1 redirect=a.example.com ")


def test_duplicate_exp_is_permerror() -> None:
    with pytest.raises(SpfSyntaxError, match="duplicate exp"):
        parse_spf("v=spf1 -all exp=a.example.com EXP=b.example.com")


def test_not_spf_is_error() -> None:
    with pytest.raises(SpfSyntaxError, match="not an SPF record") as info:
        parse_spf("v=spf10 -all")
    assert info.value.position == 0


# --- lookups and targets -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("v=spf1 -all", 0),
        ("v=spf1 ip4:192.0.2.1 ip6:::1 -all", 0),
        ("v=spf1 a mx ptr exists:example.com include:example.net -all", 5),
        ("v=spf1 mx redirect=example.com", 2),
        ("v=spf1 mx redirect=example.com -all", 1),  # redirect ignored with all
        ("v=spf1 exp=example.com -all", 0),
    ],
)
def test_lookup_terms(text: str, count: int) -> None:
    assert lookup_terms(parse_spf(text)) == count


def test_referenced_domains_expands_d_and_o() -> None:
    record = parse_spf(
        "v=spf1 include:_spf.%{d} include:%{o}.x.net include:%{l}.x.net"
        " include:%{d2}.y.net redirect=%{dr}.z.net"
    )
    assert referenced_domains(record, "mail.Example.NL") == [
        ("include", "_spf.mail.example.nl"),
        ("include", "mail.example.nl.x.net"),
        ("include", "example.nl.y.net"),
        ("redirect", "nl.example.mail.z.net"),
    ]
    assert skipped_targets(record) == [("include", "%{l}.x.net")]


def test_referenced_domains_ignores_redirect_with_all() -> None:
    record = parse_spf("v=spf1 include:a.example.com redirect=b.example.com ~all")
    assert referenced_domains(record, "example.com") == [("include", "a.example.com")]


def test_expand_domain_spec_escapes() -> None:
    assert expand_domain_spec("%{d}.", "Example.COM") == "example.com"
    assert expand_domain_spec("%{i}.example.com", "example.com") is None


# --- evaluation over recorded lookups --------------------------------------------------


def test_evaluate_simple_reject_all() -> None:
    result = evaluate_policy("example.nl", {"example.nl": ["v=spf1 mx -all", "other"]})
    assert result.valid
    assert result.all_qualifier == "-"
    assert result.lookups == 1
    assert result.includes_resolve


def test_evaluate_redirect_to_fail_all() -> None:
    records = {
        "example.nl": ["v=spf1 redirect=_spf.example.nl"],
        "_spf.example.nl": ["v=spf1 ip4:192.0.2.0/24 -all"],
    }
    result = evaluate_policy("example.nl", records)
    assert (result.all_qualifier, result.lookups, result.errors) == ("-", 1, ())


def test_evaluate_redirect_ignored_when_all_present() -> None:
    records = {
        "example.nl": ["v=spf1 redirect=_spf.example.nl ?all"],
        "_spf.example.nl": ["v=spf1 -all"],
    }
    result = evaluate_policy("example.nl", records)
    assert result.all_qualifier == "?"
    assert result.lookups == 0
    assert follow_targets("example.nl", {"example.nl": records["example.nl"]}) == set()


def test_include_all_does_not_count_for_parent() -> None:
    records = {
        "example.nl": ["v=spf1 include:spf.provider.com"],
        "spf.provider.com": ["v=spf1 ip4:192.0.2.1 -all"],
    }
    result = evaluate_policy("example.nl", records)
    assert result.valid
    assert result.all_qualifier is None


def test_include_loop_is_permerror() -> None:
    records = {
        "example.nl": ["v=spf1 include:a.example.nl -all"],
        "a.example.nl": ["v=spf1 include:example.nl -all"],
    }
    result = evaluate_policy("example.nl", records)
    assert "include loop at example.nl" in result.errors


def test_redirect_loop_is_permerror() -> None:
    records = {
        "example.nl": ["v=spf1 redirect=a.example.nl"],
        "a.example.nl": ["v=spf1 redirect=example.nl"],
    }
    result = evaluate_policy("example.nl", records)
    assert result.permerror
    assert "redirect loop at example.nl" in result.errors
    assert result.all_qualifier is None


def test_diamond_include_is_not_a_loop() -> None:
    records = {
        "example.nl": ["v=spf1 include:a.example.nl include:b.example.nl -all"],
        "a.example.nl": ["v=spf1 include:c.example.nl"],
        "b.example.nl": ["v=spf1 include:c.example.nl"],
        "c.example.nl": ["v=spf1 ip4:192.0.2.1"],
    }
    result = evaluate_policy("example.nl", records)
    assert result.errors == ()
    assert result.lookups == 4


def _chain(lookups: int) -> dict[str, list[str]]:
    mechanisms = " ".join(f"a:h{i}.example.nl" for i in range(lookups - 1))
    return {
        "example.nl": [f"v=spf1 {mechanisms} include:inc.example.nl -all"],
        "inc.example.nl": ["v=spf1 ip4:192.0.2.1 ~all"],
    }


def test_exactly_ten_lookups_is_fine() -> None:
    result = evaluate_policy("example.nl", _chain(10))
    assert (result.lookups, result.errors) == (10, ())


def test_eleven_lookups_is_permerror() -> None:
    result = evaluate_policy("example.nl", _chain(11))
    assert result.lookups == 11
    assert result.errors == ("more than 10 DNS lookups",)


def test_lookups_counted_across_tree() -> None:
    records = {
        "example.nl": ["v=spf1 mx include:a.example.nl redirect=b.example.nl"],
        "a.example.nl": ["v=spf1 " + " ".join(["a"] * 5)],
        "b.example.nl": ["v=spf1 " + " ".join(["exists:x.example.nl"] * 4) + " -all"],
    }
    result = evaluate_policy("example.nl", records)
    assert result.lookups == 12
    assert result.permerror
    assert result.all_qualifier == "-"


def test_two_void_lookups_allowed_three_not() -> None:
    two = {"example.nl": ["v=spf1 include:a.example.nl include:b.example.nl -all"]}
    three = {"example.nl": ["v=spf1 include:a.example.nl include:b.example.nl"
                            " include:c.example.nl -all"], "c.example.nl": []}
    result_two = evaluate_policy("example.nl", two)
    result_three = evaluate_policy("example.nl", three)
    assert result_two.void_lookups == 2
    assert "more than 2 void lookups" not in result_two.errors
    assert result_three.void_lookups == 3
    assert "more than 2 void lookups" in result_three.errors
    assert not result_three.includes_resolve
    assert result_three.unresolved == ("a.example.nl", "b.example.nl", "c.example.nl")


def test_include_without_spf_record_does_not_resolve() -> None:
    records = {
        "example.nl": ["v=spf1 include:a.example.nl -all"],
        "a.example.nl": ["some verification token"],
    }
    result = evaluate_policy("example.nl", records)
    assert not result.includes_resolve
    assert result.void_lookups == 0
    assert result.errors == ("include target a.example.nl has no SPF record",)


def test_include_with_syntax_error_does_not_resolve() -> None:
    records = {
        "example.nl": ["v=spf1 include:a.example.nl -all"],
        "a.example.nl": ["v=spf1 ip4:192.0.2.0/33"],
    }
    result = evaluate_policy("example.nl", records)
    assert result.unresolved == ("a.example.nl",)
    assert result.permerror


def test_multiple_spf_records_is_permerror() -> None:
    result = evaluate_policy("example.nl", {"example.nl": ["v=spf1 -all", "v=spf1 ~all"]})
    assert result.record_count == 2
    assert result.errors == ("multiple SPF records",)
    assert not result.valid


def test_no_spf_record() -> None:
    result = evaluate_policy("example.nl", {"example.nl": ["hello"]})
    assert (result.record_count, result.record, result.errors) == (0, None, ())


def test_top_level_syntax_error() -> None:
    result = evaluate_policy("example.nl", {"example.nl": ["v=spf1 include: -all"]})
    assert result.record is None
    assert result.errors and "missing domain" in result.errors[0]


def test_macro_target_skipped_and_reported() -> None:
    records = {"example.nl": ["v=spf1 include:%{i}._spf.example.nl include:_s.%{d} -all"],
               "_s.example.nl": ["v=spf1 -all"]}
    result = evaluate_policy("example.nl", records)
    assert result.skipped == ("%{i}._spf.example.nl",)
    assert result.lookups == 2
    assert result.valid


def test_follow_targets_iterates_to_completion() -> None:
    records: dict[str, list[str]] = {}
    dns = {
        "example.nl": ["v=spf1 include:a.example.nl redirect=b.example.nl"],
        "a.example.nl": ["v=spf1 include:c.example.nl"],
        "b.example.nl": ["v=spf1 -all"],
    }
    rounds = []
    while needed := follow_targets("example.nl", records):
        rounds.append(sorted(needed))
        for name in needed:
            records[name] = dns.get(name, [])
    assert rounds == [["example.nl"], ["a.example.nl", "b.example.nl"], ["c.example.nl"]]
    result = evaluate_policy("example.nl", records)
    assert result.all_qualifier == "-"
    assert result.void_lookups == 1


def test_a_target_without_an_answer_is_unanswered_not_void() -> None:
    records = {"example.nl": ["v=spf1 include:_spf.host.nl redirect=_r.example.nl"],
               "_spf.host.nl": [], "_r.example.nl": []}
    result = evaluate_policy("example.nl", records, no_answer=["_spf.host.nl.", "_R.example.nl"])
    assert result.unanswered == ("_spf.host.nl", "_r.example.nl")
    assert (result.void_lookups, result.errors, result.includes_resolve) == (0, (), True)
    assert result.all_qualifier is None
    void = evaluate_policy("example.nl", records)
    assert void.unanswered == () and void.void_lookups == 2 and not void.includes_resolve
