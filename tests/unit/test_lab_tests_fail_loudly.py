"""The lab tests skip only on a developer's machine without root; in CI, or as root with a
package missing, they fail."""

from __future__ import annotations

import pytest

from tests.lab import conftest


def test_without_root_outside_ci_they_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("METING_LAB_REQUIRED", raising=False)
    monkeypatch.setattr(conftest.os, "geteuid", lambda: 1000)
    with pytest.raises(pytest.skip.Exception):
        conftest.lab_possible()


@pytest.mark.parametrize("variable", ["CI", "METING_LAB_REQUIRED"])
def test_without_root_in_ci_they_fail(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.setenv(variable, "1")
    monkeypatch.setattr(conftest.os, "geteuid", lambda: 1000)
    with pytest.raises(pytest.fail.Exception, match="need root"):
        conftest.lab_possible()


def test_as_root_a_missing_package_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest.os, "geteuid", lambda: 0)
    with pytest.raises(pytest.fail.Exception, match=r"no-such-lab-command.*scripts/setup"):
        conftest.lab_possible("no-such-lab-command")
