"""`meting check` usage errors: one clear line and exit status 2, before any probe runs."""

from __future__ import annotations

import subprocess
import sys

import pytest


def check(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    base = {k: v for k, v in os.environ.items() if not k.startswith("METING_")}
    return subprocess.run([sys.executable, "-m", "meting.cli", "check", *args],
                          capture_output=True, text=True, timeout=60, check=False,
                          env=base | (env or {}))


@pytest.mark.parametrize(("args", "env", "says"), [
    (("web", "www.example.nl", "--lang", "de"), {}, "--lang 'de': choose nl or en"),
    (("web", "https://192.0.2.1/"), {}, "is an IP address"),
    (("mail", "info@"), {}, "empty domain name"),
    (("web", "www.example.nl", "--norm", "1999"), {}, "--norm '1999': choose"),
    (("web", "www.example.nl"), {"METING_ALLOWED_NETWORKS": "10.0.0.0/33"},
     "'10.0.0.0/33' is not a network"),
    (("web", "www.example.nl"), {"METING_LANG": "fr"}, "--lang 'fr'"),
])
def test_usage_errors_exit_2_with_one_line(args: tuple[str, ...], env: dict[str, str],
                                           says: str) -> None:
    result = check(*args, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1


def test_help_names_the_options() -> None:
    result = check("web", "--help")
    assert result.returncode == 0
    for option in ("--lang", "--json", "--evidence", "--norm"):
        assert option in result.stdout
