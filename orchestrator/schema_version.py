"""Which schema the database runs beside the newest this code ships: for `doctor`.

Apart from `orchestrator.health` because it needs Alembic's script machinery, which the web
process (it reads only the backlog, for `/metrics`) has no use for.
"""

from __future__ import annotations

from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from orchestrator.db import Database
from orchestrator.migrate import alembic_config

__all__ = ["SchemaVersion", "schema_version"]


@dataclass(frozen=True)
class SchemaVersion:
    current: str | None  # the database's revision; None when it was never migrated
    head: str  # the newest revision this code ships

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def schema_version(db: Database) -> SchemaVersion:
    head = ScriptDirectory.from_config(alembic_config(db.url)).get_current_head()
    with db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return SchemaVersion(current, head or "")
