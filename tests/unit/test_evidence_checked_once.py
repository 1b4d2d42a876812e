"""A round's evidence is written as JSON and checked against the schema once: to judge
the test (``tester.measure``); the store takes those bytes as they are. Anything else
handed to the store is still checked there."""

from __future__ import annotations

import zlib

import pytest

from meting.evidence import EvidenceError, as_json
from meting.run.retry import not_testable_evidence
from meting.store import codec


def test_checked_json_is_stored_as_is_and_unchecked_json_is_checked() -> None:
    evidence = not_testable_evidence("web", "www.a.nl", ["reset"])
    raw = as_json(evidence)
    data, size = codec.encode(evidence, raw, raw_checked=True)
    assert zlib.decompress(data) == raw and size == len(raw)
    assert codec.encode(evidence) == (data, size)  # the same bytes when written here

    broken = {**evidence, "kind": "ftp"}
    with pytest.raises(EvidenceError):
        codec.encode(broken)
    with pytest.raises(EvidenceError):
        codec.encode(broken, as_json(broken))  # JSON the caller wrote: checked here
    # the caller vouches for bytes it checked itself (the runner, to judge the test)
    assert codec.encode(broken, as_json(broken), raw_checked=True)[1] == len(as_json(broken))
