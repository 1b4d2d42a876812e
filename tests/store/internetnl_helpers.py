"""The stand-in Internet.nl batch API as a server process, and `meting` as a subprocess
against it, for the tests of `meting internetnl` and `meting compare`."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meting.registry.entry import ListEntry
from tests.store.helpers import entry

PASSWORD = "geheim-wachtwoord-17"
METING = Path(sys.executable).parent / "meting"


@dataclass(frozen=True)
class StandIn:
    url: str  # the batch API's base URL
    stats_url: str

    def stats(self) -> dict[str, int]:
        with urllib.request.urlopen(self.stats_url, timeout=10) as answer:
            found: dict[str, int] = json.load(answer)
            return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def standin(*options: str) -> Iterator[StandIn]:
    port = _free_port()
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-m", "tests.internetnl_standin", "--port",
                             str(port), "--password", PASSWORD, *options], cwd=root)
    found = StandIn(f"http://127.0.0.1:{port}/api/batch/v2",
                    f"http://127.0.0.1:{port}/_standin/stats")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                found.stats()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the stand-in Internet.nl server did not start") from None
                time.sleep(0.1)
        yield found
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a held answer keeps uvicorn from stopping
            proc.kill()
            proc.wait(timeout=10)


def environment(database: str, api: StandIn, **settings: object) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("METING_")}
    env |= {"METING_CONFIG": "/nonexistent/meting.toml", "METING_DATABASE": database,
            "METING_INTERNETNL_URL": api.url, "METING_INTERNETNL_USER": "meting",
            "METING_INTERNETNL_PASSWORD": PASSWORD, "METING_INTERNETNL_POLL": "0.02",
            "METING_INTERNETNL_POLL_MAX": "0.2", "METING_INTERNETNL_RETRIES": "6",
            "COLUMNS": "250"}
    env |= {f"METING_{k.upper()}": str(v) for k, v in settings.items()}
    return env


def meting(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(METING), *args], env=env, capture_output=True, text=True,
                          timeout=600, check=False)


def registry(count: int, set_name: str) -> list[ListEntry]:
    """``count`` municipal domains in ``set_name``, a hundred per organisation."""
    return [entry(f"gemeente{n:05d}.nl", f"Gemeente {n // 100:03d}", sets=(set_name,),
                  line=n + 2) for n in range(count)]


def json_of(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    return found
