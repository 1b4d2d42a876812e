"""The redirect rules of probe/web_http.py that need no network: where a Location leads."""

from __future__ import annotations

import pytest

from meting.probe.web_http import next_url, target


@pytest.mark.parametrize(("url", "expected"), [
    ("http://www.example.nl/", ("http", "www.example.nl", None, "/")),
    ("https://WWW.Example.NL./a/b?x=1", ("https", "www.example.nl", None, "/a/b?x=1")),
    ("https://www.example.nl:8443", ("https", "www.example.nl", 8443, "/")),
    ("https://[2001:db8::1]/", ("https", "2001:db8::1", None, "/")),
    ("ftp://www.example.nl/", None),
    ("https:///nohost", None),
    ("https://www.example.nl:99999/", None),
])
def test_target(url: str, expected: tuple[str, str, int | None, str] | None) -> None:
    assert target(url) == expected


@pytest.mark.parametrize(("location", "https_only", "expected"), [
    ("https://www.example.nl/", False, ("", "https://www.example.nl/")),
    ("/elsewhere?q=1", False, ("", "http://www.example.nl/elsewhere?q=1")),
    ("//other.example.nl/x", False, ("", "http://other.example.nl/x")),
    ("  https://www.example.nl/  ", False, ("", "https://www.example.nl/")),
    ("http://www.example.nl/start", False, ("loop", "")),
    ("mailto:someone@example.nl", False, ("bad_location", "")),
    ("http://www.example.nl/x", True, ("insecure_redirect", "")),
])
def test_next_url(location: str, https_only: bool, expected: tuple[str, str]) -> None:
    seen = {"http://www.example.nl/start"}
    assert next_url("http://www.example.nl/start", location, seen, https_only) == expected
