"""Without root or with a server package missing, the lab stops at once and says what to do."""

from __future__ import annotations

import shutil

import pytest

from meting.lab import lab
from meting.lab.netns import LabError


def test_without_root_it_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lab.os, "geteuid", lambda: 1000)
    with pytest.raises(LabError, match="needs root"):
        lab.preflight()


def test_missing_package_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    real = shutil.which
    monkeypatch.setattr(lab.os, "geteuid", lambda: 0)
    monkeypatch.setattr(lab.shutil, "which",
                        lambda cmd: None if cmd in ("knotd", "unbound") else real(cmd))
    with pytest.raises(LabError, match="apt-get install -y knot unbound"):
        lab.preflight()
