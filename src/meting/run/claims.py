"""Which runner process of a round on this machine takes a test.

``meting run`` splits a round into parts, one per process, by the domain's CRC-32. The
parts are never equal in work (the domains differ, and so do the servers they share), so
one process used to finish minutes before the other and leave its core idle. With claims,
a process that has started all its own tests goes on with the tests of the other parts
that nobody has started yet.

A claim is a file named after the test's id in a directory the command makes for its
processes: the process that creates it first (``O_CREAT | O_EXCL``, atomic on a local file
system) runs the test, every other process skips it. A claim says only who started a test,
never that it is done: the store stays the one record of that. A test claimed by a process
that was stopped or killed before it stored a result stays pending, and the next
``meting run --round ID`` (with a new directory) runs it.

The command holds a lock on its directory while it runs (``held_directory``). A command
that was killed cannot remove its directory, so the next command removes every claims
directory whose lock nobody holds any more (``remove_abandoned``): on a file system in
memory, a killed 10,000-domain round would otherwise keep its empty files until reboot.
A lock, not a process id, because a process id may be reused or belong to another
container's processes.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PREFIX = "meting-round-"
SUFFIX = "-claims"
LOCK = ".held"
# A directory is made before its lock is taken: one younger than this is left alone,
# even when its lock is free (its command may be about to take it).
GRACE_SECONDS = 60.0


class Claims:
    """The claims of one command's runner processes on one round."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def take(self, test_id: int) -> bool:
        """Claim the test; False when another process of the round claimed it first."""
        try:
            handle = os.open(self._path(test_id), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            return False
        os.close(handle)
        return True

    def taken(self, test_id: int) -> bool:
        """Has a process of the round claimed the test?"""
        return self._path(test_id).exists()

    def _path(self, test_id: int) -> Path:
        return self.directory / str(test_id)


@contextmanager
def held_directory(round_id: int, base: str | None) -> Iterator[str]:
    """A new claims directory in ``base`` (None: the system's temporary directory), locked
    while the block runs and removed after it; abandoned ones are removed first."""
    parent = base if base is not None else tempfile.gettempdir()
    remove_abandoned(Path(parent))
    directory = tempfile.mkdtemp(prefix=f"{PREFIX}{round_id}-", suffix=SUFFIX, dir=parent)
    lock = os.open(os.path.join(directory, LOCK), os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # helpers forked later share it; it ends with all
        yield directory
    finally:
        os.close(lock)
        shutil.rmtree(directory, ignore_errors=True)


def remove_abandoned(parent: Path) -> list[Path]:
    """Remove the claims directories in ``parent`` that no running command holds; the
    ones removed."""
    removed = []
    for directory in parent.glob(f"{PREFIX}*{SUFFIX}"):
        if directory.is_dir() and not directory.is_symlink() and _abandoned(directory):
            shutil.rmtree(directory, ignore_errors=True)
            removed.append(directory)
    return removed


def _abandoned(directory: Path) -> bool:
    """Old enough and its lock free (or never made: killed while being made)."""
    try:
        made = directory.stat()
        if made.st_uid != os.geteuid() or time.time() - made.st_mtime <= GRACE_SECONDS:
            return False  # another user's, or perhaps not yet locked by its command
        lock = os.open(directory / LOCK, os.O_RDONLY)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # held: its command runs
    finally:
        os.close(lock)
    return True
