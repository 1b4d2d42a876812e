"""security.txt parsing (RFC 9116) on hand-written files."""

from __future__ import annotations

import datetime as dt

import pytest

from meting.records.security_txt import parse

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
GOOD = "Contact: mailto:security@example.nl\nExpires: 2027-06-01T00:00:00Z\n"


def codes(text: str) -> list[str]:
    return [p.code for p in parse(text, NOW).problems]


def test_minimal_valid_file() -> None:
    parsed = parse(GOOD, NOW)
    assert parsed.problems == ()
    assert parsed.expires == dt.datetime(2027, 6, 1, tzinfo=dt.UTC)
    assert parsed.values("contact") == ["mailto:security@example.nl"]
    assert not parsed.signed and not parsed.long_expiry


def test_rfc_example_with_comments_crlf_unknown_fields_and_case() -> None:
    text = ("# Our security address\r\n"
            "CONTACT: mailto:security@example.com\r\n"
            "contact: tel:+1-201-555-0123\r\n"
            "Contact: https://example.com/security-contact.html\r\n"
            "Encryption: https://example.com/pgp-key.txt\r\n"
            "Preferred-Languages: en, nl\r\n"
            "X-Something-New: whatever it is\r\n"
            "Expires: 2027-01-31T18:37:07+01:00\r\n")
    parsed = parse(text, NOW)
    assert parsed.problems == ()
    assert len(parsed.values("contact")) == 3
    assert parsed.expires == dt.datetime(2027, 1, 31, 17, 37, 7, tzinfo=dt.UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("Expires: 2027-06-01T00:00:00Z\n", ["no_contact"]),
    ("Contact: mailto:a@example.nl\n", ["no_expires"]),
    (GOOD + "Expires: 2027-07-01T00:00:00Z\n", ["multiple_expires"]),
    ("Contact: mailto:a@example.nl\nExpires: 2025-01-01T00:00:00Z\n", ["expired"]),
    ("Contact: mailto:a@example.nl\nExpires: 1 June 2027\n", ["bad_expires"]),
    ("Contact: mailto:a@example.nl\nExpires: 2027-06-01\n", ["bad_expires"]),
    ("Contact: mailto:a@example.nl\nExpires: 2027-02-30T00:00:00Z\n", ["bad_expires"]),
    ("Contact: security@example.nl\nExpires: 2027-06-01T00:00:00Z\n", ["bad_contact"]),
    ("Contact: http://example.nl/sec\nExpires: 2027-06-01T00:00:00Z\n", ["insecure_uri"]),
    (GOOD + "Policy: http://example.nl/policy\n", ["insecure_uri"]),
    (GOOD + "Preferred-Languages: en\nPreferred-Languages: nl\n",
     ["multiple_preferred_languages"]),
    (GOOD + "this is not a field\n", ["invalid_line"]),
    ("<html><body>Not found</body></html>\n", ["invalid_line", "no_contact", "no_expires"]),
])
def test_problems(text: str, expected: list[str]) -> None:
    assert codes(text) == expected


def test_problem_has_the_line_number() -> None:
    problems = parse(GOOD + "\n# fine\nbroken line\n", NOW).problems
    assert [(p.code, p.line) for p in problems] == [("invalid_line", 5)]


def test_expires_far_ahead_is_noted_not_a_problem() -> None:
    parsed = parse("Contact: mailto:a@example.nl\nExpires: 2030-01-01T00:00:00Z\n", NOW)
    assert parsed.problems == () and parsed.long_expiry


SIGNED = """-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA256

Contact: mailto:security@example.nl
- Expires: 2027-06-01T00:00:00.000Z
-----BEGIN PGP SIGNATURE-----

iHUEARYIAB0WIQRfake/signature=
=abcd
-----END PGP SIGNATURE-----
"""


def test_signed_file_is_unwrapped() -> None:
    parsed = parse(SIGNED, NOW)
    assert parsed.signed and parsed.problems == ()
    assert parsed.values("expires") == ["2027-06-01T00:00:00.000Z"]
    assert parsed.fields[0][2] == 4  # line numbers of the whole file


def test_signed_file_without_signature_block() -> None:
    text = SIGNED.split("-----BEGIN PGP SIGNATURE-----")[0]
    assert codes(text)[0] == "bad_signed_message"


def test_signed_file_with_text_after_the_signature() -> None:
    assert codes(SIGNED + "Contact: mailto:other@example.nl\n") == ["bad_signed_message"]
