"""Settings: file, then environment, then flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from meting.settings import load


def test_flags_override_environment_which_overrides_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "meting.toml"
    config.write_text('[meting]\nresolver = "198.18.0.1"\nconcurrency = 10\nnorm = "2021"\n')
    monkeypatch.setenv("METING_CONFIG", str(config))
    monkeypatch.setenv("METING_RESOLVER", "198.18.0.2")
    assert load().norm == "2021"
    assert load().concurrency == 10
    assert load().resolver == "198.18.0.2"
    assert load({"resolver": "198.18.0.3", "concurrency": None}).resolver == "198.18.0.3"


def test_bad_values_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METING_CONCURRENCY", "many")
    with pytest.raises(ValueError, match="concurrency"):
        load()
