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
"""

from __future__ import annotations

import os
from pathlib import Path


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
