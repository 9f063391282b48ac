"""`parallelos backup FILE` while the system writes, and `parallelos restore FILE` into an empty
database (SQLite and PostgreSQL), through the command itself."""

from __future__ import annotations

import itertools
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from orchestrator.backup import row_counts
from orchestrator.db import Database
from orchestrator.eventlog import record
from orchestrator.migrate import upgrade
from orchestrator.models import InboundEventRow
from parallelos.cli import main
from tests.conftest import TEST_DATABASE_URL

_ids = itertools.count(1)


def write_pair(db: Database) -> None:
    """One event and one log line, in one transaction: a consistent copy has as many of each."""
    n = next(_ids)
    with db.session() as s:
        s.add(InboundEventRow(platform="local", external_id=f"w{n}", kind="message",
                              payload={"size": n}, status="received", attempts=0))  # fmt: skip
        record(s, kind="test.write", actor="system", subject=f"write:{n}")


class Writer(threading.Thread):
    """Writes pairs until stopped; `written` counts them."""

    def __init__(self, db: Database) -> None:
        super().__init__(daemon=True)
        self.db, self.written, self.stop = db, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            write_pair(self.db)
            self.written += 1


@pytest.fixture
def empty_target(db: Database, tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    """A migrated database without a row, of the same kind as `db`."""
    if db.is_sqlite:
        path = tmp_path / "restored.db"
        shutil.copy(sqlite_template, path)
        target = Database(f"sqlite:///{path}")
        yield target
        target.dispose()
        return
    name = f"{db.engine.url.database}_restore"
    admin_db = Database(TEST_DATABASE_URL)
    admin = admin_db.engine.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    target = Database(db.engine.url.set(database=name).render_as_string(hide_password=False))
    upgrade(target.url)
    yield target
    target.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin_db.dispose()


def parallelos(monkeypatch: pytest.MonkeyPatch, db: Database, *args: str) -> int:
    monkeypatch.setenv("DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    return main(list(args))


def test_a_backup_taken_while_writes_go_on_restores_whole_into_an_empty_database(
    db, empty_target, tmp_path, monkeypatch, capsys
):
    """Writes go on during the backup; the restored copy is one consistent moment: every table
    the source has, every event with its log line, and nothing after the backup."""
    for _ in range(20):
        write_pair(db)
    writer = Writer(db)
    writer.start()
    try:
        while writer.written < 5:  # the backup starts while the writer is busy
            threading.Event().wait(0.01)
        assert parallelos(monkeypatch, db, "backup", str(tmp_path / "pos.backup")) == 0
    finally:
        writer.stop.set()
        writer.join()
    assert "backed up to" in capsys.readouterr().out

    assert parallelos(monkeypatch, empty_target, "restore", str(tmp_path / "pos.backup")) == 0
    assert "restored" in capsys.readouterr().out
    restored, source = row_counts(empty_target), row_counts(db)
    assert restored.keys() == source.keys()
    assert restored["inbound_events"] == restored["event_log"] >= 20
    assert restored["inbound_events"] <= source["inbound_events"]
    with empty_target.engine.connect() as conn:  # the schema's version came along
        assert conn.scalar(text("SELECT version_num FROM alembic_version"))


def test_restore_refuses_a_database_that_holds_data(db, tmp_path, monkeypatch, capsys):
    write_pair(db)
    assert parallelos(monkeypatch, db, "backup", str(tmp_path / "pos.backup")) == 0
    write_pair(db)
    before = row_counts(db)
    assert parallelos(monkeypatch, db, "restore", str(tmp_path / "pos.backup")) == 1
    err = capsys.readouterr().err
    assert "not empty" in err and "inbound_events (2)" in err
    assert row_counts(db) == before


def test_backup_never_overwrites_a_file(db, tmp_path, monkeypatch, capsys):
    existing = tmp_path / "pos.backup"
    existing.write_text("keep me")
    assert parallelos(monkeypatch, db, "backup", str(existing)) == 1
    assert "exists already" in capsys.readouterr().err
    assert existing.read_text() == "keep me"


def test_a_postgresql_backup_without_pg_dump_says_what_is_missing(
    pg_db, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("PATH", str(tmp_path))  # no PostgreSQL client tools on the path
    assert parallelos(monkeypatch, pg_db, "backup", str(tmp_path / "pos.backup")) == 1
    assert "pg_dump is not installed" in capsys.readouterr().err


def test_a_backup_of_the_other_kind_of_database_is_refused(db, tmp_path, monkeypatch, capsys):
    wrong = tmp_path / "not-a-backup"
    wrong.write_bytes(b"PGDMP" if db.is_sqlite else b"SQLite format 3\x00")
    assert parallelos(monkeypatch, db, "restore", str(wrong)) == 1
    assert "is not" in capsys.readouterr().err
