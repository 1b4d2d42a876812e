"""Python's garbage collector during a round on this machine.

A runner process holds a large, long-lived heap from the start (meting, its libraries,
the norms, the round's plan), and the collector's full passes walk all of it: measured
in a 300-domain round, about ten full passes per runner of up to 170 ms each, during
which the event loop stood still and every politeness slot it should have given back
stayed held. So once the round is set up, the objects alive then are frozen (never
walked again while the round runs) and the youngest generation is collected less often;
cycles made while the round runs are still collected.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

YOUNGEST = 7000  # allocations between collections of the youngest generation (Python: 700)


@contextlib.contextmanager
def round_collection() -> Iterator[None]:
    """Freeze what is alive now and collect young objects less often, until the end."""
    before = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNGEST, before[1], before[2])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
