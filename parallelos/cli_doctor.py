"""`parallelos doctor`'s lines on the work: queue depth, the oldest unfinished event, and the
schema version (the newest migration this code ships beside the database's own)."""

from __future__ import annotations

from collections.abc import Iterator

from orchestrator import health
from orchestrator.health import Backlog
from orchestrator.schema_version import SchemaVersion, schema_version
from orchestrator.settings import Settings

__all__ = ["doctor_lines"]


def doctor_lines(settings: Settings) -> Iterator[str]:
    yield _queue_line(settings)
    yield from _database_lines(settings.database_url)


def _queue_line(settings: Settings) -> str:
    from jobs.queue import RQJobQueue, connect_redis

    conn = connect_redis(settings.redis_url)
    if conn is None:
        return "Queue depth: no Redis (jobs run in-process)"
    try:
        depth = RQJobQueue(conn).depth()
    finally:
        conn.close()
    return "Queue depth: " + ", ".join(f"{n} {state}" for state, n in depth.items())


def _database_lines(database_url: str) -> Iterator[str]:
    from orchestrator.db import Database

    db = Database(database_url)
    try:
        version = schema_version(db)
        yield _schema_line(version)
        if version.current is not None:
            with db.session() as s:
                yield _oldest_line(health.backlog(s))
    except Exception as exc:  # not reachable, or not migrated: say so, do not stop
        yield f"Schema: not readable ({type(exc).__name__})"
    finally:
        db.dispose()


def _schema_line(version: SchemaVersion) -> str:
    if version.current is None:
        return f"Schema: not migrated (newest is {version.head}; run `parallelos migrate`)"
    if version.up_to_date:
        return f"Schema: {version.current} (up to date)"
    return f"Schema: {version.current}, newest is {version.head} (run `parallelos migrate`)"


def _oldest_line(backlog: Backlog) -> str:
    if not backlog.unfinished_events:
        return "Unfinished events: 0"
    age = _age(backlog.oldest_age_seconds())
    return f"Unfinished events: {backlog.unfinished_events}, the oldest waiting {age}"


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"
