"""Upgrades keep what a person has: a database made by the previous release (schema 0005 and a
row in each of its tables, tests/data/release_0005.sql) is upgraded to head and every row
still reads through the models; one step down from head and up again loses nothing of the
tables the step keeps. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

import domains.all_models  # noqa: F401  (every model on Base.metadata)
from orchestrator.backup import row_counts
from orchestrator.canonical import EventKind, InboundEvent, Platform
from orchestrator.db import Base, Database
from orchestrator.ingest import store_events
from orchestrator.migrate import downgrade, upgrade
from tests.conftest import TEST_DATABASE_URL, unavailable

PREVIOUS = "0005"  # the schema of the release before this branch
FIXTURE = Path(__file__).parent / "data" / "release_0005.sql"


@pytest.fixture(params=["sqlite", "postgresql"])
def blank(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with no schema at all."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'old.db'}")
        yield database
        database.dispose()
        return
    admin_db = Database(TEST_DATABASE_URL)
    try:
        admin_db.ping()
    except Exception:
        admin_db.dispose()
        unavailable(f"PostgreSQL at {TEST_DATABASE_URL}")
    tag = hashlib.blake2s(request.node.name.encode(), digest_size=4).hexdigest()
    name = f"{admin_db.engine.url.database}_up_{os.getpid()}_{tag}"
    admin = admin_db.engine.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database(admin_db.engine.url.set(database=name).render_as_string(False))
    yield database
    database.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin_db.dispose()


def previous_release(db: Database) -> dict[str, int]:
    """Schema 0005 with the fixture's rows; the rows per table."""
    upgrade(db.url, PREVIOUS)
    statements = [s for s in FIXTURE.read_text().split(";\n") if s.strip(" \n-")]
    with db.engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql("\n".join(x for x in statement.splitlines() if x[:2] != "--"))
    return row_counts(db)


def read_everything(db: Database) -> dict[str, int]:
    """Every row of every model, each column read through its attribute."""
    read: dict[str, int] = {}
    with db.session() as s:
        for mapper in Base.registry.mappers:
            model, table = mapper.class_, mapper.local_table
            rows = s.scalars(select(model)).all()
            for row in rows:
                for attr in mapper.column_attrs:
                    getattr(row, attr.key)
            read[table.name] = len(rows)
    return read


def test_the_previous_releases_fixture_fills_every_table_of_its_schema(blank):
    counts = previous_release(blank)
    assert counts and all(counts[name] >= 1 for name in counts), counts


def test_upgrading_a_previous_release_keeps_every_row_readable(blank):
    before = previous_release(blank)
    upgrade(blank.url, "head")
    read = read_everything(blank)
    for table, n in before.items():
        if table in read:
            assert read[table] == n, table
    tables = set(inspect(blank.engine).get_table_names())
    assert {m.local_table.name for m in Base.registry.mappers} <= tables  # every model's table
    event = InboundEvent(platform=Platform.SLACK, external_id="Ev-after-upgrade",
                         kind=EventKind.MESSAGE, user="U1", channel="D1")  # fmt: skip
    assert store_events(blank, [event]) != [None]  # and new rows go in beside the old


def test_one_step_down_from_head_and_up_again_keeps_the_rows_of_the_tables_it_keeps(blank):
    previous_release(blank)
    upgrade(blank.url, "head")
    at_head = row_counts(blank)
    downgrade(blank.url, "-1")
    one_down = row_counts(blank)
    assert one_down and all(at_head[t] == n for t, n in one_down.items())
    upgrade(blank.url, "head")
    again = read_everything(blank)
    assert all(again[t] == n for t, n in one_down.items() if t in again)
