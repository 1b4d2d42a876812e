"""`meting doctor`: is the database sound? Each finding says what is wrong and how to recover.

Checked: the SQLite file's pages (``PRAGMA quick_check``) and journal mode, the schema
revision against the migrations shipped, and the store's own invariants (one test per
domain and kind in a round, at most one evidence record per test, a done test has
statuses, a finished round has no tests left).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import DBAPIError

from meting.errors import explain
from meting.store import migrate
from meting.store.engine import make_engine, sqlite_file
from meting.store.models import Evidence, Round, Test
from meting.store.records import StoreError

QUICK_CHECK_SHOWN = 5  # problems of quick_check named; the rest are counted
RECOVER = ("restore it from a backup, or save what is still readable into a new file with "
           "`sqlite3 FILE .recover | sqlite3 NEW` (Debian package sqlite3) and check that")


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    message: str


def diagnose(url: str) -> list[Finding]:
    path = sqlite_file(url)
    if path is not None and not path.exists():
        raise StoreError(f"there is no database {path}")
    engine = make_engine(url)
    try:
        return _diagnose(engine)
    finally:
        engine.dispose()


def _diagnose(engine: Engine) -> list[Finding]:
    findings: list[Finding] = []
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                findings += _sqlite_file(connection)
                if not findings[0].ok:
                    return findings
            findings.append(_revision(connection))
            if findings[-1].ok:
                findings += _invariants(connection)
    except DBAPIError as exc:
        detail = str(exc.orig or exc).splitlines()[0]
        if engine.dialect.name == "sqlite" and "damaged" in explain(exc)[1]:
            findings.append(Finding("pages", False, f"the file is damaged ({detail}); "
                                    f"{RECOVER}"))
        else:
            findings.append(Finding("open", False, explain(exc)[1]))
    return findings


def quick_check(connection: Connection) -> list[str]:
    """SQLite's own check of every page (not of indexes against tables); [] when sound."""
    rows = [str(r) for r in connection.exec_driver_sql("PRAGMA quick_check").scalars()]
    return [] if rows == ["ok"] else rows


def _sqlite_file(connection: Connection) -> list[Finding]:
    problems = quick_check(connection)
    if problems:
        shown = "; ".join(problems[:QUICK_CHECK_SHOWN])
        more = f" and {len(problems) - QUICK_CHECK_SHOWN} more" \
            if len(problems) > QUICK_CHECK_SHOWN else ""
        return [Finding("pages", False, f"the file is damaged ({shown}{more}); {RECOVER}")]
    journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    return [Finding("pages", True, "every page reads (PRAGMA quick_check)"),
            Finding("journal", journal == "wal",
                    f"journal mode {journal}" + ("" if journal == "wal" else
                                                 "; meting sets WAL when it opens the file"))]


def _revision(connection: Connection) -> Finding:
    revision, head = migrate.current(connection), migrate.head()
    if revision == head:
        return Finding("schema", True, f"schema at the newest revision ({head})")
    if revision is None:
        return Finding("schema", False, "the database has no meting schema; any meting "
                       "command that writes (e.g. meting import) makes it")
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        ScriptDirectory.from_config(migrate.config()).get_revision(revision)
    except CommandError:
        return Finding("schema", False, f"schema revision {revision!r} is unknown to this "
                       "meting (a newer version made it); use that version")
    return Finding("schema", False, f"schema at revision {revision}, newest is {head}; the "
                   "next meting command that opens it brings it up to date")


def _invariants(connection: Connection) -> list[Finding]:
    twice = connection.execute(select(func.count()).select_from(
        select(Test.round_id).group_by(Test.round_id, Test.domain_id, Test.kind).having(
            func.count() > 1).subquery())).scalar_one()
    evidence_twice = connection.execute(select(func.count()).select_from(
        select(Evidence.test_id).group_by(Evidence.test_id).having(
            func.count() > 1).subquery())).scalar_one()
    without_statuses = connection.execute(select(func.count()).where(
        Test.state == "done", Test.columns.is_(None))).scalar_one()
    unfinished = connection.execute(select(func.count()).select_from(Test).join(
        Round, Round.id == Test.round_id).where(Round.state == "finished",
                                                Test.state != "done")).scalar_one()
    return [
        Finding("tests", twice == 0, "one test per domain and kind in every round"
                if not twice else f"{twice} domain(s) have a test twice in one round; "
                "report it, and keep the file for the developers"),
        Finding("evidence", evidence_twice == 0, "at most one evidence record per test"
                if not evidence_twice else f"{evidence_twice} test(s) have evidence twice"),
        Finding("statuses", without_statuses == 0, "every done test has statuses"
                if not without_statuses else f"{without_statuses} done test(s) without "
                "statuses; judge the round again (meting rejudge)"),
        Finding("rounds", unfinished == 0, "finished rounds have no tests left"
                if not unfinished else f"finished rounds have {unfinished} test(s) not done"),
    ]
