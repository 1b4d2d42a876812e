"""TCP on the machine's loopback to a Unix socket, in a thread of its own.

The dashboard that runs inside the lab's scanner namespace (so that the re-tests and
rounds it starts reach the lab's servers) cannot be reached over the network from the
machine: the lab has no link to it. It listens on a Unix socket instead, which both
sides see in the file system, and this bridge makes it reachable for a browser.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from pathlib import Path

from meting.lab.netns import LabError

CHUNK = 65536


class Bridge:
    """Listens on ``host``:``port`` (0: a free port, then in ``port``) and passes every
    connection on to the Unix socket ``socket_path``, both ways, until ``close``."""

    def __init__(self, socket_path: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.socket_path = str(socket_path)
        self.host, self.port = host, port
        self._failed: Exception | None = None
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._failed is not None:
            self._thread.join()
            raise LabError(f"cannot listen on {host} port {port}: {_why(self._failed)}")

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            server = self._loop.run_until_complete(
                asyncio.start_server(self._pipe, self.host, self.port))
        except Exception as exc:  # any failure must end the wait in __init__
            self._failed = exc  # e.g. a taken port, no such host, a port past 65535
            self._ready.set()
            self._loop.close()
            return
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()
        open_pipes = asyncio.all_tasks(self._loop)
        for task in open_pipes:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*open_pipes, return_exceptions=True))
        self._loop.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            back_reader, back_writer = await asyncio.open_unix_connection(self.socket_path)
        except OSError:  # the server is not listening (yet, or any more)
            writer.close()
            return
        try:
            await asyncio.gather(_copy(reader, back_writer), _copy(back_reader, writer))
        finally:  # also when the bridge closes with the conversation still open
            for end in (writer, back_writer):
                with contextlib.suppress(OSError, RuntimeError):
                    end.close()

    def close(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)


def _why(exc: Exception) -> str:
    """The system's words for a failed bind ('Address already in use'), not asyncio's
    sentence around them; a resolver's or Python's own message as it is."""
    errno = getattr(exc, "errno", None)
    return os.strerror(errno) if isinstance(errno, int) and errno > 0 else str(exc)


async def _copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, ConnectionError):
        while data := await source.read(CHUNK):
            sink.write(data)
            await sink.drain()
    with contextlib.suppress(OSError, RuntimeError):
        sink.close()
