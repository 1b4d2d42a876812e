"""`meting psl update --from FILE`: a newer list replaces the shipped one; junk is refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from meting.records import psl

LIST = """// ===BEGIN ICANN DOMAINS===
nl
uk
co.uk
// a suffix the shipped list does not have, to see the new list in use
gov.test.nl
// ===END ICANN DOMAINS===
"""


def meting(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "meting.cli", *args], capture_output=True,
                          text=True, env=env, check=False, timeout=60)


def test_update_from_file_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "psl.dat"
    source = tmp_path / "new.dat"
    source.write_text(LIST)
    env = {"METING_PSL_FILE": str(target), "PATH": "/usr/bin:/bin"}
    result = meting("psl", "update", "--from", str(source), env=env)
    assert result.returncode == 0, result.stderr
    assert target.read_text() == LIST
    monkeypatch.setenv("METING_PSL_FILE", str(target))
    psl._psl.cache_clear()
    assert psl.organisational_domain("a.b.gov.test.nl") == "b.gov.test.nl"
    psl._psl.cache_clear()


def test_junk_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    target = tmp_path / "psl.dat"
    source = tmp_path / "junk.html"
    source.write_text("<html>not found</html>")
    result = meting("psl", "update", "--from", str(source),
                    env={"METING_PSL_FILE": str(target), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 2
    assert "not a Public Suffix List" in result.stderr
    assert not target.exists()
