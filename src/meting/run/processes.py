"""One round on several runner processes of this machine (``meting run`` on every core).

Python runs one thread at a time and the TLS library never lets go of that lock during
a handshake, so one process uses one core however many tests it has in flight. The
command therefore forks P-1 helper processes, each running part I/P of the round as
``meting run --round ID --part I/P`` would, and runs part 0 itself; the store takes each
result once. A helper is forked, not started afresh: it begins with meting and its
libraries loaded, which cost a new process some two seconds of CPU before its first
test. Nothing shared crosses the fork: the command closes its database connections first
(the helper opens its own), no thread and no event loop runs yet, and the helper's
standard streams are its own (output discarded, errors to a log the command reads).

Each part gets 1/P of the concurrency and of the per-address limit, so the round as a
whole keeps the politeness settings. The parts are never equal in work: a process that
has started all its own tests takes the other parts' tests that nobody started yet,
through claims in a directory the command makes for the round's processes
(``meting.run.claims``; in memory where the machine has a file system there), so that no
core idles while another still has tests waiting.

Stopping keeps the single-process guarantees: Ctrl-C or SIGTERM stops the helpers the
same way (the round is marked interrupted); a killed command takes its helpers with it
(the kernel kills them when their parent dies), so the round stays ``running``, as a
killed single process leaves it. Either way ``meting run --round ID`` continues it.
"""

from __future__ import annotations

import ctypes
import dataclasses
import math
import multiprocessing
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType
from typing import IO

from meting.errors import OperationError
from meting.run.claims import held_directory
from meting.run.round import Part, RoundInterrupted
from meting.settings import Settings
from meting.store import RoundInfo, Store

# Below this many pending tests per process, a process costs more than it saves.
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


RunPart = Callable[[Settings, "Part"], int]  # runs a part here with its settings; exit status
# Where claims are made: a file system in memory where the machine has one, so that a
# claim (a file created per test) costs no disk journal: 0.01 ms there, 0.2 ms on ext4.
MEMORY_FILE_SYSTEM = Path("/dev/shm")


def claims_base() -> str | None:
    """The directory to make a round's claims directory in (None: the default)."""
    usable = MEMORY_FILE_SYSTEM.is_dir() and os.access(MEMORY_FILE_SYSTEM, os.W_OK | os.X_OK)
    return str(MEMORY_FILE_SYSTEM) if usable else None


def _die_with_parent() -> None:
    """In a helper before it starts: the kernel kills it when the command dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _own_streams(log: int) -> None:
    """A helper's standard streams: no input, output discarded, errors to ``log``. New
    text streams too, so that nothing the command had not yet written is written here."""
    null = os.open(os.devnull, os.O_RDWR)
    for target, source in ((0, null), (1, null), (2, log)):
        os.dup2(source, target)
    os.close(null)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115 (the process's)
    sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace",  # noqa: SIM115
                      buffering=1, closefd=False)


def _helper(run_part: RunPart, settings: Settings, part: Part, log: int,
            command: int) -> None:
    """A forked helper's life: its part of the round, then its exit status."""
    if sys.platform == "linux":
        _die_with_parent()
        if os.getppid() != command:  # the command died before the helper could follow it
            os._exit(1)
    _own_streams(log)
    sys.exit(run_part(settings, part))


class Helpers:
    """The helper processes of parts 1..P-1 of a round, forked from the command."""

    def __init__(self, of: int, claims: str, run_part: RunPart, settings: Settings) -> None:
        self.of = of
        self.logs: list[IO[bytes]] = []
        self.procs: list[BaseProcess] = []
        forking = multiprocessing.get_context("fork")
        for index in range(1, of):
            log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
            self.logs.append(log)
            proc = forking.Process(target=_helper, name=f"meting-runner-{index + 1}",
                                   args=(run_part, settings, Part(index, of, claims),
                                         log.fileno(), os.getpid()))
            proc.start()
            self.procs.append(proc)

    def running(self) -> bool:
        return any(p.is_alive() for p in self.procs)

    def stop(self) -> None:
        """Ask each helper to stop as Ctrl-C would (its round marked interrupted)."""
        for proc in self.procs:
            if proc.is_alive():
                proc.terminate()  # SIGTERM
        deadline = time.monotonic() + STOP_WAIT
        for proc in self.procs:
            proc.join(timeout=max(0.1, deadline - time.monotonic()))
            if proc.exitcode is None:
                proc.kill()
                proc.join()

    def failure(self) -> str | None:
        """What went wrong in a helper that ended badly (not by a stop), if one did."""
        for index, (proc, log) in enumerate(zip(self.procs, self.logs, strict=True), 1):
            if proc.exitcode not in (0, 130, -signal.SIGTERM):
                log.seek(0)
                lines = log.read().decode("utf-8", "replace").strip().splitlines()
                return (f"runner process {index + 1} of {self.of} ended with exit status "
                        f"{proc.exitcode}: {lines[-1] if lines else 'no message'}")
        return None

    def close(self) -> None:
        for proc in self.procs:
            proc.close()
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
              run_own: Callable[[Settings, Part], RoundInfo], run_helper: RunPart,
              follow: Callable[[], None],
              shown: Callable[[], AbstractContextManager[object]]) -> RoundInfo:
    """Run part 0 here (``run_own``) and parts 1..of-1 in forked helpers (``run_helper``),
    each with its share of the settings; the round at the end. ``follow`` is called as
    the helpers' results come in (it reads them from the store); ``shown``: the progress
    display, started once the helpers are (its thread must not be running at a fork)."""
    with held_directory(info.id, claims_base()) as claims:
        part_settings = share(settings, of)
        store.close_connections()
        helpers = Helpers(of, claims, run_helper, part_settings)
        with shown():
            return _run_parts(store, info, part_settings, Part(0, of, claims), helpers,
                              run_own, follow)


def _run_parts(store: Store, info: RoundInfo, part_settings: Settings, own: Part,
               helpers: Helpers, run_own: Callable[[Settings, Part], RoundInfo],
               follow: Callable[[], None]) -> RoundInfo:
    try:
        run_own(part_settings, own)
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
        failed = helpers.failure()  # read from its log before the log is closed
        helpers.close()
    done = store.round(info.id)
    if done.pending == 0 and done.state != "finished":
        store.set_round_state(info.id, "finished")
        done = store.round(info.id)
    if failed:
        raise OperationError(f"{failed}; every result stored is kept; continue the round "
                             f"with meting run --round {info.id}")
    return done
