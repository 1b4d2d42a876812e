"""Storing a round's outcomes beside its event loop, in one thread of their own.

The loop of a round also times every exchange with the servers: a politeness slot is
given back when the loop sees the exchange end. Storing an outcome (compressing its
evidence, one transaction) takes milliseconds, and with several runner processes on one
SQLite file a commit can wait for another process's write lock; done in the loop, that
wait held every slot of the process a little longer (measured at 50 ms round trips:
about 9 ms per stored test and loop stalls up to half a second). Here the writes run in
order in one thread, which lets go of Python's lock while the database waits or writes.

The guarantees stay: each outcome is committed in its own transaction, in the order
reported, before ``on_stored`` is told (so nothing counts before it is stored); a
finished test whose write had not run when the round stopped simply stays pending and
runs again; a failed write stops the round with that failure.

A database of one shared connection (SQLite in memory) is written in the loop itself:
its one connection cannot hold two transactions at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from meting.run.executor import Outcome
from meting.store import Store

Stored = Callable[[Outcome, bool], None]  # an outcome, and whether it was newly stored
BACKLOG = 64  # writes waiting at most; beyond, the loop waits (a slow database slows tests)


class ResultWriter:
    """Stores outcomes as ``report`` hands them in, then tells ``on_stored`` in the loop."""

    def __init__(self, store: Store, on_stored: Stored, stop: Callable[[], None]) -> None:
        self.store = store
        self.on_stored = on_stored
        self.stop = stop  # stops the round (cancels its task) when a write failed
        self.failure: BaseException | None = None
        self._pool = (None if store.one_connection
                      else ThreadPoolExecutor(1, thread_name_prefix="meting-store"))
        self._writes: set[asyncio.Future[bool]] = set()
        self._handed: set[Future[bool]] = set()  # the same writes, as the thread sees them

    def report(self, outcome: Outcome) -> None:
        """Store ``outcome`` (in the thread, or here for a one-connection database)."""
        if self.failure is not None:
            return  # the round is stopping; this test stays pending
        if outcome.saved:
            self.on_stored(outcome, True)
            return
        if self._pool is None:
            self.on_stored(outcome, self._save(outcome))
            return
        if len(self._handed) >= BACKLOG:
            wait(set(self._handed), return_when=FIRST_COMPLETED)
        handed = self._pool.submit(self._save, outcome)
        self._handed.add(handed)
        handed.add_done_callback(self._handed.discard)
        write = asyncio.wrap_future(handed)
        self._writes.add(write)
        write.add_done_callback(lambda done: self._written(outcome, done))

    def _save(self, outcome: Outcome) -> bool:
        return self.store.save_result(
            outcome.test.test_id, outcome.evidence, outcome.judged, attempts=outcome.attempts,
            raw=outcome.raw, raw_checked=outcome.raw_checked)

    def _written(self, outcome: Outcome, write: asyncio.Future[bool]) -> None:
        self._writes.discard(write)
        if write.cancelled():
            return
        failure = write.exception()
        if failure is None:
            try:
                self.on_stored(outcome, write.result())
            except Exception as exc:  # as if raised where the outcome was reported
                failure = exc
        if failure is not None and self.failure is None:
            self.failure = failure
            self.stop()

    async def drain(self) -> None:
        """Wait for every write handed in so far; raise the first failure."""
        while self._writes:
            await asyncio.wait(set(self._writes))
        self.raise_failure()

    def raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure

    def close(self) -> None:
        """Let the writes already handed in finish (they are finished tests), then end."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
