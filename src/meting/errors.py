"""One error path for the `meting` command: every failure ends as one clear line.

A command raises ``InputError`` (bad input or configuration: exit status 2) or
``OperationError`` (an operation that failed: exit status 1) with a message that says
what failed, where, and what to do; any layer may raise them. Whatever else escapes a
command — a database that cannot be reached, a full disk, a damaged file — is turned
into such a line by ``explain``, called at the one place every command passes through:
``meting.cli_errors.MetingGroup``, the class of the `meting` app and so of every
command registered on it. ``--debug`` or ``METING_DEBUG=1`` shows the traceback
instead, for developers.
"""

from __future__ import annotations

import errno

EXIT_FAILED = 1  # an operation failed (database unreachable, disk full, a bug)
EXIT_INPUT = 2  # bad input or configuration: the user can correct it


class MetingError(Exception):
    """A failure with a message for the user; ``exit_code`` says which kind."""

    exit_code = EXIT_FAILED


class InputError(MetingError):
    """Bad input or configuration (exit status 2)."""

    exit_code = EXIT_INPUT


class OperationError(MetingError):
    """An operation that could not be carried out (exit status 1)."""

    exit_code = EXIT_FAILED


def explain(exc: BaseException) -> tuple[int, str]:
    """The exit status and one line for a failure."""
    if isinstance(exc, MetingError):
        return exc.exit_code, str(exc)
    for explainer in (_database, _migration, _os, _text):
        found = explainer(exc)
        if found is not None:
            return found
    return EXIT_FAILED, (f"unexpected failure ({type(exc).__name__}: {_first_line(exc)}); "
                         "run again with --debug for the details, and please report it")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "no message"


# What SQLite and PostgreSQL say, and what the user should do about it.
SQLITE_ADVICE = {
    "file is not a database": (
        "the database file is not a meting (SQLite) database, or it is damaged; "
        "check the database setting (METING_DATABASE) or restore it from a backup"),
    "database disk image is malformed": (
        "the database file is damaged; run `meting doctor`, and restore it from a backup"),
    "attempt to write a readonly database": (
        "the database is read-only; make the file and its directory writable, "
        "or use another database (METING_DATABASE)"),
    "database or disk is full": (
        "the disk holding the database is full; free space and run the command again "
        "(nothing of the failed step was stored)"),
    "unable to open database file": (
        "the database file cannot be opened; check that its directory exists and is "
        "writable (METING_DATABASE)"),
    "database is locked": (
        "the database stayed locked by another meting process; try again when it is done"),
    "disk i/o error": "the disk failed while reading or writing the database",
}


def _database(exc: BaseException) -> tuple[int, str] | None:
    from sqlalchemy import exc as sa

    if isinstance(exc, sa.ArgumentError | sa.NoSuchModuleError):
        return EXIT_INPUT, (f"the database URL is not usable: {_first_line(exc)}; e.g. "
                            "sqlite:///meting.db or postgresql://user@host/dbname "
                            "(setting database, METING_DATABASE)")
    if isinstance(exc, sa.DataError):
        return EXIT_INPUT, f"the database refused a value: {_first_line(exc.orig or exc)}"
    if isinstance(exc, sa.OperationalError | sa.InterfaceError | sa.DatabaseError):
        detail = _first_line(exc.orig if exc.orig is not None else exc)
        lowered = detail.lower()
        for marker, advice in SQLITE_ADVICE.items():
            if marker in lowered:
                return EXIT_FAILED, advice
        if "connection" in lowered or "connect" in lowered:
            return EXIT_FAILED, (f"cannot reach the database ({detail}); check that the "
                                 "server runs and the database setting (METING_DATABASE)")
        return EXIT_FAILED, f"the database failed: {detail}"
    return None


def _migration(exc: BaseException) -> tuple[int, str] | None:
    from alembic.util import CommandError

    if isinstance(exc, CommandError):
        return EXIT_FAILED, (f"the database's schema is unknown to this meting "
                             f"({_first_line(exc)}); it was made by another version: use "
                             "that version, or a new database")
    return None


def _os(exc: BaseException) -> tuple[int, str] | None:
    if not isinstance(exc, OSError):
        return None
    where = f"{exc.filename}: " if exc.filename else ""
    reason = exc.strerror or _first_line(exc)
    if exc.errno == errno.ENOSPC:
        return EXIT_FAILED, f"{where}the disk is full; free space and run the command again"
    if exc.errno in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR):
        return EXIT_INPUT, f"{where}{reason}"
    return EXIT_FAILED, f"{where}{reason}"


def _text(exc: BaseException) -> tuple[int, str] | None:
    import csv
    import zipfile
    from xml.etree.ElementTree import ParseError

    if isinstance(exc, UnicodeDecodeError):
        return EXIT_INPUT, (f"the text is not {exc.encoding} (byte {exc.start}); "
                            "give its encoding with --encoding")
    if isinstance(exc, RecursionError):
        return EXIT_INPUT, "the input is nested too deeply to read"
    if isinstance(exc, ParseError | zipfile.BadZipFile | csv.Error):
        return EXIT_INPUT, f"the file cannot be read: {_first_line(exc)}"
    if isinstance(exc, MemoryError):
        return EXIT_FAILED, "out of memory; see docs/errors-and-limits.md for the limits"
    return None
