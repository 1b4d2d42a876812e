"""What the benchmarks read of a running process from /proc: CPU time and peak memory."""

from __future__ import annotations

import os
from pathlib import Path


def high_water_mib(pid: int) -> float:
    """A process's peak resident memory so far (VmHWM), 0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), "VmHWM: 0 kB")
    return int(line.split()[1]) / 1024


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far, 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    """A process and all its descendants that are alive now."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(c) for c in task.read_text().split()]
            except OSError:
                continue
    return found


def resident_mib(pid: int) -> float:
    """A process's resident memory now (VmRSS), 0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    line = next((x for x in status.splitlines() if x.startswith("VmRSS:")), "VmRSS: 0 kB")
    return int(line.split()[1]) / 1024


def namespace_cpu_seconds(names: list[str]) -> float:
    """CPU time (user and system, with that of reaped children) of every process now in
    one of these network namespaces (``ip netns`` names): a lab's servers."""
    wanted = set()
    for name in names:
        try:
            wanted.add(f"net:[{os.stat(f'/run/netns/{name}').st_ino}]")
        except OSError:
            continue
    total = 0
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if os.readlink(entry / "ns/net") not in wanted:
                continue
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15])
    return total / os.sysconf("SC_CLK_TCK")


def lab_namespaces(scanner: str) -> list[str]:
    """The lab's namespaces (its prefix: the scanner's up to the first hyphen), the
    scanner's apart."""
    prefix = scanner.split("-", 1)[0] + "-"
    try:
        names = os.listdir("/run/netns")
    except OSError:
        return []
    return [n for n in names if n.startswith(prefix) and n != scanner]


OPEN_STATES = {"01", "02", "08"}  # ESTABLISHED, SYN_SENT, CLOSE_WAIT: still held


def _address(hex_address: str) -> str:
    import ipaddress

    raw = bytes.fromhex(hex_address)
    # /proc/net/tcp* print the address as 32-bit words in the machine's (little) order
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(words))


def open_connections(pid: int) -> dict[str, int]:
    """TCP connections being opened or open now in ``pid``'s network namespace, by the
    remote address."""
    found: dict[str, int] = {}
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 3 and fields[3] in OPEN_STATES:
                address = _address(fields[2].split(":")[0])
                found[address] = found.get(address, 0) + 1
    return found
