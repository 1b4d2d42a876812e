"""How the suite is shared out over pytest-xdist's two workers (``-n 2`` in pyproject's
addopts).

Every lab test goes to one worker, in the order collected: they share one session lab
(tests/lab/conftest.py), one set of network namespaces that two workers must not build
twice. The tests of every other module stay together on a worker, so that a module's
fixtures are made once, and run on the other worker while the lab tests run: much of a lab
test's time is waiting for servers and timeouts, most unit, store and web tests' is CPU.

(xdist's own ``--dist loadgroup`` would say the same with marks, but with pytest 9 it
groups nothing: it renames the items through an attribute pytest no longer reads.)
"""

from __future__ import annotations

import os
import signal
from typing import Any

import pytest

LAB = "tests/lab/"

# xdist starts its workers with COLUMNS=80, and a Rich console made at import then keeps
# that width for good, so tests that ask for a wide table (env COLUMNS) got a cut one
os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)

# A shell without job control starts a background command (`cmd &`) with SIGINT ignored,
# and every process inherits that: the `meting run` processes of the Ctrl-C tests then
# never see their Ctrl-C (Python leaves an ignored SIGINT ignored). Take Python's default.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    from xdist.scheduler import LoadScopeScheduling

    class LabApart(LoadScopeScheduling):  # type: ignore[misc]
        """Modules as units of work, all lab modules as one, handed out first (the lab's
        tests are the longest part of the suite)."""

        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return LAB if module.startswith(LAB) else module

        def _assign_work_unit(self, node: Any) -> None:
            if LAB in self.workqueue:
                self.workqueue.move_to_end(LAB, last=False)
            super()._assign_work_unit(node)

    return LabApart(config, log)
