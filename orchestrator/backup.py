"""A consistent copy of the database while the system runs, and its restore into an empty one.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies pages under SQLite's own
locking, so writers may go on meanwhile and the copy is one consistent snapshot; it also
takes what is still in the WAL. PostgreSQL: `pg_dump --format=custom` (one snapshot
transaction) and `pg_restore`, which must be installed (the error names what is missing).

A restore never merges: it refuses a target that holds any row, so a backup cannot be laid
over live data by mistake. The restored database carries its schema revision, so
`alembic upgrade head` afterwards brings an older backup up to date.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import func, inspect, select, table, text
from sqlalchemy.engine import URL, make_url

from orchestrator.db import Database

__all__ = ["BackupError", "backup", "restore", "row_counts"]

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
VERSION_TABLE = "alembic_version"
_VIRTUAL = "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'"


class BackupError(Exception):
    """What went wrong, in one line for the operator."""


def row_counts(db: Database) -> dict[str, int]:
    """Rows per table: what a restore must match. The schema's version table is left out, and
    so are SQLite's full-text index internals (`<index>_data`, …; the index itself counts)."""
    with db.engine.connect() as conn:
        names = [n for n in inspect(conn).get_table_names() if n != VERSION_TABLE]
        if db.is_sqlite:
            virtual = conn.scalars(text(_VIRTUAL)).all()
            names = [n for n in names if not any(n.startswith(f"{v}_") for v in virtual)]
        return {n: int(conn.scalar(select(func.count()).select_from(table(n))) or 0) for n in names}


def backup(db: Database, target: Path) -> None:
    if target.exists():
        raise BackupError(f"{target} exists already; name a new file")
    if db.is_sqlite:
        _sqlite_backup(_sqlite_path(db), target)
    else:
        _run(
            _tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}", url=db.engine.url
        )


def restore(db: Database, source: Path) -> None:
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    _refuse_unless_empty(db)
    head = source.read_bytes()[:16]
    if db.is_sqlite:
        if head != SQLITE_MAGIC:
            raise BackupError(f"{source} is not an SQLite backup (this database is SQLite)")
        db.dispose()
        _sqlite_backup(source, _sqlite_path(db))
        return
    if not head.startswith(PG_MAGIC):
        raise BackupError(f"{source} is not a pg_dump custom-format backup (this is PostgreSQL)")
    with db.engine.begin() as conn:  # an empty but migrated target: its tables come back whole
        for name in inspect(conn).get_table_names():
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}" CASCADE')
    db.dispose()
    _run(_tool("pg_restore"), "--no-owner", "--exit-on-error", str(source), url=db.engine.url)


SEEDED = {"charter_state": 1}  # rows a migration itself writes: an empty database has them


def _refuse_unless_empty(db: Database) -> None:
    holding = {name: n for name, n in row_counts(db).items() if n > SEEDED.get(name, 0)}
    if holding:
        listed = ", ".join(f"{name} ({n})" for name, n in sorted(holding.items()))
        raise BackupError(f"the target database is not empty: {listed}; restore only into an "
                          "empty database")  # fmt: skip


def _sqlite_path(db: Database) -> Path:
    name = db.engine.url.database
    if not name or name == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(name)


def _sqlite_backup(source: Path, target: Path) -> None:
    """All pages in one step, i.e. one read transaction: a consistent snapshot. (In steps, a
    write between two of them restarts the copy, so a busy database might never finish.) In
    WAL mode the writers go on meanwhile."""
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target, timeout=30)
    try:
        with dst:
            src.backup(dst)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup failed: {exc}") from None
    finally:
        src.close()
        dst.close()


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (PostgreSQL's client tools, e.g. the "
                          "postgresql-client package); it is needed for a PostgreSQL backup")  # fmt: skip
    return found


def _run(tool: str, *args: str, url: URL) -> None:
    """Run a PostgreSQL client tool on `url`; the password goes in its environment only."""
    url = make_url(url.render_as_string(hide_password=False))
    env = dict(os.environ, PGPASSWORD=url.password or "") if url.password else dict(os.environ)
    plain = url.set(drivername="postgresql", password=None).render_as_string()
    done = subprocess.run([tool, *args, f"--dbname={plain}"], env=env, capture_output=True,
                          text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{Path(tool).name} failed: {last}")
