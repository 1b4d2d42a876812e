"""Throwaway servers for tests and benchmarks: Redis and PostgreSQL on Unix sockets only.

Unix sockets live in the file system, which network namespaces share: a worker in the
lab's scanner namespace reaches them, where the root namespace's loopback is out of reach.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PG_ROOT = Path("/usr/lib/postgresql")
PG_PORT = 5432  # names the socket file only: the server listens on no TCP address


class ServiceError(Exception):
    """A server could not be started; the message says what is missing."""


@contextlib.contextmanager
def redis_server(directory: Path) -> Iterator[Path]:
    """redis-server on ``directory/redis.sock`` (no TCP, no persistence); the socket's path."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServiceError("redis-server not found: install the Debian package redis-server "
                           "(scripts/setup does)")
    socket = directory / "redis.sock"
    proc = subprocess.Popen(
        [binary, "--port", "0", "--unixsocket", str(socket), "--unixsocketperm", "700",
         "--save", "", "--appendonly", "no", "--dir", str(directory),
         "--logfile", str(directory / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not socket.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise ServiceError(f"redis-server did not start: {_tail(directory / 'redis.log')}")
            time.sleep(0.05)
        yield socket
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _tail(path: Path) -> str:
    return path.read_text()[-2000:] if path.exists() else "(no log)"


def _as_server_user(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres account."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ServiceError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")


def _pg_bindir() -> Path:
    found = sorted(PG_ROOT.glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name)
                   if p.parent.parent.name.isdigit() else 0)
    if not found:
        raise ServiceError(f"PostgreSQL server binaries not found ({PG_ROOT}/*/bin/pg_ctl): "
                           "install the Debian package postgresql (scripts/setup does)")
    return found[-1].parent


@contextlib.contextmanager
def postgres_server() -> Iterator[Path]:
    """A PostgreSQL server on a Unix socket in a temporary directory; the socket directory."""
    bindir = _pg_bindir()
    base = Path(tempfile.mkdtemp(prefix="meting-pg-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    data = base / "data"
    _run(_as_server_user([str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                          "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]))
    options = f"-p {PG_PORT} -k {base} -c listen_addresses='' -c fsync=off -c max_connections=200"
    _run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"),
                          "-w", "-o", options, "start"]))
    try:
        yield base
    finally:
        subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast",
                                        "-w", "stop"]), capture_output=True, check=False)
        shutil.rmtree(base, ignore_errors=True)


def postgres_database(socket_dir: Path, name: str) -> str:
    """A new, empty database on the server; its SQLAlchemy URL."""
    import psycopg

    with psycopg.connect(host=str(socket_dir), port=PG_PORT, user="postgres",
                         dbname="postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://postgres@/{name}?host={socket_dir}&port={PG_PORT}"
