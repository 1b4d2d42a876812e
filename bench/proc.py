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


OPEN_STATES = (1, 2, 8)  # ESTABLISHED, SYN_SENT, CLOSE_WAIT: still held
SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, NLM_F_DUMP, NLMSG_ERROR, NLMSG_DONE = 20, 1, 0x300, 2, 3
NETLINK_SOCK_DIAG, CLONE_NEWNET = 4, 0x40000000


def enter_namespace(name: str) -> None:
    """Move the calling thread (only it) into the named network namespace (Python 3.11
    has no ``os.setns``)."""
    import ctypes

    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
    finally:
        os.close(fd)


class OpenConnections:
    """TCP connections being opened or open, by remote address, as the kernel's socket
    diagnostics dump them (what ``ss`` reads): filtered by state in the kernel and taken
    in a few milliseconds, where reading /proc/net/tcp* formats every socket, those in
    TIME_WAIT included, and took ~0.1 s in a busy round, long enough for a connection
    closed and its successor opened meanwhile both to be counted. Make it in a thread
    that entered the scanner's namespace (``enter_namespace``)."""

    def __init__(self) -> None:
        import socket

        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_SOCK_DIAG)

    def close(self) -> None:
        self.sock.close()

    def now(self) -> dict[str, int]:
        import socket

        found: dict[str, int] = {}
        for family in (socket.AF_INET, socket.AF_INET6):
            for state, dst in self._dump(family):
                if state in OPEN_STATES:
                    size = 4 if family == socket.AF_INET else 16
                    address = socket.inet_ntop(family, dst[:size])
                    found[address] = found.get(address, 0) + 1
        return found

    def _dump(self, family: int) -> list[tuple[int, bytes]]:
        import socket
        import struct

        states = sum(1 << s for s in OPEN_STATES)
        request = struct.pack("=BBBBI48x", family, socket.IPPROTO_TCP, 0, 0, states)
        header = struct.pack("=IHHII", 16 + len(request), SOCK_DIAG_BY_FAMILY,
                             NLM_F_REQUEST | NLM_F_DUMP, 1, 0)
        self.sock.send(header + request)
        found = []
        while True:
            data = self.sock.recv(1 << 20)
            at = 0
            while at + 16 <= len(data):
                length, kind = struct.unpack_from("=IH", data, at)
                if kind == NLMSG_DONE:
                    return found
                if kind == NLMSG_ERROR:
                    raise OSError("sock_diag dump failed")
                body = at + 16  # inet_diag_msg: family, state, timer, retrans, sockid
                found.append((data[body + 1], data[body + 24:body + 40]))
                at += (length + 3) & ~3
