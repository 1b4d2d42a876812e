"""`meting register import`: a register's export into the registry, all or nothing, with
what it added, changed and left alone; ``dry_run`` shows that without keeping it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from meting.discovery.registers import tables
from meting.discovery.registers.rows import REGISTERS, RegisterRow
from meting.registry.problems import Problem, Problems
from meting.settings import Settings
from meting.store import Store
from meting.store.registers import Changes, apply


@dataclass(frozen=True)
class Outcome:
    rows: int
    changes: Changes | None  # None when the file had errors (nothing imported)
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    kept: bool  # False for a dry run


def import_register(settings: Settings, register: str, path: Path,
                    dry_run: bool = False) -> Outcome:
    if register not in REGISTERS:
        raise ValueError(f"no register {register!r}; one of {', '.join(REGISTERS)}")
    problems = Problems()
    rows: list[RegisterRow] = []
    if path.is_file() and path.stat().st_size > settings.max_file_bytes:
        problems.error(0, None, f"larger than {settings.max_file_bytes:,} bytes")
    elif not path.is_file():
        problems.error(0, None, "no such file")
    else:
        rows = tables.read(register, path, problems)
    errors, warnings = tuple(problems.errors), tuple(problems.warnings)
    if errors:
        return Outcome(len(rows), None, errors, warnings, kept=False)
    with Store.open(settings.database, verify=not dry_run) as store:
        session = sessionmaker(store.engine)()
        try:
            changes = apply(session, register, rows, dt.datetime.now(dt.UTC))
            if dry_run:
                session.rollback()
            else:
                session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
    return Outcome(len(rows), changes, errors, warnings, kept=not dry_run)
