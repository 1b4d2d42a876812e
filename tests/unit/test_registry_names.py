"""Domain names: syntax errors named, IDN to punycode and back."""

from __future__ import annotations

import pytest

from meting.registry.names import BadDomainName, display, normalise, target_from


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


@pytest.mark.parametrize(("typed", "kind", "name", "taken_from"), [
    ("https://www.example.nl/", "web", "www.example.nl", "url"),
    ("HTTP://WWW.Example.NL:8080/contact?x=1#top", "web", "www.example.nl", "url"),
    ("www.example.nl:443/pad", "web", "www.example.nl", "host_port_path"),
    ("www.example.nl/", "web", "www.example.nl", "host_port_path"),
    ("info@example.nl", "mail", "example.nl", "email"),
    ("mailto:Info@Gemeente.NL", "mail", "gemeente.nl", "email"),
    ("WWW.EXAMPLE.NL.", "web", "www.example.nl", "name"),
    ("https://www.bücher.nl/", "web", "www.xn--bcher-kva.nl", "url"),
    ("gemeente.nl", "mail", "gemeente.nl", "name"),
])
def test_names_as_people_type_them(typed: str, kind: str, name: str, taken_from: str) -> None:
    target = target_from(typed, kind)
    assert (target.name, target.taken_from) == (name, taken_from)
    assert target.changed == (typed != name)


@pytest.mark.parametrize(("typed", "reason"), [
    ("https://198.18.0.5/", "is an IP address"),
    ("[2001:db8::1]:443", "is an IP address"),
    ("https:///pad", "empty"),
    ("info@", "empty"),
])
def test_typed_names_that_are_not_names(typed: str, reason: str) -> None:
    with pytest.raises(BadDomainName, match=reason):
        target_from(typed, "web")
