"""meting's security.txt verdict against sectxt, the parser Internet.nl uses: the same
verdict (valid or not) on every file of tests/unit/data/security_txt and on every
security.txt the lab serves, except the differences listed, with why, in
sectxt-differences.yaml."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sectxt
import yaml
from sectxt import Parser

from meting.records.security_txt import parse
from tests.unit.recorded import evidence, recorded_files

CORPUS = Path(__file__).parent / "data" / "security_txt"
DIFFERENCES: dict[str, str] = yaml.safe_load(
    (CORPUS / "sectxt-differences.yaml").read_text(encoding="utf-8"))
JUDGED_AT = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)  # the corpus's Expires lie around it


def verdicts(raw: bytes, now: dt.datetime) -> tuple[bool, bool]:
    """Both verdicts at the same moment (sectxt reads the clock itself: it is stopped at
    ``now``, so that recorded files are judged as when they were fetched)."""
    meting = parse(raw.decode("utf-8", "replace"), now)

    class Stopped(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> Stopped:
            return cls.fromisoformat(now.astimezone(tz).isoformat())

    real = sectxt.datetime
    sectxt.datetime = Stopped  # type: ignore[misc]
    try:
        theirs = Parser(raw).is_valid()
    finally:
        sectxt.datetime = real  # type: ignore[misc]
    return not meting.problems, theirs


def corpus() -> list[Path]:
    return sorted(CORPUS.glob("*.txt"))


def test_the_differences_name_files_of_the_corpus() -> None:
    assert set(DIFFERENCES) <= {p.stem for p in corpus()}
    assert all(len(why) > 40 for why in DIFFERENCES.values())


@pytest.mark.parametrize("path", corpus(), ids=lambda p: p.stem)
def test_meting_and_sectxt_agree_or_the_difference_is_explained(path: Path) -> None:
    ours, theirs = verdicts(path.read_bytes(), JUDGED_AT)
    if path.stem in DIFFERENCES:
        assert ours != theirs, f"{path.stem} no longer differs: remove it from the list"
    else:
        assert ours == theirs, (path.stem, "meting", ours, "sectxt", theirs)


def test_on_every_security_txt_the_lab_serves_they_agree() -> None:
    compared = 0
    for path in recorded_files():
        if not path.name.endswith(".web.json"):
            continue
        for per_address in evidence(path.name)["http"].values():
            fetched = per_address["security_txt"]
            if fetched.get("status") != 200 or fetched.get("body") is None:
                continue
            when = dt.datetime.fromisoformat(fetched["fetched_at"])
            ours, theirs = verdicts(fetched["body"].encode(), when)
            assert ours == theirs, (path.stem, fetched["body"])
            compared += 1
    assert compared >= 50
