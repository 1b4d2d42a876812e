"""A child process that gets the signals sent to its parent (`meting lab exec`).

`kill -TERM` to the wrapper would otherwise end the wrapper and orphan the command it
runs (e.g. a round). Signals a terminal sends (Ctrl-C) reach the whole foreground
process group, the child included, and are not sent again: the wrapper tells them apart
by their origin (``si_code``: the kernel, not a process's ``kill``).
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Mapping, Sequence

FORWARDED = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT})
SI_KERNEL = 0x80  # si_code of a signal the kernel (a terminal) raised
POLL_SECONDS = 0.2


def run_forwarding(argv: Sequence[str], env: Mapping[str, str] | None = None) -> int:
    """Run ``argv`` to its end, passing on the signals sent to this process; its exit status
    (128 + N when a signal N ended it, as a shell reports it)."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED)
    try:
        child = subprocess.Popen(list(argv), env=env,
                                 preexec_fn=lambda: signal.pthread_sigmask(
                                     signal.SIG_SETMASK, old))
        while child.poll() is None:
            info = signal.sigtimedwait(FORWARDED, POLL_SECONDS)
            if info is not None and info.si_code != SI_KERNEL:
                try:
                    child.send_signal(info.si_signo)
                except ProcessLookupError:
                    break
        code = child.wait()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
    return 128 - code if code < 0 else code
