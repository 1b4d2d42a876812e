"""One round on several runner processes of this machine (``meting run`` on every core).

Python runs one thread at a time and the TLS library never lets go of that lock during
a handshake, so one process uses one core however many tests it has in flight. The
command therefore starts P-1 helper processes (``meting run --round ID --part I/P``) and
runs part 0 itself; the store takes each result once. Each part gets 1/P of the
concurrency and of the per-address limit, so the round as a whole keeps the politeness
settings. The parts are never equal in work: a process that has started all its own
tests takes the other parts' tests that nobody started yet, through claims in a directory
the command makes for the round's processes (``meting.run.claims``), so that no core
idles while another still has tests waiting.

Stopping keeps the single-process guarantees: Ctrl-C or SIGTERM stops the helpers the
same way (the round is marked interrupted); a killed command takes its helpers with it
(the kernel kills them when their parent dies), so the round stays ``running``, as a
killed single process leaves it. Either way ``meting run --round ID`` continues it.
"""

from __future__ import annotations

import ctypes
import dataclasses
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import IO

from meting.errors import OperationError
from meting.run.round import Part, RoundInterrupted
from meting.settings import Settings
from meting.store import RoundInfo, Store

# Below this many pending tests per process, starting a process (about a second of CPU
# to import meting) costs more than it saves.
MIN_TESTS_PER_PROCESS = 25
_PR_SET_PDEATHSIG = 1
STOP_WAIT = 60.0  # seconds a stopped helper may take to mark its tests and leave


def how_many(settings: Settings, pending: int) -> int:
    """Runner processes for a round with this many pending tests."""
    wanted = settings.processes or os.cpu_count() or 1
    return max(1, min(wanted, math.ceil(pending / MIN_TESTS_PER_PROCESS)))


def share(settings: Settings, of: int) -> Settings:
    """One part's settings: 1/P of the tests at once and of the exchanges per address."""
    return dataclasses.replace(settings, concurrency=max(1, settings.concurrency // of),
                               per_address=max(1, settings.per_address // of))


def _die_with_parent() -> None:
    """In a helper before it starts: the kernel kills it when the command dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class Helpers:
    """The helper processes of parts 1..P-1 of a round."""

    def __init__(self, round_id: int, of: int, concurrency: int, claims: str) -> None:
        self.round_id, self.of = round_id, of
        self.logs: list[IO[bytes]] = []
        self.procs: list[subprocess.Popen[bytes]] = []
        for index in range(1, of):
            log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
            argv = [sys.executable, "-m", "meting.cli", "run", "--round", str(round_id),
                    "--part", f"{index}/{of}", "--concurrency", str(concurrency),
                    "--claims", claims]
            self.logs.append(log)
            self.procs.append(subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None))

    def running(self) -> bool:
        return any(p.poll() is None for p in self.procs)

    def stop(self) -> None:
        """Ask each helper to stop as Ctrl-C would (its round marked interrupted)."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_WAIT
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def failure(self) -> str | None:
        """What went wrong in a helper that ended badly (not by a stop), if one did."""
        for index, (proc, log) in enumerate(zip(self.procs, self.logs, strict=True), 1):
            if proc.returncode not in (0, 130, -signal.SIGTERM):
                log.seek(0)
                lines = log.read().decode("utf-8", "replace").strip().splitlines()
                return (f"runner process {index + 1} of {self.of} ended with exit status "
                        f"{proc.returncode}: {lines[-1] if lines else 'no message'}")
        return None

    def close(self) -> None:
        for log in self.logs:
            log.close()


@contextmanager
def _stop_on_sigterm() -> Iterator[None]:
    """SIGTERM while waiting for the helpers stops the round as Ctrl-C does."""
    def interrupt(_signal: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt
    before = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def run_parts(store: Store, info: RoundInfo, settings: Settings, of: int,
              run_own: Callable[[Settings, Part], RoundInfo],
              follow: Callable[[], None]) -> RoundInfo:
    """Run part 0 here (``run_own``) and parts 1..of-1 in helpers; the round at the end.
    ``follow`` is called as the helpers' results come in (it reads them from the store)."""
    with tempfile.TemporaryDirectory(prefix=f"meting-round-{info.id}-claims-") as claims:
        return _run_parts(store, info, settings, of, run_own, follow, claims)


def _run_parts(store: Store, info: RoundInfo, settings: Settings, of: int,
               run_own: Callable[[Settings, Part], RoundInfo], follow: Callable[[], None],
               claims: str) -> RoundInfo:
    part_settings = share(settings, of)
    helpers = Helpers(info.id, of, settings.concurrency, claims)  # each takes its share
    try:
        run_own(part_settings, Part(0, of, claims))
        with _stop_on_sigterm():
            while helpers.running():
                follow()
                time.sleep(0.5)
    except (KeyboardInterrupt, RoundInterrupted):
        helpers.stop()
        store.set_round_state(info.id, "interrupted")
        raise RoundInterrupted(store.round(info.id)) from None
    finally:
        helpers.stop()
        helpers.close()
    failed = helpers.failure()
    done = store.round(info.id)
    if done.pending == 0 and done.state != "finished":
        store.set_round_state(info.id, "finished")
        done = store.round(info.id)
    if failed:
        raise OperationError(f"{failed}; every result stored is kept; continue the round "
                             f"with meting run --round {info.id}")
    return done
