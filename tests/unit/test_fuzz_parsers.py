"""Property-based tests (Hypothesis) of every parser that reads the outside world: whatever
it is given ends as a result or as the parser's own clean error, never an uncaught
exception, and within a time bound (Hypothesis's deadline per example).

CI runs a bounded number of examples (profile ``ci``); a longer run, as described in
docs/errors-and-limits.md:

    METING_FUZZ=long [METING_FUZZ_EXAMPLES=5000] .venv/bin/python -m pytest \
        tests/unit/test_fuzz_parsers.py
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import socket
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meting.analysis.imports import ImportProblems, read_batch_json, read_status_csv
from meting.probe.http import read_body, read_head
from meting.probe.http_read import read_framed_body
from meting.probe.tls_conn import Channel, ProbeError, Target, smtp_starttls
from meting.records.dmarc import parse_dmarc
from meting.records.security_txt import parse as parse_security_txt
from meting.records.spf import SpfSyntaxError, evaluate_policy, parse_spf
from meting.registry.lists import ListFileError, read_list

settings.register_profile("ci", max_examples=150, deadline=dt.timedelta(seconds=5),
                          suppress_health_check=[HealthCheck.too_slow])
LONG_EXAMPLES = int(os.environ.get("METING_FUZZ_EXAMPLES", 5000))
settings.register_profile("long", max_examples=LONG_EXAMPLES,
                          deadline=dt.timedelta(seconds=5),
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("METING_FUZZ", "ci"))

# Text that looks like the records, so that examples reach deep into the parsers.
SPF_WORDS = ["v=spf1", "include:", "a", "mx", "ptr", "ip4:", "ip6:", "exists:", "redirect=",
             "exp=", "all", "-all", "~all", "?all", "+all", "%{d}", "%{i}", "%{l1r-}", "/24",
             "//64", "example.nl", "10.0.0.1", "::1", ":", "=", "%%", "%_", "%-", " "]
DMARC_WORDS = ["v=DMARC1", ";", "p=", "sp=", "pct=", "rua=", "ruf=", "mailto:", "reject",
               "quarantine", "none", "adkim=", "aspf=", "r", "s", "fo=", "ri=", "!10m",
               "@example.nl", ",", "=", " ", "\t", "1", "0", "d", "s"]
SECURITY_WORDS = ["Contact: ", "Expires: ", "Encryption: ", "Preferred-Languages: ",
                  "Canonical: ", "Policy: ", "https://example.nl/", "mailto:a@example.nl",
                  "2030-01-01T00:00:00Z", "2020-13-45T99:99:99Z", "\n", "\r\n", "# ", ":",
                  "-----BEGIN PGP SIGNED MESSAGE-----\n", "Hash: SHA256\n\n",
                  "-----BEGIN PGP SIGNATURE-----\n", "-----END PGP SIGNATURE-----\n",
                  "- ", "nl, en"]
CSV_WORDS = ["category", "domain", "reaction", "dnssec", "hsts", "tls_available", "dmarc",
             "gemeente", "rijk", "Gemeenten", "goed.nl", "www.goed.nl", "passed", "failed",
             "error", "1", "0", ",", ";", "\n", "\r\n", '"', "=cmd", "\ufeff", "\x00", "é"]
LIST_WORDS = ["organisation", "organisatie", "category", "categorie", "domain", "domein",
              "web_host", "mail", "umbrella", "sets", "Gemeente Goed", "gemeente", "VNG",
              "goed.nl", "https://goed.nl/x", "a@b.nl", "ja", "nee", "none", ",", ";", "\t",
              "\n", '"', "'=1", "\x00", "\x07", "xn--bcher-kva.nl", "bücher.nl"]


def phrases(words: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.one_of(st.sampled_from(words), st.text(max_size=8)),
                    max_size=30).map("".join)


@given(st.one_of(phrases(SPF_WORDS), st.text(max_size=300)))
def test_spf_records(text: str) -> None:
    with contextlib.suppress(SpfSyntaxError):
        parse_spf(text)


@given(st.dictionaries(st.sampled_from(["example.nl", "a.example.nl", "b.nl", "%{d}.nl"]),
                       st.lists(phrases(SPF_WORDS), max_size=3), max_size=4))
def test_spf_policies_over_recorded_answers(records: dict[str, list[str]]) -> None:
    evaluate_policy("example.nl", records)


@given(st.one_of(phrases(DMARC_WORDS), st.text(max_size=300)))
def test_dmarc_records(text: str) -> None:
    parse_dmarc(text)


@given(st.one_of(phrases(SECURITY_WORDS), st.text(max_size=500)))
def test_security_txt(text: str) -> None:
    parse_security_txt(text, dt.datetime(2026, 11, 30, tzinfo=dt.UTC))


@given(st.one_of(phrases(CSV_WORDS), st.text(max_size=500)), st.sampled_from(["web", "mail"]))
def test_status_csv(text: str, kind: str) -> None:
    with contextlib.suppress(ImportProblems):
        read_status_csv(text, kind)


def nested(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.lists(inner, max_size=4),
                     st.dictionaries(st.text(max_size=10), inner, max_size=4))


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(max_size=10), nested, max_leaves=20)
TESTS = ["web_https_http_available", "web_ipv6_ws_address", "mail_auth_dmarc_exist",
         "mail_starttls_tls_available", "web_dnssec_valid"]
ENTRY = st.fixed_dictionaries({
    "status": st.sampled_from(["ok", "error", "", 1]),
    "results": st.one_of(JSON, st.fixed_dictionaries({
        "tests": st.one_of(JSON, st.dictionaries(st.sampled_from(TESTS), st.one_of(
            JSON, st.fixed_dictionaries({"status": st.one_of(JSON, st.sampled_from(
                ["passed", "failed", "warning", "info", "error", "not_tested"]))})))),
        "categories": JSON, "custom": JSON}))})


@given(st.one_of(JSON, st.fixed_dictionaries({"domains": st.one_of(JSON, st.dictionaries(
    st.one_of(st.sampled_from(["goed.nl", "www.goed.nl", "GOED.nl.", "x"]), st.text()),
    st.one_of(ENTRY, JSON), max_size=4))})), st.sampled_from(["web", "mail"]))
def test_internetnl_batch_json(data: Any, kind: str) -> None:
    with contextlib.suppress(ImportProblems):
        read_batch_json(json.loads(json.dumps(data)), kind)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.one_of(phrases(LIST_WORDS).map(str.encode), st.binary(max_size=400)))
def test_registry_lists(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(data)
    with contextlib.suppress(ListFileError):
        read_list(path)


HEAD_WORDS = [b"HTTP/1.1 ", b"HTTP/1.0 ", b"200", b"301", b" OK", b"\r\n", b"Location: ",
              b"Strict-Transport-Security: max-age=31536000", b"Transfer-Encoding: chunked",
              b":", b" ", b"\x00", b"\xff"]


def http_head() -> st.SearchStrategy[bytes]:
    return st.lists(st.one_of(st.sampled_from(HEAD_WORDS), st.binary(max_size=8)),
                    max_size=30).map(b"".join)


@given(http_head(), st.binary(max_size=200))
def test_http_heads_and_bodies(head: bytes, body: bytes) -> None:
    async def read() -> None:
        reader = asyncio.StreamReader(limit=64 * 1024)
        reader.feed_data(head + b"\r\n\r\n" + body)
        reader.feed_eof()
        found = await read_head(reader)
        await read_body(reader, found.headers, 1000)

    async def read_framed() -> None:
        reader = asyncio.StreamReader(limit=64 * 1024)
        reader.feed_data(head + b"\r\n\r\n" + body)
        reader.feed_eof()
        found = await read_head(reader)
        await read_framed_body(reader, found.status, found.headers, 1000)

    # what fetch() turns into a failed response
    with contextlib.suppress(ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        asyncio.run(read())
    with contextlib.suppress(ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        asyncio.run(read_framed())


SMTP_WORDS = ["220 ", "220-", "250 ", "250-", "STARTTLS", "PIPELINING", "mx.example.nl",
              "\r\n", "\n", "554 ", "5", "\x00", "é", " "]


@given(st.lists(st.one_of(st.sampled_from(SMTP_WORDS), st.text(string.printable, max_size=6)),
                max_size=40).map("".join))
def test_smtp_replies(server_says: str) -> None:
    ours, theirs = socket.socketpair()
    try:
        theirs.sendall(server_says.encode("utf-8", "replace"))
        theirs.shutdown(socket.SHUT_WR)
        target = Target("127.0.0.1", 25, "mx.example.nl", "smtp", timeout=2, deadline=4)
        ours.setblocking(False)

        async def dialogue() -> None:
            with contextlib.suppress(ProbeError):
                await smtp_starttls(Channel(ours, target))

        asyncio.run(dialogue())
    finally:
        ours.close()
        theirs.close()


@pytest.mark.parametrize("kind", ["web", "mail"])
def test_deeply_nested_json_is_a_clean_error(kind: str) -> None:
    with pytest.raises(ImportProblems):
        read_batch_json({"domains": {"goed.nl": {"status": "ok", "results": {
            "tests": [[[[[]]]]]}}}}, kind)
