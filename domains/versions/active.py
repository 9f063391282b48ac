"""The kernel's `ActiveSource` over the database: the stamp row, and the active versions."""

from __future__ import annotations

from domains.versions import service
from orchestrator.charters import CharterSet, HubSpec
from orchestrator.db import Database


class DatabaseVersions:
    """What `orchestrator.live.LiveCharters` asks on every event: one query for the stamp,
    and (only when it moved) every domain's active version."""

    def __init__(self, db: Database, hub: HubSpec, domains: list[str]) -> None:
        self.db = db
        self.hub = hub
        self.domains = list(domains)

    def stamp(self) -> int:
        with self.db.engine.connect() as conn:  # every job asks: a connection, no ORM session
            return conn.execute(service.STAMP).scalar() or 0

    def load(self) -> CharterSet:
        with self.db.session() as s:
            return service.active_set(s, self.hub, self.domains)
