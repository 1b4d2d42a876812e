"""Domain names: syntax errors named, IDN to punycode and back."""

from __future__ import annotations

import pytest

from meting.registry.names import BadDomainName, display, normalise


@pytest.mark.parametrize(("text", "expected"), [
    ("www.Example.NL", "www.example.nl"),
    ("example.nl.", "example.nl"),
    ("  gemeente.nl ", "gemeente.nl"),
    ("bücher.nl", "xn--bcher-kva.nl"),
    ("xn--bcher-kva.nl", "xn--bcher-kva.nl"),
])
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(("text", "reason"), [
    ("", "empty"),
    ("localhost", "no dot"),
    ("exa mple.nl", "not a valid"),
    ("-bad-.nl", "not a valid"),
    ("a" * 64 + ".nl", "not a valid"),
    (("abcdefgh." * 30) + "nl", "longer than"),
])
def test_bad_names_say_why(text: str, reason: str) -> None:
    with pytest.raises(BadDomainName, match=reason):
        normalise(text)


def test_display_is_unicode() -> None:
    assert display("xn--bcher-kva.nl") == "bücher.nl"
