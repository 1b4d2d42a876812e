"""Linux network namespaces: the lab's hosts, one switch, veth links.

Every namespace the lab makes carries the lab's prefix, so that a stale lab of
ours can be found and cleared without touching anything else on the machine.
The hosts share one layer-2 segment (a bridge in the switch namespace); none has
a route or a link to the root namespace, so lab traffic cannot leave the lab.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

NETNS_DIR = Path("/var/run/netns")
SWITCH = "sw"
IPV4_PREFIXLEN = 15  # 198.18.0.0/15, the benchmarking range (RFC 2544)
IPV6_PREFIXLEN = 32  # 2001:db8::/32, the documentation range (RFC 3849)
# The probes refuse special-purpose addresses (probe/guard.py); the lab's scanner is
# told to allow these two, and only the lab is.
LAB_NETWORKS = "198.18.0.0/15,2001:db8::/32"


class LabError(RuntimeError):
    """The lab cannot be built or used; the message says what to do."""


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


def ns_name(prefix: str, host: str) -> str:
    return f"{prefix}{host}"


def existing(prefix: str) -> list[str]:
    """Names of the namespaces that carry this prefix."""
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(prefix))


def exec_argv(ns: str, argv: Sequence[str]) -> list[str]:
    return ["ip", "netns", "exec", ns, *argv]


def run_in(ns: str, argv: Sequence[str], check: bool = True,
           timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run a command inside a namespace and wait for it."""
    return subprocess.run(exec_argv(ns, argv), check=check, capture_output=True,
                          text=True, timeout=timeout)


def spawn_in(ns: str, argv: Sequence[str], log: Path,
             env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start a long-running server inside a namespace, detached from our session."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(exec_argv(ns, argv), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                env={**os.environ, **(env or {})})


def pids_in(ns: str) -> list[int]:
    result = ip("netns", "pids", ns, check=False)
    return [int(p) for p in result.stdout.split() if p.strip().isdigit()]


def kill_all_in(ns: str, grace: float = 3.0) -> None:
    """Stop every process in a namespace: TERM, then KILL what is left."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = pids_in(ns)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and pids_in(ns):
            time.sleep(0.05)


def create_switch(prefix: str) -> None:
    sw = ns_name(prefix, SWITCH)
    ip("netns", "add", sw)
    ip("-n", sw, "link", "add", "br0", "type", "bridge")
    ip("-n", sw, "link", "set", "br0", "up")
    ip("-n", sw, "link", "set", "lo", "up")


def add_host(prefix: str, host: str, addresses: Sequence[str]) -> None:
    """Create a host namespace, link it to the switch and give it its addresses."""
    ns, sw = ns_name(prefix, host), ns_name(prefix, SWITCH)
    ip("netns", "add", ns)
    port = f"v-{host}"[:15]
    ip("-n", sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns)
    ip("-n", sw, "link", "set", port, "master", "br0")
    ip("-n", sw, "link", "set", port, "up")
    ip("-n", ns, "link", "set", "lo", "up")
    # Neighbour tables must hold every lab address on the one segment.
    for family in ("ipv4", "ipv6"):
        for knob in ("gc_thresh1", "gc_thresh2", "gc_thresh3"):
            subprocess.run(exec_argv(ns, ["sysctl", "-q", "-w",
                                          f"net.{family}.neigh.default.{knob}=65536"]),
                           check=False, capture_output=True)
    batch = []
    for addr in addresses:
        if ":" in addr:
            batch.append(f"addr add {addr}/{IPV6_PREFIXLEN} dev eth0 nodad")
        else:
            batch.append(f"addr add {addr}/{IPV4_PREFIXLEN} dev eth0")
    batch.append("link set eth0 up")
    subprocess.run(["ip", "-n", ns, "-batch", "-"], input="\n".join(batch) + "\n",
                   check=True, capture_output=True, text=True)


def delete_all(prefix: str) -> list[str]:
    """Kill every process in our namespaces and delete them; returns what was removed."""
    names = existing(prefix)
    for ns in names:
        kill_all_in(ns)
    for ns in names:
        ip("netns", "delete", ns, check=False)
    return names
