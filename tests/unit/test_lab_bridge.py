"""The bridge of ``meting lab serve``: TCP on loopback to a Unix socket, both ways; a port
that is taken is one clear error."""

from __future__ import annotations

import socket
import socketserver
import threading
from pathlib import Path

import pytest

from meting.lab.bridge import Bridge
from meting.lab.netns import LabError


class Shouting(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        for line in self.rfile:
            self.wfile.write(line.upper())


def test_the_bridge_carries_a_conversation_both_ways(tmp_path: Path) -> None:
    path = tmp_path / "server.sock"
    with socketserver.ThreadingUnixStreamServer(str(path), Shouting) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        bridge = Bridge(path)
        try:
            with socket.create_connection(("127.0.0.1", bridge.port), timeout=10) as tcp:
                for word in (b"hallo\n", b"meting\n"):
                    tcp.sendall(word)
                    assert tcp.makefile("rb").readline() == word.upper()
        finally:
            bridge.close()
            server.shutdown()


def test_a_taken_port_is_one_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(LabError, match=f"cannot listen on 127.0.0.1 port {port}"):
            Bridge(tmp_path / "none.sock", "127.0.0.1", port)


def test_a_server_that_is_not_listening_closes_the_connection(tmp_path: Path) -> None:
    bridge = Bridge(tmp_path / "nobody.sock")
    try:
        with socket.create_connection(("127.0.0.1", bridge.port), timeout=10) as tcp:
            assert tcp.recv(10) == b""
    finally:
        bridge.close()


@pytest.mark.parametrize(("host", "port", "why"), [
    ("127.0.0.1", 70000, "port must be 0-65535"), ("no-such-host.invalid", 0, "")])
def test_a_port_or_host_that_cannot_be_is_one_clear_error_not_a_hang(
        tmp_path: Path, host: str, port: int, why: str) -> None:
    with pytest.raises(LabError, match=f"cannot listen on {host} port {port}: .*{why}"):
        Bridge(tmp_path / "none.sock", host, port)
