"""Delay every packet a network namespace sends by a fixed time, in user space.

Not a test. For kernels without netem (``tc qdisc … netem delay``): iptables and
ip6tables hand every outgoing packet of the namespace (loopback apart) to NFQUEUE, and
this program gives each its verdict ``MS`` milliseconds later, in the order they came.
Every round trip that starts in the namespace gets ``MS`` longer. ``--queue-bypass``
lets packets through unqueued if the program is gone, so a killed delayer never cuts
the namespace off. Run it inside the namespace (``ip netns exec NS python delay.py MS``);
it removes its rules when stopped (SIGTERM or Ctrl-C).

Needs iptables and the Python package netfilterqueue (libnetfilter-queue); bench only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import subprocess
from typing import Any

from netfilterqueue import NetfilterQueue

QUEUE = 20
MAX_QUEUED = 65536  # packets held at once (kernel side)


def rules(action: str) -> None:
    for tool in ("iptables", "ip6tables"):
        subprocess.run([tool, action, "OUTPUT", "!", "-o", "lo", "-j", "NFQUEUE",
                        "--queue-num", str(QUEUE), "--queue-bypass"], check=action == "-I",
                       capture_output=True)


async def delay(ms: float) -> None:
    loop = asyncio.get_running_loop()
    queue = NetfilterQueue()
    held = 0
    late = [0.0, 0.0]  # the sum and the most of how much later than MS packets went

    def packet(pkt: Any) -> None:
        nonlocal held
        pkt.retain()
        held += 1
        loop.call_later(ms / 1000, release, pkt, loop.time())

    def release(pkt: Any, received: float) -> None:
        pkt.accept()
        extra = loop.time() - received - ms / 1000
        late[0] += extra
        late[1] = max(late[1], extra)

    queue.bind(QUEUE, packet, max_len=MAX_QUEUED)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_reader(queue.get_fd(), lambda: queue.run(block=False))
    rules("-I")
    print(f"delaying outgoing packets by {ms:g} ms", flush=True)
    try:
        await stop.wait()
    finally:
        rules("-D")
        loop.remove_reader(queue.get_fd())
        await asyncio.sleep(ms / 1000 * 2)  # let the held packets go
        with contextlib.suppress(Exception):
            queue.unbind()
        mean = late[0] / held * 1000 if held else 0.0
        print(f"{held} packets delayed, {mean:.2f} ms later than asked on average, "
              f"{late[1] * 1000:.1f} ms at most (this program's own lag)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("ms", type=float)
    asyncio.run(delay(parser.parse_args().ms))


if __name__ == "__main__":
    main()
