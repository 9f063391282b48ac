"""`parallelos export DIR`: everything a user needs to leave — every feature's files, and the
event log as JSONL.

The files come from the same `Features` list as the dashboard and the commands, so a feature
cannot be left out of the export.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.db import Database
from orchestrator.features import Features
from orchestrator.models import LogEvent

__all__ = ["event_json", "export_all"]


def export_all(db: Database, features: Features, directory: Path) -> dict[str, int]:
    """Write each feature's files and events.jsonl under `directory`; return counts."""
    directory.mkdir(parents=True, exist_ok=True)
    files = 0
    with db.session() as s:
        for export in features.exports:
            for relative, text in export(s).items():
                path = directory / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
                files += 1
        events = _write_events(s, directory / "events.jsonl")
    return {"files": files, "events": events}


def _write_events(s: Session, path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for row in s.scalars(
            select(LogEvent).order_by(LogEvent.id).execution_options(yield_per=1000)
        ):
            out.write(json.dumps(event_json(row), ensure_ascii=False) + "\n")
            count += 1
    return count


def event_json(row: LogEvent) -> dict[str, object]:
    return {
        "id": row.id,
        "at": row.at.isoformat() + "Z",
        "kind": row.kind,
        "actor": row.actor,
        "domain": row.domain,
        "charter_version": row.charter_version,
        "subject": row.subject,
        "data": row.data,
        "cost_usd": row.cost_usd,
        "source_event_id": row.source_event_id,
    }
