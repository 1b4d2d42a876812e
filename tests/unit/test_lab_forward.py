"""`meting lab exec` passes the signals sent to it on to the command it runs (real
processes: a wrapper running a child that records the signal it gets and exits)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHILD = """
import signal, sys, time, pathlib
out = pathlib.Path(sys.argv[1])
def stop(signum, frame):
    out.write_text(signal.Signals(signum).name)
    sys.exit(7)
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(s, stop)
out.write_text("ready")
time.sleep(60)
"""
WRAPPER = """
import sys
from meting.lab.forward import run_forwarding
sys.exit(run_forwarding([sys.executable, "-c", sys.argv[1], sys.argv[2]]))
"""


@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_to_the_wrapper_reaches_the_child(tmp_path: Path,
                                                   sent: signal.Signals) -> None:
    out = tmp_path / "child.txt"
    wrapper = subprocess.Popen([sys.executable, "-c", WRAPPER, CHILD, str(out)])
    deadline = time.monotonic() + 30
    while not (out.exists() and out.read_text() == "ready"):
        assert time.monotonic() < deadline and wrapper.poll() is None
        time.sleep(0.05)
    wrapper.send_signal(sent)
    assert wrapper.wait(timeout=30) == 7  # the child's own exit status, after its handler
    assert out.read_text() == sent.name


def test_a_child_killed_by_a_signal_is_reported_as_a_shell_does(tmp_path: Path) -> None:
    from meting.lab.forward import run_forwarding

    assert run_forwarding(["sh", "-c", "kill -KILL $$"]) == 128 + signal.SIGKILL
    assert run_forwarding(["sh", "-c", "exit 3"]) == 3
